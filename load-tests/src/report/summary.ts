import type { SeedReport } from '../dataset/seed';
import type { LoadResult } from '../load/run-load';
import type { CpuReport } from '../measure/cpu';
import type { ProfileSummary } from '../measure/profile';
import type { FullRunResult } from '../scenarios/full-run';
import type { ProfiledRun } from '../scenarios/profile';
import type { MixedResult } from '../scenarios/mixed';
import type { RegisterComparison } from '../scenarios/register';
import type { StormResult } from '../scenarios/storm';
import type { VerifyComparison } from '../scenarios/verify';
import { microsecondsPerRequest } from '../scenarios/harness';
import { ratio } from './stats';
import { formatCounts, table, type Cell } from './table';

/** What the terminal shows for each scenario; the JSON result holds everything. */
const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(2));
const pct = (value: number) => `${(value * 100).toFixed(0)}%`;

function cpuText(cpu: CpuReport): string {
  return Object.entries(cpu)
    .map(([name, percent]) => `${name} ${percent}%`)
    .join(', ');
}

export function loadTable(
  results: ReadonlyArray<LoadResult & { cpu?: CpuReport; quiet?: { waitedSeconds: number; lastBusyPercent: number } }>,
): string {
  const rows: Cell[][] = results.map((r) => [
    r.label,
    r.rps,
    ms(r.latencyMs.p50),
    ms(r.latencyMs.p90),
    ms(r.latencyMs.p99),
    ms(r.latencyMs.max),
    r.requests,
    r.errorCount,
  ]);
  const lines = [table(['run', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'answers', 'errors'], rows)];
  for (const r of results) {
    if (r.errorCount > 0) lines.push(`  errors of ${r.label}: ${formatCounts(r.errors)}`);
    if (r.cpu) lines.push(`  CPU during ${r.label} (% of one core): ${cpuText(r.cpu)}`);
    if (r.quiet && (r.quiet.waitedSeconds > 1.5 || r.quiet.lastBusyPercent >= 15)) {
      lines.push(
        `  (${r.label} started after waiting ${r.quiet.waitedSeconds} s for the machine to quiet down; its last second was ${r.quiet.lastBusyPercent}% busy)`,
      );
    }
  }
  return lines.join('\n');
}

export function verifyReport(v: VerifyComparison): string {
  return [
    `verify: ${v.bindings.toLocaleString('en-US')} bindings in MySQL, ${v.distinctBindingsSent.toLocaleString('en-US')} distinct sent, ${v.connections} connections, express ${v.expressVersion}`,
    loadTable(v.pairs.flatMap((p) => [p.baseline, p.api])),
    `median of ${v.pairs.length} pairs: API ${v.median.apiRps.toFixed(0)} req/s, bare express ${v.median.baselineRps.toFixed(0)} req/s, ratio ${pct(v.median.ratio)} (pairs: ${v.pairs.map((p) => pct(p.ratio)).join(', ')})`,
    `CPU per request: API ${v.median.apiMicrosecondsPerRequest.toFixed(0)} µs, bare express ${v.median.baselineMicrosecondsPerRequest.toFixed(0)} µs; CPU-normalised ratio ${pct(v.median.cpuNormalisedRatio)}`,
    `lease warm-up (one heartbeat per binding of the pool before the pairs; a new lease is signed where none is kept): ${v.leaseWarmup.rps.toFixed(0)} req/s, ${microsecondsPerRequest(v.leaseWarmup, 'api').toFixed(0)} µs CPU per request`,
  ].join('\n');
}

export function registerReport(r: RegisterComparison): string {
  return [
    `register: ${r.bindings.toLocaleString('en-US')} bindings, ${r.accounts.toLocaleString('en-US')} accounts, ${r.connections} connections, bcrypt cost ${r.bcryptCost}, ${r.inFlight} compares in flight`,
    loadTable(r.pairs.map((p) => p.api)),
    ...r.pairs.map(
      (p, i) => `  bcrypt ceiling ${i + 1}: ${p.ceiling.comparesPerSecond.toFixed(1)} compares/s; CPU ${cpuText(p.ceiling.cpu)}`,
    ),
    `median of ${r.pairs.length} pairs: API ${r.median.apiRps.toFixed(1)} req/s (~${r.median.nodesPerSecond.toFixed(0)} nodes/s), bcrypt ${r.median.ceilingPerSecond.toFixed(1)}/s, ratio ${pct(r.median.ratio)} (pairs: ${r.pairs.map((p) => pct(p.ratio)).join(', ')})`,
    `CPU per registration: API ${r.median.apiMillisecondsCpuPerRequest.toFixed(1)} ms (all threads), bcrypt ${r.median.bcryptMillisecondsCpuPerCompare.toFixed(1)} ms per compare; CPU-normalised ratio ${pct(r.median.cpuNormalisedRatio)}`,
  ].join('\n');
}

