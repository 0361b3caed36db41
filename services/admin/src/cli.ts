import { ConfigError, loadConfig, type Config } from '#shared/config/env';
import { migrate } from '#shared/storage/mysql/migrate';
import { parseCommandLine, USAGE } from './command-line';
import { createAdminDeps } from './deps';
import { runCommand, type Report } from './run-command';

/**
 * The vendor staff's command line: parse, connect, run one command, print,
 * exit. stdout carries only the command's JSON, so it can be piped; every
 * error or warning is one line on stderr.
 */
/** The first line of a stream, without its line break. */
async function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
}

async function main(argv: readonly string[]): Promise<Report> {
  const parsed = parseCommandLine(argv);
  if (!parsed.ok) {
    return { exitCode: 2, messages: [...parsed.problems.map((problem) => `error: ${problem}`), 'usage: npm run --silent cli -- help'] };
  }
  let { invocation } = parsed;
  if (invocation.command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return { exitCode: 0, messages: [] };
  }
  // A password typed into a shell lands in its history: staff:create reads it from stdin when not given.
  if (invocation.command === 'staff:create' && invocation.input.password === undefined) {
    invocation = { ...invocation, input: { ...invocation.input, password: await readLine(process.stdin) } };
  }

  let config: Readonly<Config>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) return { exitCode: 2, messages: [`error: ${oneLine(error)}`] };
    throw error;
  }
  // Like the API at start-up, so the CLI works on a fresh database before the API ever ran.
  if (config.migrateOnStart) {
    try {
      await migrate(config.mysqlUrl);
    } catch (error) {
      return { exitCode: 1, messages: [`error: could not prepare the database: ${oneLine(error)}`] };
    }
  }
  const deps = createAdminDeps(config);
  try {
    return await runCommand(deps, invocation);
  } finally {
    await deps.close().catch(() => undefined);
  }
}

/**
 * Exits explicitly with the command's code; stdout and stderr are written
 * synchronously to files and pipes on Linux, so nothing printed is lost.
 */
main(process.argv.slice(2)).then(
  (report) => {
    if (report.output !== undefined) process.stdout.write(`${JSON.stringify(report.output, null, 2)}\n`);
    for (const line of report.messages) process.stderr.write(`${line}\n`);
    process.exit(report.exitCode);
  },
  (error: unknown) => {
    process.stderr.write(`error: ${oneLine(error)}\n`);
    process.exit(1);
  },
);
