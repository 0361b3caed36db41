/**
 * Long tests (seconds of load against a cluster, faults injected) run in CI
 * and by default; a developer can skip them locally with SKIP_LONG_TESTS=1.
 * A suite opts in by calling `skipWhenLongTestsAreOff(this)` in its `before`.
 */
export const isLongTestsOff = process.env.SKIP_LONG_TESTS === '1';

export function skipWhenLongTestsAreOff(context: Mocha.Context): void {
  if (isLongTestsOff) context.skip();
}