export function stormReport(s: StormResult): string {
  return [
    `storm: ${s.clusters} clusters, ${s.nodes} nodes re-registered in ${s.completedInSeconds.toFixed(1)} s (${s.nodesPerSecond.toFixed(0)} nodes/s) over ${s.connections} connections; ${s.bindings.toLocaleString('en-US')} bindings`,
    loadTable([s]),
  ].join('\n');
}

export function mixedReport(m: MixedResult): string {
  return [
    `mixed: ${m.bindings.toLocaleString('en-US')} bindings, ${m.seconds} s, ${m.totalRps.toFixed(0)} req/s in all`,
    loadTable(m.streams),
    `  CPU over the blend: ${cpuText(m.cpu)}`,
  ].join('\n');
}

export function seedReport(s: SeedReport): string {
  const lines = [
    `seed: +${s.accountsAdded.toLocaleString('en-US')} accounts, +${s.bindingsAdded.toLocaleString('en-US')} bindings (now ${s.bindingsTotal.toLocaleString('en-US')}) in ${s.seconds.total.toFixed(1)} s ` +
      `(hash ${s.seconds.hash.toFixed(1)} s, accounts ${s.seconds.accounts.toFixed(1)} s, bindings ${s.seconds.bindings.toFixed(1)} s` +
      (s.bindingsPerSecond ? `, ${Math.round(s.bindingsPerSecond).toLocaleString('en-US')} bindings/s)` : ')'),
  ];
  const m = s.redisMemory;
  if (m) {
    lines.push(
      `  Redis used_memory: ${m.usedMemoryBefore.toLocaleString('en-US')} -> ${m.usedMemoryAfterStates.toLocaleString('en-US')} (states) -> ${m.usedMemoryAfterBindings.toLocaleString('en-US')} (bindings)`,
      `  bytes per binding: ${m.bytesPerBinding.toFixed(1)} (bindings hashes), ${m.bytesPerBindingWithAccountState.toFixed(1)} with the account state hashes; ` +
        `MEMORY USAGE sample of ${m.memoryUsageSample.accounts} accounts: ${m.memoryUsageSample.bytesPerBinding.toFixed(1)} / ${m.memoryUsageSample.bytesPerBindingWithAccountState.toFixed(1)}; ` +
        `machine codes ${m.machineCodeLength} chars, records ${m.recordLength} chars`,
    );
  }
  return lines.join('\n');
}

export function profileReport(kind: string, p: ProfileSummary): string {
  const entries = (list: ProfileSummary['selfByFunction'], limit: number) =>
    list.slice(0, limit).map((e) => [e.name, `${e.percent.toFixed(1)}%`]);
  return [
    `profile of ${kind}: ${p.samples} samples over ${p.seconds.toFixed(1)} s, main thread busy ${p.busyPercent}% (percentages below are of busy samples); ${p.file}`,
    table(['self time by function', '%'], entries(p.selfByFunction, 20)),
    table(['self time by package', '%'], entries(p.selfByPackage, 12)),
    table(['owner time by function (node internals and natives charged to their caller)', '%'], entries(p.ownerByFunction, 25)),
    table(['owner time by package', '%'], entries(p.ownerByPackage, 12)),
    table(['inclusive by package', '%'], entries(p.inclusiveByPackage, 12)),
    table(['inclusive by project function', '%'], entries(p.inclusiveByProjectFunction, 15)),
  ].join('\n\n');
}

/**
 * The API's verify profile beside the bare express one, as main-thread CPU
 * microseconds per request by owner: what the service adds, and where.
 */
