import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import bodyParser from 'body-parser';
import type { HttpHandler } from './node-http';

/**
 * Reads request bodies as JSON (any content type: older nodes send text/plain).
 *
 * A body is refused before any of it is read when its declared length is over
 * the route's limit, and before it is parsed when its bytes are not UTF-8
 * (RFC 8259 §8.1; decoding would turn two byte strings into one machine code)
 * or nest deeper than `maxDepth` (JSON.parse of deep nesting holds the event
 * loop for every other request).
 *
 * A small body sent plainly — a declared length, no content encoding, UTF-8 —
 * is read here directly: that is every heartbeat, and body-parser's general
 * path (content negotiation, decoding streams, inflation) costs more than the
 * rest of a heartbeat. Everything else goes to body-parser's JSON parser
 * (express.json) with the same limit, strictness and checks. Both paths
 * refuse with a 4xx error carrying a `type`, which the error handler answers
 * as INCORRECT_DATA_FORMAT.
 */
const SMALL_BODY_BYTES = 16 * 1024;

export class BodyError extends Error {
  constructor(
    readonly type: string,
    readonly status = 400,
  ) {
    super(type);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** True when arrays and objects nest deeper than `maxDepth`; stops at the first byte too deep. */
export function nestsDeeperThan(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let isInString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (isInString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) isInString = false;
    } else if (byte === QUOTE) isInString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
  }
  return false;
}

function checkBytes(bytes: Uint8Array, maxDepth: number): void {
  if (!isUtf8(bytes)) throw new BodyError('encoding.invalid');
  if (nestsDeeperThan(bytes, maxDepth)) throw new BodyError('entity.too.deep');
}

function isPlainUtf8(req: IncomingMessage): boolean {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
  return charset === undefined || /^utf-?8$/i.test(charset);
}

function parseStrict(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const first = body.trimStart()[0];
  // Like body-parser's strict mode: only objects and arrays.
  if (first !== '{' && first !== '[') throw new BodyError('entity.parse.failed');
  try {
    return JSON.parse(body);
  } catch {
    throw new BodyError('entity.parse.failed');
  }
}

export function jsonBody(options: { limitBytes: number; maxDepth: number }): HttpHandler {
  const { limitBytes, maxDepth } = options;
  const general = bodyParser.json({
    limit: limitBytes,
    type: () => true,
    strict: true,
    verify: (_req: IncomingMessage, _res: unknown, bytes: Buffer, encoding: string) => {
      // body-parser also accepts UTF-16 and UTF-32; JSON between systems is UTF-8 only.
      if (!/^utf-?8$/i.test(encoding)) throw new BodyError('charset.unsupported', 415);
      checkBytes(bytes, maxDepth);
    },
  });
  const directLimit = Math.min(SMALL_BODY_BYTES, limitBytes);
  return (req, res, next) => {
    const length = Number(req.headers['content-length']);
    if (length > limitBytes) {
      // The body is never read, so the connection cannot carry another request.
      res.setHeader('Connection', 'close');
      next(new BodyError('entity.too.large', 413));
      return;
    }
    if (!(length > 0 && length <= directLimit) || req.headers['transfer-encoding'] !== undefined || !isPlainUtf8(req)) {
      // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- it is Node's own IncomingMessage, with the app's fields (node-http.ts)
      general(req, res, next);
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let isEnded = false;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
    });
    // A client that goes away mid-body is its own business: a refusal like any other, not a fault to log.
    req.on('error', () => {
      if (!isEnded) next(new BodyError('request.aborted'));
      isEnded = true;
    });
    req.on('end', () => {
      if (isEnded) return;
      isEnded = true;
      if (received !== length) {
        next(new BodyError('request.size.invalid'));
        return;
      }
      const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      try {
        checkBytes(bytes, maxDepth);
        req.body = parseStrict(bytes.toString('utf8'));
      } catch (error) {
        next(error);
        return;
      }
      next();
    });
  };
}
