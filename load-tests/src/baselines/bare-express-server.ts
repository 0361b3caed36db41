import express from 'express';

/**
 * The ceiling for `verify`: the project's own express with `express.json()`
 * on the same route, answering the same success body the API sends, and
 * nothing else (no helmet, request id, metrics, validation, HMAC or Redis).
 * Started as its own process by bare-express.ts; the port is argv[2].
 */
const FIXED_BODY = { result: 'valid', expiresAt: '2099-12-31' };

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) throw new Error('usage: bare-express-server <port>');

const app = express();
app.post('/v1/verifications', express.json(), (_req, res) => {
  res.json(FIXED_BODY);
});
app.listen(port, '127.0.0.1');
process.on('SIGINT', () => process.exit(0));
