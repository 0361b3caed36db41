import { writeResult } from './report/results';
import { fullRunTable } from './report/summary';
import { fullRun } from './scenarios/full-run';
import { BENCH_NAMESPACE, SHORT } from './settings';

/**
 * `npm run bench`: the whole run with short durations (1,000 then 100,000
 * bindings, 3 s runs, no profiling) in its own namespace, so it never touches
 * a full run's data; about 2-3 minutes, one table.
 */
async function main(): Promise<void> {
  const result = await fullRun(BENCH_NAMESPACE, SHORT);
  console.log(`\n${fullRunTable(result)}`);
  console.log(`\nresult: ${writeResult('bench', result)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
