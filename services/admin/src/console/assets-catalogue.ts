import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '#shared/paths';

/**
 * The console's static files, read once from the source tree (tsc copies
 * nothing but JavaScript into dist/, so they are read where they are kept).
 * They are few and small: holding them in memory lets every answer carry its
 * ETag and the catalogue's version without touching the disk again.
 */
export const ASSETS_DIR = path.join(REPO_ROOT, 'services', 'admin', 'src', 'console', 'assets');

/** Only these are served; any other file in the folder stops start-up rather than going out with a guessed type. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

export interface AssetCatalogue {
  /** A digest of every file: part of each asset URL, so a changed file gets a new URL and old ones can be cached for good. */
  version: string;
  /** By path relative to the assets folder, with `/` separators (`views/login.mjs`). */
  assets: ReadonlyMap<string, Asset>;
}

/** Strong, and changing with the content: a revalidation is answered 304 only for the same bytes. */
export function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
}

export function loadAssets(): AssetCatalogue {
  const names = readdirSync(ASSETS_DIR, { recursive: true, encoding: 'utf8' })
    .filter((name) => statSync(path.join(ASSETS_DIR, name)).isFile())
    .map((name) => name.split(path.sep).join('/'))
    .sort();
  const assets = new Map<string, Asset>();
  const everything = createHash('sha256');
  for (const name of names) {
    const contentType = CONTENT_TYPES[path.extname(name)];
    if (contentType === undefined) throw new Error(`console asset with no known content type: ${name}`);
    const body = readFileSync(path.join(ASSETS_DIR, name));
    assets.set(name, { body, contentType, etag: etagOf(body) });
    everything.update(name).update('\0').update(body).update('\0');
  }
  return { version: everything.digest('hex').slice(0, 16), assets };
}
