import { z } from 'zod';
import { StoreFailure, describeReply, guardStore } from '../errors';
import type { RedisClient } from './client';
import { idempotencyKey } from './keys';

/**
 * Idempotency-Key records (contract v1.1): one Redis string per key, holding
 * the hash of the first request's canonical body and, once it has a final
 * answer, that answer. The claim is `SET NX GET`, one atomic step: whoever
 * sets the key runs the request; everyone else reads what was there.
 */
export interface KeptAnswer {
  status: number;
  /** As the route kept it: never a token in clear. */
  body: unknown;
}

export type IdempotencyClaim =
  | { kind: 'claimed'; keep(answer: KeptAnswer): Promise<void>; release(): Promise<void> }
  | { kind: 'in-flight' }
  | { kind: 'mismatch' }
  | { kind: 'replay'; answer: KeptAnswer };

export interface IdempotencyStore {
  claim(scope: { path: string; account: string; key: string }, fingerprint: string): Promise<IdempotencyClaim>;
}

/** The contract keeps a key for 24 hours after its first answer. */
export const KEPT_SECONDS = 24 * 60 * 60;
/**
 * A claim whose request died (process killed) frees its key after this
 * long; well beyond any request's run time (each store call gives up in
 * seconds), so a live request's claim never expires under it.
 */
export const IN_FLIGHT_SECONDS = 120;

const recordSchema = z.object({
  fingerprint: z.string(),
  answer: z.object({ status: z.number().int(), body: z.unknown() }).optional(),
});

export function createIdempotencyStore(redis: RedisClient, prefix: string): IdempotencyStore {
  return {
    async claim(scope, fingerprint) {
      const key = idempotencyKey(prefix, scope);
      const previous = await guardStore('redis', () =>
        redis.set(key, JSON.stringify({ fingerprint }), 'EX', IN_FLIGHT_SECONDS, 'NX', 'GET'),
      );
      if (previous === null) {
        return {
          kind: 'claimed',
          keep: (answer) =>
            guardStore('redis', () => redis.set(key, JSON.stringify({ fingerprint, answer }), 'EX', KEPT_SECONDS)).then(() => undefined),
          release: () => guardStore('redis', () => redis.del(key)).then(() => undefined),
        };
      }
      const parsed = recordSchema.safeParse(JSON.parse(previous));
      if (!parsed.success) throw new StoreFailure('redis', `unexpected idempotency record: ${describeReply(previous)}`);
      const record = parsed.data;
      if (!record.answer) return { kind: 'in-flight' };
      if (record.fingerprint !== fingerprint) return { kind: 'mismatch' };
      return { kind: 'replay', answer: { status: record.answer.status, body: record.answer.body } };
    },
  };
}
