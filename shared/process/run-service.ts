import { ConfigError } from '#shared/config/env';
import type { Logger } from '#shared/log/logger';

/**
 * Graceful stop shared by every long-running process: on SIGTERM or SIGINT,
 * `drain` is told at once (readiness answers 503 from then on), the process
 * keeps serving for `drainMs` so load balancers stop sending to it, then
 * `stop` finishes the work in flight and closes connections; the process
 * exits 0 when it did, 1 when it failed or overran `graceMs` after the drain.
 */
export function stopOnSignals(options: {
  logger: Logger;
  graceMs: number;
  what: string;
  stop: () => Promise<void>;
  drain?: () => void;
  drainMs?: number;
}): void {
  let isStopping = false;
  const onSignal = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    options.drain?.();
    const drainMs = options.drainMs ?? 0;
    options.logger.info({ signal, drainMs }, `stopping: ${options.what}`);
    const deadline = setTimeout(() => process.exit(1), drainMs + options.graceMs);
    deadline.unref();
    new Promise<void>((resolve) => setTimeout(resolve, drainMs)).then(options.stop).then(
      () => process.exit(0),
      (error: unknown) => {
        options.logger.error({ err: error }, 'could not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

/** Runs a process's `main`; a start-up failure is one line on stderr and exit code 1. */
export function runService(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const reason =
      error instanceof ConfigError ? error.message : `${name} failed to start: ${error instanceof Error ? error.message : String(error)}`;
    console.error(reason);
    process.exit(1);
  });
}
