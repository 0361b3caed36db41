import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root (the folder holding package.json), whether run from sources or from dist/. */
function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot(__dirname);
export const MIGRATIONS_DIR = path.join(REPO_ROOT, 'infra', 'migrations');
export const LUA_DIR = path.join(REPO_ROOT, 'shared', 'storage', 'redis', 'lua');
