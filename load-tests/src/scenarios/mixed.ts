import { sampleBoundMachines, sampleClusters, seededAccountCount } from '../dataset/samples';
import { forgedHeartbeats, heartbeats, newClusters, reRegistrations, releasedHeartbeats } from '../load/bodies';
import { runLoad, type LoadResult, type LoadSpec } from '../load/run-load';
import { sampleCpu, waitForQuiet, type CpuReport } from '../measure/cpu';
import { bindingCount, type Harness } from './harness';
import { HEARTBEAT_POOL } from './verify';

/**
 * `mixed`: the realistic blend, all streams at once against one API for the
 * same time, each at its own fixed rate:
 *
 * - heartbeats of bound nodes at `rate` (half the measured top rate in a full
 *   run): a million nodes every ~3 minutes is ~5,500/s across a fleet of such
 *   processes;
 * - 0.5% of that: heartbeats with a forged token (refused before any store);
 * - 0.5%: heartbeats of released bindings (valid-looking token, no binding:
 *   Redis misses, MySQL confirms) - nodes staff released that still run;
 * - 1 new cluster (1-16 nodes) per second and 1 whole-cluster re-registration
 *   per second: about 0.1% of requests, yet each costs a bcrypt compare, so
 *   this shows how logins disturb heartbeat latency.
 *
 * Each stream reports its own latency; CPU is counted over the whole blend.
 */
export interface MixedResult {
  bindings: number;
  seconds: number;
  streams: LoadResult[];
  totalRps: number;
  cpu: CpuReport;
  quiet: { waitedSeconds: number; lastBusyPercent: number };
}

export async function measureMixed(harness: Harness, label: string, rate: number, seconds: number): Promise<MixedResult> {
  const bindings = await bindingCount(harness);
  const accounts = await seededAccountCount(harness.db);
  const machines = await sampleBoundMachines(harness.db, harness.tokens, HEARTBEAT_POOL);
  const clusters = await sampleClusters(harness.db, harness.tokens, 500);
  const minority = Math.max(1, Math.round(rate * 0.005));
  const stream = (name: string, spec: Omit<LoadSpec, 'label' | 'url' | 'seconds'>) =>
    runLoad({ label: `${label} ${name}`, url: harness.api.url, seconds, ...spec });

  harness.log(
    `${label}: heartbeats at ${Math.round(rate)}/s, forged and released at ${minority}/s each, 1 new cluster and 1 re-registration per second, for ${seconds} s`,
  );
  const quiet = await waitForQuiet(harness.durations.quietWaitSeconds);
  const cpu = sampleCpu({ api: harness.api.pid, ...harness.storePids }, ['api']);
  const streams = await Promise.all([
    stream('heartbeats', { path: '/v1/verifications', connections: 10, overallRate: Math.round(rate), next: heartbeats(machines) }),
    stream('forged-token heartbeats', {
      path: '/v1/verifications',
      connections: 1,
      overallRate: minority,
      expectedStatus: 409,
      next: forgedHeartbeats(machines),
    }),
    stream('released-binding heartbeats', {
      path: '/v1/verifications',
      connections: 1,
      overallRate: minority,
      expectedStatus: 409,
      next: releasedHeartbeats(harness.tokens, accounts),
    }),
    stream('new clusters', { path: '/v1/registrations', connections: 1, overallRate: 1, timeoutSeconds: 30, next: newClusters(accounts) }),
    stream('re-registrations', {
      path: '/v1/registrations',
      connections: 1,
      overallRate: 1,
      timeoutSeconds: 30,
      next: reRegistrations(clusters),
    }),
  ]);
  const report = cpu.stop();
  const totalRps = streams.reduce((sum, s) => sum + s.rps, 0);
  for (const s of streams)
    harness.log(
      `${s.label}: ${s.rps.toFixed(1)} req/s, p50 ${s.latencyMs.p50.toFixed(2)} ms, p99 ${s.latencyMs.p99.toFixed(2)} ms, ${s.errorCount} errors`,
    );
  return { bindings, seconds, streams, totalRps, cpu: report, quiet };
}
