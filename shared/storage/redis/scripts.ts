import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { AccountSnapshot } from '#shared/domain/account-snapshot';
import { LUA_DIR } from '#shared/paths';
import { StoreFailure, describeReply, guardStore } from '../errors';
import type { HeldLease } from '#shared/security/leases';
import { encodeBindingRecord } from './binding-record';
import { decodeLeaseRecord, encodeLeaseRecord } from './lease-record';
import { loginKeyList, type AccountKeys, type LoginKeys } from './keys';

/**
 * The only module that runs Lua. Each script is registered once with
 * `defineCommand` (ioredis then calls it by SHA and resends the source only
 * after a NOSCRIPT), and wrapped in a typed function that checks the reply:
 * an unexpected reply is a fault, never a guess.
 */
export const SCRIPT_FILES = {
  bindNodes: { file: 'bind-nodes.lua', keys: 3 },
  commitBindings: { file: 'commit-bindings.lua', keys: 4 },
  undoBindNodes: { file: 'undo-bind-nodes.lua', keys: 1 },
  loadAccount: { file: 'load-account.lua', keys: 3 },
  unbindNodes: { file: 'unbind-nodes.lua', keys: 2 },
  invalidateAccount: { file: 'invalidate-account.lua', keys: 6 },
  verifyBinding: { file: 'verify-binding.lua', keys: 4 },
  keepLeases: { file: 'keep-leases.lua', keys: 3 },
  rememberGone: { file: 'remember-gone.lua', keys: 1 },
  reserveLogin: { file: 'reserve-login.lua', keys: 8 },
  settleLogin: { file: 'settle-login.lua', keys: 8 },
} as const;

type ScriptName = keyof typeof SCRIPT_FILES;
type ScriptCall = (...args: Array<string | number>) => Promise<unknown>;

/**
 * Lua shared between scripts lives in lua/includes/<name>.lua, pulled in by a
 * line `--@include <name>` (like taskforcesh/bullmq `src/commands/includes`):
 * Redis runs one self-contained script, so it is expanded here, before the
 * SHA is taken. Any line that looks like a directive and cannot be expanded
 * fails loudly, since left as it is Lua would read it as a comment.
 */
const DIRECTIVE_LIKE = /^--[ \t]*@include.*$/gm;
const DIRECTIVE = /^--@include ([a-z][a-z0-9-]*)$/;

export function expandIncludes(source: string, file: string): string {
  return source.replace(DIRECTIVE_LIKE, (line) => {
    const name = DIRECTIVE.exec(line)?.[1];
    if (name === undefined) throw new Error(`${file}: malformed Lua include directive ${JSON.stringify(line)}`);
    try {
      return readFileSync(path.join(LUA_DIR, 'includes', `${name}.lua`), 'utf8').trimEnd();
    } catch (error) {
      throw new Error(`${file}: unknown Lua include "${name}"`, { cause: error });
    }
  });
}

/** The text Redis runs, includes expanded. */
export function readScript(name: ScriptName): string {
  const { file } = SCRIPT_FILES[name];
  return expandIncludes(readFileSync(path.join(LUA_DIR, file), 'utf8'), file);
}

export type BindReply =
  | { kind: 'NOT_LOADED' }
  | { kind: 'OVER'; seats: number; overflowIndices: number[] }
  | { kind: 'FITS'; seats: number }
  | { kind: 'BOUND'; seats: number; nonces: string[] };

export type LoadReply = 'LOADED' | 'ALREADY' | 'STALE';

export type VerifyReply =
  | { kind: 'NOT_LOADED' }
  | { kind: 'NOT_BOUND' }
  | { kind: 'GONE' }
  | { kind: 'BOUND'; status: string; expiresAt: string; isLastSeenRecorded: boolean; heldLease: HeldLease | null };

export type ReserveLoginReply = { kind: 'RESERVED' } | { kind: 'BUSY' } | { kind: 'THROTTLED'; retryAfterSeconds: number };

export type LoginOutcome = 'failed' | 'succeeded' | 'abandoned';

export interface LoginLimits {
  pair: { limit: number; windowSeconds: number };
  address: { limit: number; windowSeconds: number };
  account: { limit: number; windowSeconds: number };
  newcomerLimit: number;
  trustedAddressSeconds: number;
}

