import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '#shared/paths';
import { RESULTS_DIR } from '../settings';

/** The machine a run measured on, recorded with every result. */
export function machine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
  };
}

/** The code measured: others edit the service while runs happen, so the commit alone does not say it. */
export function codeVersion(): { commit: string; uncommittedFiles: number } {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  try {
    return {
      commit: git('rev-parse', '--short', 'HEAD'),
      uncommittedFiles: git('status', '--porcelain', '--', 'services', 'shared', 'infra').split('\n').filter(Boolean).length,
    };
  } catch {
    return { commit: 'unknown', uncommittedFiles: -1 };
  }
}

/** Writes `results/<name>-<timestamp>.json` and `results/<name>-latest.json`; returns the first. */
export function writeResult(name: string, result: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const text = `${JSON.stringify({ scenario: name, writtenAt: new Date().toISOString(), machine: machine(), code: codeVersion(), result }, null, 2)}\n`;
  const file = path.join(RESULTS_DIR, `${name}-${stamp}.json`);
  writeFileSync(file, text);
  writeFileSync(path.join(RESULTS_DIR, `${name}-latest.json`), text);
  return file;
}
