import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { stopChild } from '../processes/child';
import { COMPILED_DIR } from '../settings';
import { workerReply, type MeasureRequest, type WorkerReply } from './bcrypt-messages';

export interface BcryptCeiling {
  pid: number;
  cost: number;
  inFlight: number;
  /** Compares per second over `seconds` of 4-in-flight bcrypt.compare. */
  measure(seconds: number): Promise<{ comparesPerSecond: number; compares: number; seconds: number }>;
  stop(): Promise<void>;
}

async function nextReply(child: ChildProcess): Promise<WorkerReply> {
  const [message] = (await once(child, 'message')) as [unknown];
  return workerReply.parse(message);
}

/** Starts the bcrypt ceiling process; it stays up (idle) between measurements so it is warmed once. */
export async function startBcryptCeiling(cost: number, password: string): Promise<BcryptCeiling> {
  const child = fork(path.join(COMPILED_DIR, 'baselines', 'bcrypt-worker.js'), [String(cost), password], { stdio: 'inherit' });
  const ready = await nextReply(child);
  if (ready.kind !== 'ready' || child.pid === undefined) throw new Error('the bcrypt ceiling process did not start');
  return {
    pid: child.pid,
    cost: ready.cost,
    inFlight: ready.inFlight,
    async measure(seconds) {
      const request: MeasureRequest = { kind: 'measure', seconds };
      child.send(request);
      const result = await nextReply(child);
      if (result.kind !== 'measured') throw new Error('the bcrypt ceiling process answered out of turn');
      return { comparesPerSecond: result.compares / result.seconds, compares: result.compares, seconds: result.seconds };
    },
    stop: () => stopChild(child),
  };
}
