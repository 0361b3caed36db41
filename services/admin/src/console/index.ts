import { Router, type Response } from 'express';
import { etagOf, loadAssets, type Asset } from './assets-catalogue';
import { renderPage } from './page';

/**
 * The staff web console: one HTML page and its static files, mounted by the
 * admin app with `app.use('/admin', consoleRoutes())` beside the JSON API it
 * calls. Everything it loads comes from here (the contract's "The console").
 */

/** Where the admin app mounts the router; the contract fixes it (cookie `Path=/admin`, API under `/admin/api/v1`). */
const MOUNT_PATH = '/admin';

const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Versioned URLs never change content: a year, and no revalidation. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Set on every answer of the router, the page and its files alike (an SVG
 * opened on its own is a document too), replacing whatever the app's
 * defaults put there before.
 */
function setConsoleHeaders(res: Response, cacheControl: string): void {
  res.setHeader('Content-Security-Policy', CONSOLE_CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', cacheControl);
}

/** res.send answers 304 itself when the request's If-None-Match names this ETag. */
function sendFile(res: Response, file: Asset): void {
  res.setHeader('Content-Type', file.contentType);
  res.setHeader('ETag', file.etag);
  res.send(file.body);
}

export function consoleRoutes(): Router {
  const { version, assets } = loadAssets();
  const base = `${MOUNT_PATH}/assets/${version}`;
  const html = Buffer.from(renderPage({ base, modules: [...assets.keys()].filter((name) => name.endsWith('.mjs')) }), 'utf8');
  const page: Asset = { body: html, contentType: 'text/html; charset=utf-8', etag: etagOf(html) };

  const router = Router();

  // no-cache, not no-store: the page is revalidated on every visit (so a
  // deploy's new asset version is picked up at once) but answered 304 when
  // unchanged.
  router.get('/', (_req, res) => {
    setConsoleHeaders(res, 'no-cache');
    sendFile(res, page);
  });

  // `/assets/<version>/<path>`. Only the current version is served: an old
  // page asking for files of another version would otherwise mix old and
  // new modules. The lookup is an exact match in the catalogue, so no
  // request path ever reaches the file system.
  router.get('/assets/*path', (req, res) => {
    const [requested, ...rest] = req.params.path;
    const file = requested === version ? assets.get(rest.join('/')) : undefined;
    if (file === undefined) {
      setConsoleHeaders(res, 'no-store');
      res.status(404).type('text/plain').send('Not found');
      return;
    }
    setConsoleHeaders(res, IMMUTABLE);
    sendFile(res, file);
  });

  return router;
}
