import { parseArgs } from 'node:util';
import { startRedisCluster } from '#shared/testing/redis-cluster';
import { clean } from './dataset/clean';
import { seed } from './dataset/seed';
import { writeResult } from './report/results';
import {
  fullRunTable,
  loadTable,
  profileComparison,
  mixedReport,
  profileReport,
  registerReport,
  seedReport,
  stormReport,
  verifyReport,
} from './report/summary';
import { fullRun } from './scenarios/full-run';
import { closeHarness, configuredBcryptCost, log, measure, openHarness, type Harness } from './scenarios/harness';
import { ADMIN_P99_TARGET_MS, measureAdmin } from './scenarios/admin';
import { measureMixed } from './scenarios/mixed';
import { PROFILED_KINDS, profileRun } from './scenarios/profile';
import { measureRegister } from './scenarios/register';
import { measureStorm } from './scenarios/storm';
import { measureWebhooks } from './scenarios/webhooks';
import { heartbeatSource, measureVerify, measureVerifyAtRate } from './scenarios/verify';
import { BENCH_NAMESPACE, CONNECTIONS, FULL, FULL_NAMESPACE, SHORT, type Durations, type Namespace } from './settings';

/**
 * `npm run load -- <command> [options]`. Each scenario command tops the data
 * set up to --bindings (default 1,000; seeding never deletes), starts the API
 * as its own process, measures, prints and writes results/<command>-*.json.
 */
const USAGE = `usage: npm run load -- <command> [options]

commands
  verify      heartbeats vs the bare express ceiling (3 pairs), then latency at half the top rate
  register    new clusters of 1-16 nodes vs the raw bcrypt ceiling (3 pairs)
  storm       every node of many accounts re-registering at once (--accounts, default 2,000)
  mixed       the realistic blend (README), heartbeats at --rate (default: half the measured top rate)
  latency     heartbeats at a fixed --rate (default: half the measured top rate), 10 connections
  profile     a run against a process started with --cpu-prof: profile <verify|register|bare-express>
  seed        bulk-load --bindings (default 1,000,000) straight into MySQL and Redis; reports time and Redis memory
  all         the full run recorded in RESULTS.md (starts from an empty data set)
  admin       the staff service: searches, list pages and account pages at 20 staff at once (p99 <= 50 ms)
  webhooks    register vs bcrypt while the worker delivers to a local receiver, then a storm of --accounts
              new clusters (default 2,000) and the time until every event it produced is delivered (<= 60 s)
  clean       drop the load database and every key under the load prefix

options
  --bindings N   data set size to top up to (scenarios: 1,000; seed: 1,000,000)
  --short        the short durations of npm run bench
  --bench        use the bench namespace (regcloud_load_bench, rcloadbench:) instead of regcloud_load, rcload:
  --rate N       fixed heartbeat rate for latency and mixed
  --accounts N   clusters in a storm
  --seconds N    length of each measurement
  --cluster      start a local Redis Cluster (3 masters, a replica each) for the run and stop it after;
                 REDIS_CLUSTER_NODES=host:port,... uses an existing one instead`;

interface Options {
  ns: Namespace;
  durations: Durations;
  bindings: number | undefined;
  rate: number | undefined;
  accounts: number | undefined;
  isLocalCluster: boolean;
}

function parse(): { command: string; rest: string[]; options: Options } {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      bindings: { type: 'string' },
      short: { type: 'boolean', default: false },
      bench: { type: 'boolean', default: false },
      rate: { type: 'string' },
      accounts: { type: 'string' },
      seconds: { type: 'string' },
      cluster: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const number = (text: string | undefined) => (text === undefined ? undefined : Number(text.replace(/[_,]/g, '')));
  const base = values.short ? SHORT : FULL;
  const seconds = number(values.seconds);
  return {
    command: values.help ? 'help' : (positionals[0] ?? 'help'),
    rest: positionals.slice(1),
    options: {
      ns: values.bench ? BENCH_NAMESPACE : FULL_NAMESPACE,
      durations: seconds
        ? { ...base, runSeconds: seconds, registerRunSeconds: seconds, mixedSeconds: seconds, profileSeconds: seconds }
        : base,
      bindings: number(values.bindings),
      rate: number(values.rate),
      accounts: number(values.accounts),
      isLocalCluster: values.cluster,
    },
  };
}

/** Tops the data set up (never down) and opens the API on it. */
async function prepare(options: Options): Promise<Harness> {
  const report = await seed(options.ns, options.bindings ?? options.durations.smallBindings, {
    bcryptCost: configuredBcryptCost(options.ns),
    log,
  });
  if (report.bindingsAdded > 0) console.log(seedReport(report));
  return openHarness(options.ns, options.durations);
}

/** Half the API's top heartbeat rate, from one saturating run, unless --rate says. */
async function halfTopRate(harness: Harness, options: Options): Promise<number> {
  if (options.rate) return options.rate;
  const { source } = await heartbeatSource(harness);
  const top = await measure(harness, {
    label: 'verify top rate',
    url: harness.api.url,
    path: '/v1/verifications',
    connections: CONNECTIONS.verify,
    seconds: harness.durations.runSeconds,
    next: source,
  });
  console.log(loadTable([top]));
  return top.rps / 2;
}

