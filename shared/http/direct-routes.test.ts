import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import request from 'supertest';
import { directRoutes } from './direct-routes';
import { jsonBody } from './json-body';
import type { HttpErrorHandler, HttpHandler, HttpResponse } from './node-http';
import { sourceAddresses } from './source-address';

/** A direct route must answer exactly as the same route through express's router does. */
describe('directRoutes', function () {
  const app = express();
  const addresses = sourceAddresses('loopback');
  app.set('trust proxy', addresses.trust);
  // express's final handler prints errors it sees outside tests.
  app.set('env', 'test');
  // Every request the router sees passes app.handle, which express's types leave out.
  const internals = app as unknown as { handle: (...args: unknown[]) => void };
  let routed = 0;
  const handle = internals.handle.bind(app);
  internals.handle = (...args) => {
    routed++;
    handle(...args);
  };

  const json = (res: HttpResponse, status: number, body: unknown) => {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  };
  const stamp: HttpHandler = (_req, res, next) => {
    res.setHeader('x-stamp', 'yes');
    res.locals.stamped = true;
    next();
  };
  const onError: HttpErrorHandler = (error, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    json(res, 500, { error: error instanceof Error ? error.message : 'unknown' });
  };
  const routes = directRoutes(app, { middlewares: [stamp], errorHandler: onError });
  routes
    .post('/echo', jsonBody({ limitBytes: 1024, maxDepth: 4 }), (req, res) => {
      json(res, 200, { body: req.body, ip: addresses.of(req), route: req.route?.path, stamped: res.locals.stamped });
    })
    .all((_req, res) => res.status(405).json({ allowed: 'POST' }));
  routes.post('/prototypes', (req, res) => {
    json(res, 200, {
      isNodeRequest: Object.getPrototypeOf(req) === IncomingMessage.prototype,
      isNodeResponse: Object.getPrototypeOf(res) === ServerResponse.prototype,
    });
  });
  routes.post('/throws', () => {
    throw new Error('thrown');
  });
  routes.post('/rejects', async () => {
    await Promise.resolve();
    throw new Error('rejected');
  });
  routes.post('/passes-on', (_req, _res, next) => next(new Error('passed on')));
  routes.post('/fails-mid-answer', async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
    await Promise.resolve();
    throw new Error('too late');
  });
  app.use((_req: express.Request, res: express.Response) => res.status(404).json({ found: false }));
  app.use(onError);

  const post = (path: string) => request(routes.listener).post(path).set('X-Forwarded-For', '203.0.113.9').send({ a: 1 });

  it('serves POST on the exact path past the router, with the middlewares, locals, route and source address', async function () {
    const before = routed;
    const answer = await post('/echo');
    assert.equal(routed, before);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['x-stamp'], 'yes');
    assert.deepEqual(answer.body, { body: { a: 1 }, ip: '203.0.113.9', route: '/echo', stamped: true });
  });

  it("leaves Node's own request and response objects as they are", async function () {
    assert.deepEqual((await post('/prototypes')).body, { isNodeRequest: true, isNodeResponse: true });
  });

  for (const path of ['/echo?x=1', '/ECHO', '/echo/']) {
    it(`hands ${path} to the router, which answers it the same`, async function () {
      const before = routed;
      const [direct, viaRouter] = [await post('/echo'), await post(path)];
      assert.equal(routed, before + 1);
      assert.equal(viaRouter.status, direct.status);
      assert.equal(viaRouter.headers['x-stamp'], 'yes');
      assert.deepEqual(viaRouter.body, direct.body);
    });
  }

  it('leaves other methods on the path to the app', async function () {
    const answer = await request(routes.listener).get('/echo');
    assert.equal(answer.status, 405);
    assert.equal(answer.headers['x-stamp'], 'yes');
  });

  it('leaves unknown paths to the app', async function () {
    assert.equal((await request(routes.listener).post('/nowhere')).status, 404);
  });

  for (const [path, message] of [
    ['/throws', 'thrown'],
    ['/rejects', 'rejected'],
    ['/passes-on', 'passed on'],
  ] as const) {
    it(`gives the error handler what ${path} ${message === 'thrown' ? 'throws' : message}`, async function () {
      const [direct, viaRouter] = [await post(path), await post(`${path}?via=router`)];
      assert.deepEqual([direct.status, direct.body], [500, { error: message }]);
      assert.deepEqual([viaRouter.status, viaRouter.body], [500, { error: message }]);
    });
  }

  it('drops the connection when the error comes after the answer began, as express does', async function () {
    await assert.rejects(post('/fails-mid-answer'));
    await assert.rejects(post('/fails-mid-answer?via=router'));
  });
});
