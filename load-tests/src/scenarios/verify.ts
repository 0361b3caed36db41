import { startBareExpress } from '../baselines/bare-express';
import { keptLeaseMemory, type KeptLeaseMemory } from '../dataset/lease-memory';
import { sampleBoundMachines, type BoundMachine } from '../dataset/samples';
import { heartbeats, type BodySource } from '../load/bodies';
import { median, ratio } from '../report/stats';
import { CONNECTIONS } from '../settings';
import { bindingCount, measure, microsecondsPerRequest, type Harness, type Measured } from './harness';

/**
 * `verify`: heartbeats of bound nodes at full speed, bodies rotating over up
 * to 200,000 bindings drawn from the whole data set. Each run is paired with
 * one against the bare express ceiling (same connections, same bodies, same
 * route), alternating, after warming both; the figures are the medians of
 * the pairs and the ratio the median of the pairs' ratios.
 */
export interface VerifyPair {
  baseline: Measured;
  api: Measured;
  ratio: number;
  /**
   * Requests per CPU-second of the API over those of the baseline: the ratio
   * of their costs per request, which a busy machine disturbs much less than
   * throughput (shown beside the ratio, never instead of it).
   */
  cpuNormalisedRatio: number;
}

export interface VerifyComparison {
  bindings: number;
  distinctBindingsSent: number;
  /** One heartbeat per binding of the pool before the pairs, signing the leases earlier runs had not. */
  leaseWarmup: Measured;
  /** Redis memory per binding once the warm-up has kept every lease of the pool's accounts. */
  keptLeaseMemory: KeptLeaseMemory;
  connections: number;
  expressVersion: string;
  pairs: VerifyPair[];
  median: {
    apiRps: number;
    baselineRps: number;
    ratio: number;
    cpuNormalisedRatio: number;
    apiMicrosecondsPerRequest: number;
    baselineMicrosecondsPerRequest: number;
    apiP50: number;
    apiP99: number;
    baselineP50: number;
    baselineP99: number;
  };
}

export const HEARTBEAT_POOL = 200_000;

interface HeartbeatPool {
  bindings: number;
  machines: BoundMachine[];
  /** Every machine of the pool has heartbeated once on this harness, so its lease is kept. */
  isWarm: boolean;
}

/**
 * One pool per harness and data set size: the fixed-rate runs heartbeat the
 * machines whose leases the pairs' warm-up signed. A new sample of a large
 * data set would be mostly machines without a kept lease, and would measure
 * signing instead of the steady state.
 */
const pools = new WeakMap<Harness, HeartbeatPool>();

async function heartbeatPool(harness: Harness): Promise<HeartbeatPool> {
  const bindings = await bindingCount(harness);
  const known = pools.get(harness);
  if (known?.bindings === bindings) return known;
  const pool = { bindings, machines: await sampleBoundMachines(harness.db, harness.tokens, HEARTBEAT_POOL), isWarm: false };
  pools.set(harness, pool);
  return pool;
}

export async function heartbeatSource(harness: Harness): Promise<{ source: BodySource; distinct: number }> {
  const { machines } = await heartbeatPool(harness);
  return { source: heartbeats(machines), distinct: machines.length };
}

/**
 * Steady state, as in the field: a node heartbeats every few minutes and its
 * lease lasts days, so all but one heartbeat in hundreds re-use the lease
 * kept beside the binding. One heartbeat per binding of the pool before the
 * pairs signs the leases that earlier runs on this data set have not (its
 * rate, reported, is the cold-start cost: a signature per heartbeat).
 */
async function warmLeases(harness: Harness, label: string, pool: HeartbeatPool): Promise<Measured> {
  const warm = await measure(harness, {
    label: `${label} lease warm-up`,
    url: harness.api.url,
    path: '/v1/verifications',
    connections: CONNECTIONS.verify,
    amount: pool.machines.length,
    next: heartbeats(pool.machines),
  });
  pool.isWarm = true;
  harness.log(`${label}: lease warm-up, one heartbeat per binding of the pool: ${Math.round(warm.rps)} req/s`);
  return warm;
}