async function withHarness(options: Options, work: (harness: Harness) => Promise<void>): Promise<void> {
  const harness = await prepare(options);
  try {
    await work(harness);
  } finally {
    await closeHarness(harness);
  }
}

function saved(name: string, result: unknown): void {
  console.log(`result: ${writeResult(name, result)}`);
}

async function main(): Promise<void> {
  const { command, rest, options } = parse();
  if (!options.isLocalCluster) return run(command, rest, options);
  // A fresh cluster holds nothing: seeding tops up MySQL only, so accounts already seeded there load into Redis on first use.
  const cluster = await startRedisCluster();
  log(`local Redis Cluster on ${cluster.seeds}`);
  try {
    await run(command, rest, { ...options, ns: { ...options.ns, redisClusterNodes: cluster.seeds } });
  } finally {
    await cluster.stop();
  }
}

async function run(command: string, rest: string[], options: Options): Promise<void> {
  switch (command) {
    case 'verify':
      return withHarness(options, async (harness) => {
        const verify = await measureVerify(harness, 'verify');
        console.log(verifyReport(verify));
        const atRate = await measureVerifyAtRate(harness, `verify at ${Math.round(verify.median.apiRps / 2)}/s`, verify.median.apiRps / 2);
        console.log(loadTable([atRate]));
        saved('verify', { verify, atHalfTopRate: atRate });
      });
    case 'register':
      return withHarness(options, async (harness) => {
        const register = await measureRegister(harness, 'register');
        console.log(registerReport(register));
        saved('register', register);
      });
    case 'storm':
      return withHarness(options, async (harness) => {
        const storm = await measureStorm(harness, 'storm', options.accounts ?? options.durations.stormAccounts);
        console.log(stormReport(storm));
        saved('storm', storm);
      });
    case 'admin':
      return withHarness(options, async (harness) => {
        const admin = await measureAdmin(harness, options.durations.mixedSeconds);
        console.log(loadTable(admin.streams));
        const missed = admin.streams.filter((stream) => stream.latencyMs.p99 > ADMIN_P99_TARGET_MS || stream.errorCount > 0);
        console.log(
          missed.length === 0
            ? `every stream within p99 <= ${ADMIN_P99_TARGET_MS} ms`
            : `over target: ${missed.map((stream) => stream.label).join(', ')}`,
        );
        saved('admin', admin);
      });
    case 'webhooks':
      return withHarness(options, async (harness) => {
        const webhooks = await measureWebhooks(harness, options.accounts ?? options.durations.stormAccounts);
        console.log(registerReport(webhooks.register));
        console.log(loadTable([webhooks.storm]));
        console.log(
          `events ${String(webhooks.events)}, delivered ${String(webhooks.delivered)}, within ${webhooks.deliveredWithinSeconds.toFixed(1)} s of the storm's end (target <= 60 s)`,
        );
        saved('webhooks', webhooks);
      });
    case 'mixed':
      return withHarness(options, async (harness) => {
        const mixed = await measureMixed(harness, 'mixed', await halfTopRate(harness, options), options.durations.mixedSeconds);
        console.log(mixedReport(mixed));
        saved('mixed', mixed);
      });
    case 'latency':
      return withHarness(options, async (harness) => {
        const rate = await halfTopRate(harness, options);
        const atRate = await measureVerifyAtRate(harness, `verify at ${Math.round(rate)}/s`, rate);
        console.log(loadTable([atRate]));
        saved('latency', atRate);
      });
    case 'profile': {
      const kind = PROFILED_KINDS.find((known) => known === rest[0]);
      if (!kind) throw new Error(`usage: npm run load -- profile <${PROFILED_KINDS.join('|')}>`);
      return withHarness(options, async (harness) => {
        const profiled = await profileRun(harness, kind, options.durations.profileSeconds || options.durations.runSeconds);
        console.log(loadTable([profiled.load]));
        console.log(`main thread CPU per request: ${profiled.busyMicrosecondsPerRequest.toFixed(0)} µs`);
        console.log(profileReport(kind, profiled.profile));
        saved(`profile-${kind}`, profiled);
      });
    }
    case 'seed': {
      const report = await seed(options.ns, options.bindings ?? FULL.largeBindings, { bcryptCost: configuredBcryptCost(options.ns), log });
      console.log(
        report.bindingsAdded > 0
          ? seedReport(report)
          : `seed: already ${report.accountsBefore.toLocaleString('en-US')} accounts (${report.bindingsTotal.toLocaleString('en-US')} bindings); nothing to add`,
      );
      saved('seed', report);
      return;
    }
    case 'all': {
      const result = await fullRun(options.ns, options.durations);
      for (const p of result.profiles) console.log(`\n${profileReport(p.kind, p.profile)}`);
      const [api, bare] = [result.profiles.find((p) => p.kind === 'verify'), result.profiles.find((p) => p.kind === 'bare-express')];
      if (api && bare) console.log(`\n${profileComparison(api, bare)}`);
      console.log(`\n${fullRunTable(result)}`);
      saved(`all-${options.durations.name}`, result);
      return;
    }
    case 'clean': {
      const removed = await clean(options.ns);
      console.log(`clean: dropped database ${removed.database}, removed ${removed.keysRemoved} keys under ${options.ns.keyPrefix}`);
      return;
    }
    default:
      console.log(USAGE);
      if (command !== 'help') process.exitCode = 2;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