export function profileComparison(api: ProfiledRun, bare: ProfiledRun): string {
  const perRequest = (run: ProfiledRun) =>
    new Map(run.profile.ownerByPackage.map((e) => [e.name, (e.percent / 100) * run.busyMicrosecondsPerRequest]));
  const a = perRequest(api);
  const b = perRequest(bare);
  const names = [...new Set([...a.keys(), ...b.keys()])].sort(
    (x, y) => (a.get(y) ?? 0) - (b.get(y) ?? 0) - ((a.get(x) ?? 0) - (b.get(x) ?? 0)),
  );
  const rows: Cell[][] = names.map((name) => [
    name,
    (a.get(name) ?? 0).toFixed(1),
    (b.get(name) ?? 0).toFixed(1),
    ((a.get(name) ?? 0) - (b.get(name) ?? 0)).toFixed(1),
  ]);
  rows.push([
    'total (main thread, profiled)',
    api.busyMicrosecondsPerRequest.toFixed(1),
    bare.busyMicrosecondsPerRequest.toFixed(1),
    (api.busyMicrosecondsPerRequest - bare.busyMicrosecondsPerRequest).toFixed(1),
  ]);
  return [
    `main-thread µs per request by owner (top 15 of each profile; the rest is below 1%)`,
    table(['owner', 'API verify', 'bare express', 'API extra'], rows),
  ].join('\n');
}

