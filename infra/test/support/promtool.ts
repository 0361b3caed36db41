import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '#shared/paths';

const TOOLS = path.join(REPO_ROOT, '.regcloud', 'tools', 'prometheus');
const EXTRACTED = path.join(TOOLS, 'usr', 'bin', 'promtool');

function onPath(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/**
 * promtool from Debian's `prometheus` package. When none is installed, the
 * package is downloaded with apt and only unpacked into .regcloud/tools/
 * (ignored by git): `apt-get install` would run its maintainer scripts, which
 * may start a Prometheus server on :9090; unpacking runs nothing.
 */
export function ensurePromtool(): string {
  const installed = onPath();
  if (installed !== undefined) return installed;
  if (existsSync(EXTRACTED)) return EXTRACTED;
  const download = mkdtempSync(path.join(tmpdir(), 'regcloud-prometheus-'));
  try {
    const fetchDeb = () => spawnSync('apt-get', ['download', 'prometheus'], { cwd: download, stdio: 'ignore' }).status === 0;
    if (!fetchDeb()) {
      // A fresh machine has no package lists yet.
      execFileSync('apt-get', ['update'], { stdio: 'ignore' });
      if (!fetchDeb()) throw new Error('apt-get download prometheus failed');
    }
    const deb = readdirSync(download).find((name) => name.endsWith('.deb'));
    if (deb === undefined) throw new Error('apt-get download prometheus left no .deb');
    mkdirSync(TOOLS, { recursive: true });
    execFileSync('dpkg-deb', ['-x', path.join(download, deb), TOOLS]);
  } finally {
    rmSync(download, { recursive: true, force: true });
  }
  return EXTRACTED;
}

/** Runs promtool; a failure carries its output, which says what is wrong. */
export function promtool(args: string[], cwd: string): string {
  const run = spawnSync(ensurePromtool(), args, { cwd, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`promtool ${args.join(' ')} failed:\n${run.stdout}${run.stderr}`);
  return run.stdout;
}
