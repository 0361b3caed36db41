import assert from 'node:assert/strict';
import express from 'express';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { jsonBody } from './json-body';

/** Both paths of jsonBody (small plain bodies read directly, the rest by express.json) must agree. */
describe('jsonBody', function () {
  const app = express();
  app.post('/', jsonBody({ limitBytes: 1024, maxDepth: 4 }), (req, res) => {
    res.json({ body: req.body });
  });
  app.use((error: { status?: number; type?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(error.status ?? 500).json({ refused: error.type ?? 'other' });
  });

  const cases: Array<{ name: string; body: string | Buffer; headers?: Record<string, string>; status: number; expected: unknown }> = [
    { name: 'a small object, read directly', body: '{"a":1}', status: 200, expected: { body: { a: 1 } } },
    { name: 'an array', body: '[1,2]', status: 200, expected: { body: [1, 2] } },
    { name: 'a UTF-8 byte order mark', body: '\ufeff{"a":"ü"}', status: 200, expected: { body: { a: 'ü' } } },
    {
      name: 'text/plain content type',
      body: '{"a":1}',
      headers: { 'content-type': 'text/plain' },
      status: 200,
      expected: { body: { a: 1 } },
    },
    { name: 'a JSON scalar (strict)', body: '"x"', status: 400, expected: { refused: 'entity.parse.failed' } },
    { name: 'broken JSON', body: '{"a":', status: 400, expected: { refused: 'entity.parse.failed' } },
    {
      name: 'another charset, left to express.json',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json; charset=latin1' },
      status: 415,
      expected: { refused: 'charset.unsupported' },
    },
    { name: 'a body over the limit', body: `{"a":"${'x'.repeat(2000)}"}`, status: 413, expected: { refused: 'entity.too.large' } },
    { name: 'nesting at the limit', body: '{"a":[[{"b":1}]]}', status: 200, expected: { body: { a: [[{ b: 1 }]] } } },
    { name: 'nesting past the limit', body: '{"a":[[{"b":[]}]]}', status: 400, expected: { refused: 'entity.too.deep' } },
    {
      name: 'nesting past the limit, gzipped',
      body: gzipSync('[[[[[1]]]]]'),
      headers: { 'content-encoding': 'gzip' },
      status: 400,
      expected: { refused: 'entity.too.deep' },
    },
    {
      name: 'brackets and escaped quotes inside strings',
      body: '{"a":"[[[[\\"[[[[{{{{"}',
      status: 200,
      expected: { body: { a: '[[[["[[[[{{{{' } },
    },
    {
      name: 'bytes that are not UTF-8',
      body: Buffer.from('{"a":"\xff"}', 'latin1'),
      status: 400,
      expected: { refused: 'encoding.invalid' },
    },
    {
      name: 'bytes that are not UTF-8, gzipped',
      body: gzipSync(Buffer.from('{"a":"\xc3"}', 'latin1')),
      headers: { 'content-encoding': 'gzip' },
      status: 400,
      expected: { refused: 'encoding.invalid' },
    },
    {
      name: 'UTF-16, which JSON between systems is not',
      body: Buffer.from('{"a":1}', 'utf16le'),
      headers: { 'content-type': 'application/json; charset=utf-16le' },
      status: 415,
      expected: { refused: 'charset.unsupported' },
    },
  ];

  for (const row of cases) {
    it(row.name, async function () {
      const response = await request(app)
        .post('/')
        .set({ 'content-type': 'application/json', ...row.headers })
        // Bytes as they are: superagent would serialise a Buffer as JSON.
        .serialize((body: string | Buffer) => body as string)
        .send(row.body);
      assert.equal(response.status, row.status);
      assert.deepEqual(response.body, row.expected);
    });
  }
});
