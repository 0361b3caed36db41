import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

/**
 * Reads request bodies as JSON (any content type: older nodes send text/plain).
 *
 * A small body sent plainly — a declared length, no content encoding, UTF-8 —
 * is read here directly: that is every heartbeat, and body-parser's general
 * path (content negotiation, decoding streams, inflation) costs more than the
 * rest of a heartbeat. Everything else goes to express.json with the same
 * limit and strictness. Both paths refuse with a 4xx error carrying a `type`,
 * which the error handler answers as INCORRECT_DATA_FORMAT.
 */
const SMALL_BODY_BYTES = 16 * 1024;

class BodyError extends Error {
  readonly status = 400;
  constructor(readonly type: string) {
    super(type);
  }
}

function isPlainUtf8(req: Request): boolean {
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

export function jsonBody(limitBytes: number): RequestHandler {
  const general = express.json({ limit: limitBytes, type: () => true, strict: true });
  const directLimit = Math.min(SMALL_BODY_BYTES, limitBytes);
  return (req: Request, res: Response, next: NextFunction) => {
    const length = Number(req.headers['content-length']);
    if (!(length > 0 && length <= directLimit) || req.headers['transfer-encoding'] !== undefined || !isPlainUtf8(req)) {
      general(req, res, next);
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
    });
    req.on('error', next);
    req.on('end', () => {
      if (received !== length) {
        next(new BodyError('request.size.invalid'));
        return;
      }
      try {
        req.body = parseStrict((chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString('utf8'));
      } catch (error) {
        next(error);
        return;
      }
      next();
    });
  };
}
