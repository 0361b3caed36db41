import { startBcryptCeiling } from '../baselines/bcrypt-ceiling';
import { seededAccountCount } from '../dataset/samples';
import { sampleCpu, waitForQuiet, type CpuReport } from '../measure/cpu';
import { newClusters } from '../load/bodies';
import { median, ratio } from '../report/stats';
import { CONNECTIONS, SEED_PASSWORD } from '../settings';
import { bindingCount, measure, microsecondsPerRequest, type Harness, type Measured, type Quiet } from './harness';

/**
 * `register`: new clusters of 1 to 16 nodes for accounts drawn from the
 * seeded ones, at full speed. Each run is paired with a measurement of raw
 * bcrypt.compare (the configured cost, 4 in flight, in its own process on the
 * same cores), the ceiling: every registration pays exactly one compare.
 */
export interface BcryptMeasurement {
  comparesPerSecond: number;
  compares: number;
  seconds: number;
  cpu: CpuReport;
  quiet: Quiet;
}

export interface RegisterPair {
  ceiling: BcryptMeasurement;
  api: Measured;
  ratio: number;
  /** bcrypt's CPU per compare over the API's CPU per registration: the share of the API's work that is bcrypt. */
  cpuNormalisedRatio: number;
}

export interface RegisterComparison {
  bindings: number;
  accounts: number;
  connections: number;
  bcryptCost: number;
  inFlight: number;
  pairs: RegisterPair[];
  median: {
    apiRps: number;
    ceilingPerSecond: number;
    ratio: number;
    cpuNormalisedRatio: number;
    apiMillisecondsCpuPerRequest: number;
    bcryptMillisecondsCpuPerCompare: number;
    apiP50: number;
    apiP99: number;
    nodesPerSecond: number;
  };
}

/** CPU milliseconds (all threads of the ceiling process) per compare. */
function cpuPerCompare(m: BcryptMeasurement): number {
  return (((m.cpu['bcrypt ceiling'] ?? Number.NaN) / 100) * m.seconds * 1000) / Math.max(m.compares, 1);
}

/** Average nodes per request of newClusters (uniform 1..16). */
const MEAN_CLUSTER = 8.5;

/** `alongside`: other processes of the service that run during the pairs (the webhooks scenario's worker), counted by name. */
export async function measureRegister(
  harness: Harness,
  label: string,
  alongside: Record<string, number> = {},
): Promise<RegisterComparison> {
  const { durations } = harness;
  const bindings = await bindingCount(harness);
  const accounts = await seededAccountCount(harness.db);
  const source = newClusters(accounts);
  const ceiling = await startBcryptCeiling(harness.bcryptCost, SEED_PASSWORD);
  try {
    const compare = async (seconds: number): Promise<BcryptMeasurement> => {
      const quiet = await waitForQuiet(harness.durations.quietWaitSeconds);
      const cpu = sampleCpu({ 'bcrypt ceiling': ceiling.pid, ...harness.storePids });
      const result = await ceiling.measure(seconds);
      return { ...result, cpu: cpu.stop(), quiet };
    };
    const run = (seconds: number) =>
      measure(
        harness,
        {
          label: `${label} api`,
          url: harness.api.url,
          path: '/v1/registrations',
          connections: CONNECTIONS.register,
          seconds,
          timeoutSeconds: 30,
          next: source,
        },
        { api: harness.api.pid, ...alongside },
      );
    harness.log(
      `${label}: warming up bcrypt (cost ${ceiling.cost}, ${durations.warmupSeconds} s) and the API (${durations.registerWarmupSeconds} s)`,
    );
    await compare(durations.warmupSeconds);
    await run(durations.registerWarmupSeconds);
    const pairs: RegisterPair[] = [];
    for (let pair = 1; pair <= durations.pairs; pair++) {
      const bcrypt = await compare(durations.registerRunSeconds);
      const api = await run(durations.registerRunSeconds);
      pairs.push({
        ceiling: bcrypt,
        api,
        ratio: ratio(api.rps, bcrypt.comparesPerSecond),
        cpuNormalisedRatio: ratio(cpuPerCompare(bcrypt), microsecondsPerRequest(api, 'api') / 1000),
      });
      harness.log(
        `${label} pair ${pair}: bcrypt ${bcrypt.comparesPerSecond.toFixed(1)}/s, API ${api.rps.toFixed(1)} req/s (${(ratio(api.rps, bcrypt.comparesPerSecond) * 100).toFixed(0)}%)`,
      );
    }
    const apiRps = median(pairs.map((p) => p.api.rps));
    return {
      bindings,
      accounts,
      connections: CONNECTIONS.register,
      bcryptCost: ceiling.cost,
      inFlight: ceiling.inFlight,
      pairs,
      median: {
        apiRps,
        ceilingPerSecond: median(pairs.map((p) => p.ceiling.comparesPerSecond)),
        ratio: median(pairs.map((p) => p.ratio)),
        cpuNormalisedRatio: median(pairs.map((p) => p.cpuNormalisedRatio)),
        apiMillisecondsCpuPerRequest: median(pairs.map((p) => microsecondsPerRequest(p.api, 'api') / 1000)),
        bcryptMillisecondsCpuPerCompare: median(pairs.map((p) => cpuPerCompare(p.ceiling))),
        apiP50: median(pairs.map((p) => p.api.latencyMs.p50)),
        apiP99: median(pairs.map((p) => p.api.latencyMs.p99)),
        nodesPerSecond: apiRps * MEAN_CLUSTER,
      },
    };
  } finally {
    await ceiling.stop();
  }
}

/**
 * Registration latency at a fixed rate (half the measured top rate, 4
 * connections: one per bcrypt thread), where latency is service time rather
 * than time queued for bcrypt; the growth comparison uses it.
 */
export async function measureRegisterAtRate(harness: Harness, label: string, rate: number): Promise<Measured & { bindings: number }> {
  const bindings = await bindingCount(harness);
  const source = newClusters(await seededAccountCount(harness.db));
  const result = await measure(harness, {
    label,
    url: harness.api.url,
    path: '/v1/registrations',
    connections: 4,
    overallRate: Math.max(1, Math.round(rate)),
    seconds: harness.durations.runSeconds,
    timeoutSeconds: 30,
    next: source,
  });
  harness.log(
    `${label}: ${result.rps.toFixed(1)} req/s, p50 ${result.latencyMs.p50.toFixed(1)} ms, p99 ${result.latencyMs.p99.toFixed(1)} ms`,
  );
  return { ...result, bindings };
}
