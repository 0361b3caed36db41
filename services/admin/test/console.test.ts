import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import express, { type Express } from 'express';
import request from 'supertest';
import { FALLBACK_CAUSE, NODE_CAUSES, OVERALL_CAUSES } from '#shared/domain/causes';
import { consoleRoutes } from '../src/console';
import { ASSETS_DIR, loadAssets } from '../src/console/assets-catalogue';

/**
 * The console's page and assets over HTTP, with nothing but the console
 * mounted: the Content-Security-Policy the page runs under, that it loads
 * only its own files (each reachable, with its type), and that its scripts
 * parse and build no DOM from markup.
 */

/** Written out, not imported: changing the router's policy must fail here. */
const POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const CONTENT_TYPES: Record<string, RegExp> = {
  '.mjs': /^text\/javascript; charset=utf-8$/,
  '.css': /^text\/css; charset=utf-8$/,
  '.svg': /^image\/svg\+xml/,
};

function consoleApp(): Express {
  const app = express();
  app.use('/admin', consoleRoutes());
  return app;
}

/** `src`/`href` of every script, link and img tag. */
function pageReferences(html: string): string[] {
  const references: string[] = [];
  for (const [tag] of html.matchAll(/<(?:script|link|img)\b[^>]*>/gi)) {
    for (const [, , value] of tag.matchAll(/\s(src|href)="([^"]*)"/gi)) references.push(value as string);
  }
  return references;
}

/** Static imports and re-exports of a module (`from '…'`, `import '…'`), and dynamic imports of a literal. */
function moduleImports(source: string): string[] {
  return [...source.matchAll(/\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(?\s*['"]([^'"]+)['"]/g)].map(
    (match) => (match[1] ?? match[2]) as string,
  );
}

function stylesheetUrls(source: string): string[] {
  return [...source.matchAll(/url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]/g)]
    .map((match) => (match[1] ?? match[2]) as string)
    .filter((url) => !url.startsWith('data:'));
}

describe('the staff console', function () {
  const { version, assets } = loadAssets();
  const base = `/admin/assets/${version}/`;
  let app: Express;

  before(function () {
    app = consoleApp();
  });

  describe('GET /admin/', function () {
    it('answers the page as HTML under the console Content-Security-Policy, revalidated on every visit', async function () {
      const response = await request(app).get('/admin/');
      assert.equal(response.status, 200);
      assert.match(response.headers['content-type'] ?? '', /^text\/html; charset=utf-8$/);
      assert.equal(response.headers['content-security-policy'], POLICY);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.equal(response.headers['cache-control'], 'no-cache');

      const again = await request(app)
        .get('/admin/')
        .set('If-None-Match', response.headers.etag ?? '');
      assert.equal(again.status, 304);
    });

    it('holds no inline script, style or event handler and no URL of another origin', async function () {
      const { text: html } = await request(app).get('/admin/');
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
      assert.ok(scripts.length > 0, 'the page loads a script');
      for (const [, attributes, body] of scripts) {
        assert.match(attributes ?? '', /\ssrc="/, 'every script is loaded from a file');
        assert.equal((body ?? '').trim(), '', 'no inline script');
      }
      assert.doesNotMatch(html, /<style\b/i);
      assert.doesNotMatch(html, /\sstyle\s*=/i);
      assert.doesNotMatch(html, /\son[a-z]+\s*=/i);
      assert.doesNotMatch(html, /https?:\/\//i);
      assert.doesNotMatch(html, /javascript:/i);
    });

    it('loads only its own versioned assets, every one served with its type and cached for good', async function () {
      const { text: html } = await request(app).get('/admin/');
      const fromPage = pageReferences(html).filter((reference) => !reference.startsWith('#'));
      assert.ok(fromPage.includes(`${base}app.mjs`) && fromPage.includes(`${base}console.css`), 'the entry module and the stylesheet');

      // Walk the module graph and the stylesheet's URLs from what the page names.
      const queue = [...fromPage];
      const seen = new Set<string>();
      while (queue.length > 0) {
        const url = queue.shift() as string;
        if (seen.has(url)) continue;
        seen.add(url);
        assert.ok(url.startsWith(base), `${url} is one of the console's assets`);
        const response = await request(app).get(url);
        assert.equal(response.status, 200, url);
        const type = CONTENT_TYPES[path.extname(url)];
        assert.ok(type !== undefined, `${url} has a known type`);
        assert.match(response.headers['content-type'] ?? '', type, url);
        assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable', url);
        const body = Buffer.isBuffer(response.body) ? response.body.toString('utf8') : response.text;
        const linked = url.endsWith('.mjs') ? moduleImports(body) : url.endsWith('.css') ? stylesheetUrls(body) : [];
        for (const reference of linked) queue.push(new URL(reference, `http://console.invalid${url}`).pathname);
      }

      // Every file in the folder is reached: none is left behind unused.
      assert.deepEqual([...seen].sort(), [...assets.keys()].map((name) => base + name).sort());
    });

    it('answers 404 for an unknown asset, another version and a path out of the assets folder', async function () {
      for (const url of [
        `${base}nothing.mjs`,
        `${base}views`,
        '/admin/assets/0123456789abcdef/app.mjs',
        '/admin/assets/app.mjs',
        `${base}../index.ts`,
        `${base}..%2F..%2Findex.ts`,
        `${base}%2e%2e/assets-catalogue.ts`,
      ]) {
        const response = await request(app).get(url);
        assert.equal(response.status, 404, url);
        assert.equal(response.headers['content-security-policy'], POLICY, url);
      }
    });

    it('leaves every other path under /admin to the routes mounted after it', async function () {
      const mounted = consoleApp();
      mounted.get('/admin/healthz', (_req, res) => {
        res.json({ status: 'ok' });
      });
      mounted.post('/admin/api/v1/sessions', (_req, res) => {
        res.status(401).json({ error: { code: 'UNAUTHENTICATED', message: 'no' } });
      });
      assert.equal((await request(mounted).get('/admin/healthz')).status, 200);
      assert.equal((await request(mounted).post('/admin/api/v1/sessions')).status, 401);
    });
  });

  describe('assets', function () {
    const scripts = [...assets.keys()].filter((name) => name.endsWith('.mjs'));

    it('every script parses as an ES module (node --check)', function () {
      assert.ok(scripts.length > 0);
      for (const name of scripts) {
        execFileSync(process.execPath, ['--check', path.join(ASSETS_DIR, name)], { stdio: 'pipe' });
      }
    });

    it('no script builds DOM from markup or evaluates strings', function () {
      for (const name of scripts) {
        const source = assets.get(name)?.body.toString('utf8') ?? '';
        assert.doesNotMatch(source, /\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|\beval\(|new Function\b/, name);
      }
    });

    it('shows the node contract’s exact cause messages (the same table the API answers from)', async function () {
      const expected: Record<string, string> = { [FALLBACK_CAUSE.code]: FALLBACK_CAUSE.message };
      for (const [code, { message }] of [...Object.entries(OVERALL_CAUSES), ...Object.entries(NODE_CAUSES)]) expected[code] = message;
      const module = (await import(pathToFileURL(path.join(ASSETS_DIR, 'causes.mjs')).href)) as { CAUSE_MESSAGES: unknown };
      assert.deepEqual({ ...(module.CAUSE_MESSAGES as Record<string, string>) }, expected);
    });
  });
});