export async function measureVerify(harness: Harness, label: string): Promise<VerifyComparison> {
  const { durations } = harness;
  const pool = await heartbeatPool(harness);
  const { bindings } = pool;
  const source = heartbeats(pool.machines);
  const bare = await startBareExpress();
  try {
    const run = (target: 'api' | 'bare express', seconds: number) =>
      measure(
        harness,
        {
          label: `${label} ${target}`,
          url: target === 'api' ? harness.api.url : bare.url,
          path: '/v1/verifications',
          connections: CONNECTIONS.verify,
          seconds,
          next: source,
        },
        target === 'api' ? { api: harness.api.pid } : { 'bare express': bare.pid },
      );
    harness.log(`${label}: warming up the bare express baseline and the API (${durations.warmupSeconds} s each)`);
    await run('bare express', durations.warmupSeconds);
    const leaseWarmup = await warmLeases(harness, label, pool);
    // After the leases are kept, so that the API warms (JIT, heap) on the path the pairs measure: re-using a lease, not signing one.
    await run('api', durations.warmupSeconds);
    const leased = await keptLeaseMemory(
      harness.ns,
      pool.machines.map((machine) => machine.accountId),
    );
    harness.log(`${label}: Redis ${leased.bytesPerBinding.toFixed(0)} bytes per binding with its lease kept (${leased.accounts} accounts)`);
    const pairs: VerifyPair[] = [];
    for (let pair = 1; pair <= durations.pairs; pair++) {
      const baseline = await run('bare express', durations.runSeconds);
      const api = await run('api', durations.runSeconds);
      pairs.push({
        baseline,
        api,
        ratio: ratio(api.rps, baseline.rps),
        cpuNormalisedRatio: ratio(microsecondsPerRequest(baseline, 'bare express'), microsecondsPerRequest(api, 'api')),
      });
      harness.log(
        `${label} pair ${pair}: bare express ${Math.round(baseline.rps)} req/s, API ${Math.round(api.rps)} req/s (${(ratio(api.rps, baseline.rps) * 100).toFixed(0)}%)`,
      );
    }
    return {
      bindings,
      distinctBindingsSent: pool.machines.length,
      leaseWarmup,
      keptLeaseMemory: leased,
      connections: CONNECTIONS.verify,
      expressVersion: bare.expressVersion,
      pairs,
      median: {
        apiRps: median(pairs.map((p) => p.api.rps)),
        baselineRps: median(pairs.map((p) => p.baseline.rps)),
        ratio: median(pairs.map((p) => p.ratio)),
        cpuNormalisedRatio: median(pairs.map((p) => p.cpuNormalisedRatio)),
        apiMicrosecondsPerRequest: median(pairs.map((p) => microsecondsPerRequest(p.api, 'api'))),
        baselineMicrosecondsPerRequest: median(pairs.map((p) => microsecondsPerRequest(p.baseline, 'bare express'))),
        apiP50: median(pairs.map((p) => p.api.latencyMs.p50)),
        apiP99: median(pairs.map((p) => p.api.latencyMs.p99)),
        baselineP50: median(pairs.map((p) => p.baseline.latencyMs.p50)),
        baselineP99: median(pairs.map((p) => p.baseline.latencyMs.p99)),
      },
    };
  } finally {
    await bare.stop();
  }
}

/**
 * Heartbeat latency at a fixed rate (autocannon's rate limit over 10
 * connections). autocannon releases each connection's quota at the start of
 * every second, so the requests of a second arrive in a burst rather than
 * evenly: these percentiles are a pessimistic view of a steady arrival.
 */
export async function measureVerifyAtRate(harness: Harness, label: string, rate: number): Promise<Measured & { bindings: number }> {
  const pool = await heartbeatPool(harness);
  if (!pool.isWarm) await warmLeases(harness, label, pool);
  const result = await measure(harness, {
    label,
    url: harness.api.url,
    path: '/v1/verifications',
    connections: CONNECTIONS.fixedRate,
    overallRate: Math.max(1, Math.round(rate)),
    seconds: harness.durations.runSeconds,
    next: heartbeats(pool.machines),
  });
  harness.log(
    `${label}: ${Math.round(result.rps)} req/s, p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms`,
  );
  return { ...result, bindings: pool.bindings };
}