function unexpected(script: ScriptName, reply: unknown): never {
  throw new StoreFailure('redis', `unexpected reply from ${script}: ${describeReply(reply)}`);
}

function pairsOf(nodes: ReadonlyArray<{ machineCode: string; nonce: string }>): string[] {
  return nodes.flatMap((node) => [node.machineCode, node.nonce]);
}

function isReplyArray(reply: unknown): reply is Array<string | number> {
  return Array.isArray(reply) && reply.every((item) => typeof item === 'string' || typeof item === 'number');
}

export interface Scripts {
  bindNodes(
    keys: AccountKeys,
    input: {
      maxRegistrations: number;
      commit: boolean;
      nowSeconds: number;
      pendingTtlSeconds: number;
      nodes: ReadonlyArray<{ machineCode: string; nonce: string }>;
    },
  ): Promise<BindReply>;
  commitBindings(keys: AccountKeys, nodes: ReadonlyArray<{ machineCode: string; nonce: string }>): Promise<number>;
  undoBindNodes(keys: AccountKeys, nodes: ReadonlyArray<{ machineCode: string; nonce: string }>): Promise<number>;
  loadAccount(keys: AccountKeys, snapshot: AccountSnapshot): Promise<LoadReply>;
  unbindNodes(keys: AccountKeys, machineCodes: readonly string[]): Promise<number>;
  invalidateAccount(keys: AccountKeys, revision: number): Promise<void>;
  verifyBinding(
    keys: AccountKeys,
    input: { machineCode: string; nonce: string; nowSeconds: number; lastSeenIntervalSeconds: number },
  ): Promise<VerifyReply>;
  /** The number kept: a lease of a binding Redis does not hold under that nonce is dropped. */
  keepLeases(keys: AccountKeys, leases: ReadonlyArray<{ machineCode: string; held: HeldLease }>): Promise<number>;
  /** MySQL confirmed no binding of the machine under this nonce. */
  rememberGone(keys: AccountKeys, input: { machineCode: string; nonce: string; ttlSeconds: number }): Promise<void>;
  reserveLogin(
    keys: LoginKeys,
    input: { nowMs: number; id: string; reservationTtlMs: number; limits: LoginLimits },
  ): Promise<ReserveLoginReply>;
  /** False when the reservation had already expired. */
  settleLogin(keys: LoginKeys, input: { id: string; outcome: LoginOutcome; limits: LoginLimits }): Promise<boolean>;
}

