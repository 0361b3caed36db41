import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '#shared/paths';
import { RUN_KEY_PREFIX, RUN_MYSQL_URL, runRedisEnv } from '#shared/testing/test-environment';

/**
 * Runs the compiled staff CLI as its own process, exactly as staff (and the
 * acceptance suite) do, against this test run's database and key prefix.
 */
export const CLI_PATH = path.join(REPO_ROOT, 'dist', 'services', 'admin', 'src', 'cli.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON; fails the test when it is not. */
  json(): unknown;
}

export function runEnvironment(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    MYSQL_URL: RUN_MYSQL_URL,
    ...runRedisEnv(),
    REDIS_KEY_PREFIX: RUN_KEY_PREFIX,
    BCRYPT_COST: '4',
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}

export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: REPO_ROOT,
      env: runEnvironment(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout,
        stderr,
        json() {
          try {
            return JSON.parse(stdout) as unknown;
          } catch {
            throw new Error(`stdout is not JSON (exit ${code}): ${stdout}\nstderr: ${stderr}`);
          }
        },
      }),
    );
  });
}

/** The lines a run wrote to stderr, without the trailing empty one. */
export function stderrLines(run: CliRun): string[] {
  return run.stderr.split('\n').filter((line) => line.length > 0);
}
