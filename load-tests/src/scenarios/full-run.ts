import { expressVersion } from '../baselines/bare-express';
import { clean } from '../dataset/clean';
import { seed, type SeedReport } from '../dataset/seed';
import { codeVersion, machine } from '../report/results';
import { checkTargets, type ScalePoint, type TargetCheck } from '../report/targets';
import type { Durations, Namespace } from '../settings';
import { closeHarness, configuredBcryptCost, log, openHarness, type Harness } from './harness';
import { measureMixed, type MixedResult } from './mixed';
import { profileRun, type ProfiledRun } from './profile';
import { measureRegister, measureRegisterAtRate } from './register';
import { measureStorm, type StormResult } from './storm';
import { measureVerify, measureVerifyAtRate } from './verify';

/**
 * Everything in one run (`npm run load -- all`; `npm run bench` with the
 * short durations): the data set starts empty, is seeded to 1,000 bindings,
 * verify and register are measured with their same-run ceilings, then it is
 * topped up to the large size and the same is measured again at the same
 * offered rates, followed by the storm, the mixed blend and profiled runs.
 * Nothing is deleted between scenarios or at the end.
 */
export interface FullRunResult {
  durations: Durations;
  namespace: Namespace;
  machine: ReturnType<typeof machine>;
  code: ReturnType<typeof codeVersion>;
  expressVersion: string;
  bcryptCost: number;
  startedAt: string;
  totalSeconds: number;
  small: ScalePoint;
  large: ScalePoint;
  /** The fixed rates both data sets were measured at: half the small data set's top rates. */
  fixedRates: { verify: number; register: number };
  storm: StormResult;
  mixed: MixedResult;
  profiles: ProfiledRun[];
  targets: TargetCheck[];
}

function describeSeed(report: SeedReport): string {
  const memory = report.redisMemory;
  return (
    `${report.bindingsAdded.toLocaleString('en-US')} bindings in ${report.seconds.total.toFixed(1)} s` +
    (memory ? `, Redis ${memory.bytesPerBindingWithAccountState.toFixed(0)} bytes/binding` : '')
  );
}

async function measureScale(
  harness: Harness,
  label: string,
  seedReport: SeedReport,
  rates: { verify: number; register: number } | null,
): Promise<{ point: ScalePoint; rates: { verify: number; register: number } }> {
  const verify = await measureVerify(harness, `verify @${label}`);
  const register = await measureRegister(harness, `register @${label}`);
  // The small data set sets the offered load; the large one is measured at the same.
  const fixed = rates ?? { verify: verify.median.apiRps / 2, register: register.median.apiRps / 2 };
  const verifyAtRate = await measureVerifyAtRate(harness, `verify @${label} at ${Math.round(fixed.verify)}/s`, fixed.verify);
  const registerAtRate = await measureRegisterAtRate(harness, `register @${label} at ${fixed.register.toFixed(1)}/s`, fixed.register);
  return { point: { seed: seedReport, verify, verifyAtRate, register, registerAtRate }, rates: fixed };
}

export async function fullRun(ns: Namespace, durations: Durations): Promise<FullRunResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const bcryptCost = configuredBcryptCost(ns);

  // The one reset of a run, at its start: growth is measured from a known 1,000 bindings.
  const removed = await clean(ns);
  log(`reset: dropped database ${removed.database} and ${removed.keysRemoved} keys under ${ns.keyPrefix}`);
  const smallSeed = await seed(ns, durations.smallBindings, { bcryptCost, log });
  log(`seeded ${describeSeed(smallSeed)}`);
  const harness = await openHarness(ns, durations);
  try {
    const small = await measureScale(harness, durations.smallBindings.toLocaleString('en-US'), smallSeed, null);
    const largeSeed = await seed(ns, durations.largeBindings, { bcryptCost, log });
    log(`seeded ${describeSeed(largeSeed)}`);
    const large = await measureScale(harness, durations.largeBindings.toLocaleString('en-US'), largeSeed, small.rates);
    const storm = await measureStorm(harness, `storm @${durations.largeBindings.toLocaleString('en-US')}`, durations.stormAccounts);
    const mixed = await measureMixed(
      harness,
      `mixed @${durations.largeBindings.toLocaleString('en-US')}`,
      small.rates.verify,
      durations.mixedSeconds,
    );
    const profiles: ProfiledRun[] = [];
    if (durations.profileSeconds > 0) {
      profiles.push(await profileRun(harness, 'verify', durations.profileSeconds));
      profiles.push(await profileRun(harness, 'bare-express', durations.profileSeconds));
      profiles.push(await profileRun(harness, 'register', durations.profileSeconds));
    }
    return {
      durations,
      namespace: ns,
      machine: machine(),
      code: codeVersion(),
      expressVersion: expressVersion(),
      bcryptCost,
      startedAt,
      totalSeconds: (performance.now() - started) / 1000,
      small: small.point,
      large: large.point,
      fixedRates: small.rates,
      storm,
      mixed,
      profiles,
      targets: checkTargets(small.point, large.point, durations.largeBindings.toLocaleString('en-US')),
    };
  } finally {
    await closeHarness(harness);
  }
}