export function createScripts(redis: Redis): Scripts {
  const commands = redis as unknown as Record<ScriptName, ScriptCall>;
  for (const [name, { keys }] of Object.entries(SCRIPT_FILES) as Array<[ScriptName, { keys: number }]>) {
    redis.defineCommand(name, { numberOfKeys: keys, lua: readScript(name) });
  }
  const run = (name: ScriptName, args: Array<string | number>) => guardStore('redis', () => commands[name](...args));

  return {
    async bindNodes(keys, { maxRegistrations, commit, nowSeconds, pendingTtlSeconds, nodes }) {
      const reply = await run('bindNodes', [
        keys.state,
        keys.bindings,
        keys.pending,
        maxRegistrations,
        commit ? '1' : '0',
        nowSeconds,
        pendingTtlSeconds,
        ...pairsOf(nodes),
      ]);
      if (!isReplyArray(reply)) return unexpected('bindNodes', reply);
      const [kind, seats, ...rest] = reply;
      if (kind === 'NOT_LOADED' && reply.length === 1) return { kind };
      if (typeof seats !== 'number') return unexpected('bindNodes', reply);
      if (kind === 'OVER') return { kind, seats, overflowIndices: rest.map((position) => Number(position) - 1) };
      if (kind === 'FITS') return { kind, seats };
      if (kind === 'BOUND' && rest.length === nodes.length) return { kind, seats, nonces: rest.map(String) };
      return unexpected('bindNodes', reply);
    },

    async commitBindings(keys, nodes) {
      const reply = await run('commitBindings', [keys.state, keys.bindings, keys.pending, keys.gone, ...pairsOf(nodes)]);
      return typeof reply === 'number' ? reply : unexpected('commitBindings', reply);
    },

    async undoBindNodes(keys, nodes) {
      const reply = await run('undoBindNodes', [keys.pending, ...pairsOf(nodes)]);
      return typeof reply === 'number' ? reply : unexpected('undoBindNodes', reply);
    },

    async loadAccount(keys, snapshot) {
      const records = snapshot.bindings.flatMap((binding) => [
        binding.machineCode,
        encodeBindingRecord({ nonce: binding.nonce, seconds: binding.lastSeen }),
      ]);
      const reply = await run('loadAccount', [
        keys.state,
        keys.bindings,
        keys.floor,
        snapshot.revision,
        snapshot.status,
        snapshot.expiresAt,
        snapshot.lastSeenEverySeconds,
        ...records,
      ]);
      return reply === 'LOADED' || reply === 'ALREADY' || reply === 'STALE' ? reply : unexpected('loadAccount', reply);
    },

    async unbindNodes(keys, machineCodes) {
      const reply = await run('unbindNodes', [keys.bindings, keys.leases, ...machineCodes]);
      return typeof reply === 'number' ? reply : unexpected('unbindNodes', reply);
    },

    async invalidateAccount(keys, revision) {
      const reply = await run('invalidateAccount', [keys.state, keys.bindings, keys.pending, keys.floor, keys.leases, keys.gone, revision]);
      if (typeof reply !== 'number') unexpected('invalidateAccount', reply);
    },

    async verifyBinding(keys, { machineCode, nonce, nowSeconds, lastSeenIntervalSeconds }) {
      const reply = await run('verifyBinding', [
        keys.state,
        keys.bindings,
        keys.leases,
        keys.gone,
        machineCode,
        nonce,
        nowSeconds,
        lastSeenIntervalSeconds,
      ]);
      if (!isReplyArray(reply)) return unexpected('verifyBinding', reply);
      const [kind, status, expiresAt, isRecorded, lease] = reply;
      if ((kind === 'NOT_LOADED' || kind === 'NOT_BOUND' || kind === 'GONE') && reply.length === 1) return { kind };
      if (kind === 'BOUND' && typeof status === 'string' && typeof expiresAt === 'string' && typeof lease === 'string') {
        return { kind, status, expiresAt, isLastSeenRecorded: isRecorded === 1, heldLease: decodeLeaseRecord(lease) };
      }
      return unexpected('verifyBinding', reply);
    },

    async keepLeases(keys, leases) {
      if (leases.length === 0) return 0;
      const triples = leases.flatMap(({ machineCode, held }) => [machineCode, held.nonce, encodeLeaseRecord(held)]);
      const reply = await run('keepLeases', [keys.state, keys.bindings, keys.leases, ...triples]);
      return typeof reply === 'number' ? reply : unexpected('keepLeases', reply);
    },

    async rememberGone(keys, { machineCode, nonce, ttlSeconds }) {
      const reply = await run('rememberGone', [keys.gone, machineCode, nonce, ttlSeconds]);
      if (reply !== 1) unexpected('rememberGone', reply);
    },

    async reserveLogin(keys, { nowMs, id, reservationTtlMs, limits }) {
      const reply = await run('reserveLogin', [
        ...loginKeyList(keys),
        nowMs,
        id,
        reservationTtlMs,
        limits.pair.limit,
        limits.address.limit,
        limits.account.limit,
        limits.newcomerLimit,
      ]);
      if (!isReplyArray(reply)) return unexpected('reserveLogin', reply);
      const [kind, seconds] = reply;
      if ((kind === 'RESERVED' || kind === 'BUSY') && reply.length === 1) return { kind };
      if (kind === 'THROTTLED' && typeof seconds === 'number' && seconds > 0) return { kind, retryAfterSeconds: seconds };
      return unexpected('reserveLogin', reply);
    },

    async settleLogin(keys, { id, outcome, limits }) {
      const reply = await run('settleLogin', [
        ...loginKeyList(keys),
        id,
        outcome,
        limits.pair.windowSeconds,
        limits.address.windowSeconds,
        limits.account.windowSeconds,
        limits.trustedAddressSeconds,
      ]);
      return reply === 0 || reply === 1 ? reply === 1 : unexpected('settleLogin', reply);
    },
  };
}
