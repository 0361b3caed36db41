import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startBareExpress } from '../baselines/bare-express';
import { seededAccountCount } from '../dataset/samples';
import { newClusters } from '../load/bodies';
import type { LoadSpec } from '../load/run-load';
import { newestProfile, summariseProfile, type ProfileSummary } from '../measure/profile';
import { startApi } from '../processes/api';
import { CONNECTIONS, RESULTS_DIR } from '../settings';
import { measure, type Harness, type Measured } from './harness';
import { heartbeatSource } from './verify';

/**
 * `profile <verify|register|bare-express>`: the same load against a second
 * process started with `node --cpu-prof` (the API, or the bare express
 * baseline for comparison); when it stops, its profile is summarised. The
 * profiler slows the process: these runs explain the figures, they are not
 * the figures.
 */
export const PROFILED_KINDS = ['verify', 'register', 'bare-express'] as const;
export type ProfiledKind = (typeof PROFILED_KINDS)[number];

export interface ProfiledRun {
  kind: ProfiledKind;
  load: Measured;
  profile: ProfileSummary;
  /** CPU time of the main thread per answered request, in microseconds (profiled, so inflated a little). */
  busyMicrosecondsPerRequest: number;
}

async function startTarget(harness: Harness, kind: ProfiledKind, dir: string) {
  if (kind === 'bare-express') return startBareExpress({ cpuProfileDir: dir });
  return startApi(harness.ns, { cpuProfileDir: dir });
}

export async function profileRun(harness: Harness, kind: ProfiledKind, seconds: number): Promise<ProfiledRun> {
  const dir = path.join(RESULTS_DIR, 'profiles', `${kind}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(dir, { recursive: true });
  const target = await startTarget(harness, kind, dir);
  let load: Measured;
  try {
    const spec: Pick<LoadSpec, 'path' | 'connections' | 'timeoutSeconds' | 'next'> =
      kind === 'register'
        ? {
            path: '/v1/registrations',
            connections: CONNECTIONS.register,
            timeoutSeconds: 30,
            next: newClusters(await seededAccountCount(harness.db)),
          }
        : { path: '/v1/verifications', connections: CONNECTIONS.verify, next: (await heartbeatSource(harness)).source };
    harness.log(`profiling ${kind} for ${seconds} s (pid ${target.pid}, profile in ${path.relative(process.cwd(), dir)})`);
    load = await measure(
      harness,
      { label: `${kind} (profiled)`, url: target.url, seconds, ...spec },
      { [`${kind} (profiled)`]: target.pid },
    );
  } finally {
    await target.stop();
  }
  const file = newestProfile(dir);
  if (!file) throw new Error(`no .cpuprofile was written to ${dir}`);
  // The load ran until the process was told to stop: its last seconds are the load, without start-up.
  const profile = summariseProfile(file, load.seconds);
  return { kind, load, profile, busyMicrosecondsPerRequest: (profile.busySeconds * 1e6) / Math.max(load.requests, 1) };
}