/** The one table of a full run (and of `npm run bench`). */
export function fullRunTable(r: FullRunResult): string {
  const s = r.small;
  const l = r.large;
  const growth = (a: number, b: number) => `${ratio(b, a).toFixed(2)}x`;
  const rows: Cell[][] = [
    ['bindings at start of verify', s.verify.bindings, l.verify.bindings, '', ''],
    [
      'verify API req/s (median of pairs)',
      s.verify.median.apiRps,
      l.verify.median.apiRps,
      growth(s.verify.median.apiRps, l.verify.median.apiRps),
      '',
    ],
    ['verify bare express req/s', s.verify.median.baselineRps, l.verify.median.baselineRps, '', ''],
    ['verify / bare express', pct(s.verify.median.ratio), pct(l.verify.median.ratio), '', '>= 80%'],
    [
      '  CPU µs per request, API / bare',
      `${s.verify.median.apiMicrosecondsPerRequest.toFixed(0)} / ${s.verify.median.baselineMicrosecondsPerRequest.toFixed(0)}`,
      `${l.verify.median.apiMicrosecondsPerRequest.toFixed(0)} / ${l.verify.median.baselineMicrosecondsPerRequest.toFixed(0)}`,
      '',
      '',
    ],
    ['  CPU-normalised ratio', pct(s.verify.median.cpuNormalisedRatio), pct(l.verify.median.cpuNormalisedRatio), '', ''],
    [
      'verify p50 / p99 ms, saturated',
      `${ms(s.verify.median.apiP50)} / ${ms(s.verify.median.apiP99)}`,
      `${ms(l.verify.median.apiP50)} / ${ms(l.verify.median.apiP99)}`,
      `${growth(s.verify.median.apiP50, l.verify.median.apiP50)} / ${growth(s.verify.median.apiP99, l.verify.median.apiP99)}`,
      '',
    ],
    [
      `verify p50 ms at ${Math.round(r.fixedRates.verify)}/s`,
      ms(s.verifyAtRate.latencyMs.p50),
      ms(l.verifyAtRate.latencyMs.p50),
      growth(s.verifyAtRate.latencyMs.p50, l.verifyAtRate.latencyMs.p50),
      'growth <= 1.2x',
    ],
    [
      `verify p99 ms at ${Math.round(r.fixedRates.verify)}/s`,
      ms(s.verifyAtRate.latencyMs.p99),
      ms(l.verifyAtRate.latencyMs.p99),
      growth(s.verifyAtRate.latencyMs.p99, l.verifyAtRate.latencyMs.p99),
      '<= 10 ms, <= 1.2x',
    ],
    [
      'register API req/s (median of pairs)',
      s.register.median.apiRps,
      l.register.median.apiRps,
      growth(s.register.median.apiRps, l.register.median.apiRps),
      '',
    ],
    [`bcrypt ceiling compares/s (cost ${r.bcryptCost})`, s.register.median.ceilingPerSecond, l.register.median.ceilingPerSecond, '', ''],
    ['register / bcrypt ceiling', pct(s.register.median.ratio), pct(l.register.median.ratio), '', '>= 90%'],
    [
      '  CPU ms per registration / compare',
      `${s.register.median.apiMillisecondsCpuPerRequest.toFixed(1)} / ${s.register.median.bcryptMillisecondsCpuPerCompare.toFixed(1)}`,
      `${l.register.median.apiMillisecondsCpuPerRequest.toFixed(1)} / ${l.register.median.bcryptMillisecondsCpuPerCompare.toFixed(1)}`,
      '',
      '',
    ],
    ['  CPU-normalised ratio', pct(s.register.median.cpuNormalisedRatio), pct(l.register.median.cpuNormalisedRatio), '', ''],
    [
      'register p50 / p99 ms, saturated',
      `${ms(s.register.median.apiP50)} / ${ms(s.register.median.apiP99)}`,
      `${ms(l.register.median.apiP50)} / ${ms(l.register.median.apiP99)}`,
      `${growth(s.register.median.apiP50, l.register.median.apiP50)} / ${growth(s.register.median.apiP99, l.register.median.apiP99)}`,
      '',
    ],
    [
      `register p50 ms at ${r.fixedRates.register.toFixed(1)}/s`,
      ms(s.registerAtRate.latencyMs.p50),
      ms(l.registerAtRate.latencyMs.p50),
      growth(s.registerAtRate.latencyMs.p50, l.registerAtRate.latencyMs.p50),
      'growth <= 1.2x',
    ],
    [
      `register p99 ms at ${r.fixedRates.register.toFixed(1)}/s`,
      ms(s.registerAtRate.latencyMs.p99),
      ms(l.registerAtRate.latencyMs.p99),
      growth(s.registerAtRate.latencyMs.p99, l.registerAtRate.latencyMs.p99),
      'growth <= 1.2x',
    ],
    [
      'seeding s (bindings/s)',
      s.seed.seconds.total.toFixed(1),
      `${l.seed.seconds.total.toFixed(1)} (${Math.round(l.seed.bindingsPerSecond ?? 0).toLocaleString('en-US')}/s)`,
      '',
      '',
    ],
    [
      'Redis bytes/binding (with state)',
      s.seed.redisMemory ? s.seed.redisMemory.bytesPerBindingWithAccountState.toFixed(0) : '-',
      l.seed.redisMemory ? l.seed.redisMemory.bytesPerBindingWithAccountState.toFixed(0) : '-',
      '',
      '<= 200',
    ],
    [
      `storm: ${r.storm.clusters} clusters / ${r.storm.nodes} nodes`,
      '',
      `${r.storm.completedInSeconds.toFixed(1)} s, ${r.storm.nodesPerSecond.toFixed(0)} nodes/s`,
      '',
      '',
    ],
    [
      'storm p50 / p99 / max ms, errors',
      '',
      `${ms(r.storm.latencyMs.p50)} / ${ms(r.storm.latencyMs.p99)} / ${ms(r.storm.latencyMs.max)}, ${r.storm.errorCount}`,
      '',
      '',
    ],
    ...r.mixed.streams.map((m): Cell[] => [
      `mixed ${m.label.replace(/^mixed @[\d,]+ /, '')} p50 / p99 ms`,
      '',
      `${ms(m.latencyMs.p50)} / ${ms(m.latencyMs.p99)} (${m.rps.toFixed(1)}/s, ${m.errorCount} err)`,
      '',
      '',
    ]),
  ];
  const large = r.durations.largeBindings.toLocaleString('en-US');
  const lines = [
    `regcloud load run (${r.durations.name}) ${r.startedAt}, ${r.machine.cores} x ${r.machine.cpuModel}, node ${r.machine.node}, express ${r.expressVersion}; ` +
      `code ${r.code.commit} + ${r.code.uncommittedFiles} uncommitted service files; ${r.totalSeconds.toFixed(0)} s`,
    table(['figure', '@1,000', `@${large}`, 'growth', 'target'], rows),
    '',
    table(
      ['target', 'measured', 'limit', 'met'],
      r.targets.map((t) => [
        t.target,
        t.unit === '%' ? `${t.measured.toFixed(0)}%` : t.unit === 'x' ? `${t.measured.toFixed(2)}x` : `${t.measured.toFixed(1)} ${t.unit}`,
        `${t.limit}${t.unit === '%' ? '%' : t.unit === 'x' ? 'x' : ` ${t.unit}`}`,
        t.met ? 'yes' : 'NO',
      ]),
    ),
  ];
  return lines.join('\n');
}
