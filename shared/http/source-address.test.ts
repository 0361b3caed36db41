import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { sourceAddresses } from './source-address';

/** Every TRUST_PROXY form resolves as express's own `trust proxy` setting does (req.ip). */
describe('sourceAddresses', function () {
  const settings: Array<boolean | number | string> = [false, true, 1, 2, 'loopback', '127.0.0.1, 10.0.0.0/8', '192.0.2.1'];
  const forwarded = ['', '203.0.113.9', '198.51.100.7, 10.1.2.3', '198.51.100.7, 203.0.113.9, 10.1.2.3'];

  for (const setting of settings) {
    it(`agrees with req.ip under TRUST_PROXY=${String(setting)}`, async function () {
      const ours = sourceAddresses(setting);
      const app = express();
      app.set('trust proxy', setting);
      app.get('/', (req, res) => {
        res.json({ express: req.ip, ours: ours.of(req) });
      });
      const compiled = express();
      compiled.set('trust proxy', ours.trust);
      compiled.get('/', (req, res) => {
        res.json({ express: req.ip });
      });
      for (const chain of forwarded) {
        const headers = chain === '' ? {} : { 'X-Forwarded-For': chain };
        const answer = (await request(app).get('/').set(headers)).body as { express: string; ours: string };
        assert.equal(answer.ours, answer.express, `X-Forwarded-For: ${chain}`);
        assert.equal(((await request(compiled).get('/').set(headers)).body as { express: string }).express, answer.express);
      }
    });
  }

  it('refuses a setting proxy-addr cannot compile', function () {
    assert.throws(() => sourceAddresses('not-an-address'));
  });
});
