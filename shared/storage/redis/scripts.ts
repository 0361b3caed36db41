import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AccountSnapshot } from '#shared/domain/account-snapshot';
import { LUA_DIR } from '#shared/paths';
import { StoreFailure, describeReply, guardStore } from '../errors';
import type { HeldLease } from '#shared/security/leases';
import { encodeBindingRecord } from './binding-record';
import { isNotRunHere, type RedisClient } from './client';
import { loginAccountKeyList, loginAddressKeyList, type AccountKeys, type LoginKeys } from './keys';
import { decodeLeaseRecord, encodeLeaseRecord } from './lease-record';

/**
 * The only module that runs Lua. Each script is registered once with
 * `defineCommand` (ioredis then calls it by SHA and resends the source only
 * after a NOSCRIPT), and wrapped in a typed function that checks the reply:
 * an unexpected reply is a fault, never a guess. On Redis Cluster the SHA is
 * sent to whichever master owns the script's slot; a master that has not seen
 * the script yet answers NOSCRIPT and gets the source once, so every master
 * learns each script on first use, and after a failover the new master too.
 * Every script's keys share one hash tag (keys.ts).
 */
export const SCRIPT_FILES = {
  bindNodes: { file: 'bind-nodes.lua', keys: 3 },
  commitBindings: { file: 'commit-bindings.lua', keys: 3 },
  undoBindNodes: { file: 'undo-bind-nodes.lua', keys: 1 },
  loadAccount: { file: 'load-account.lua', keys: 3 },
  unbindNodes: { file: 'unbind-nodes.lua', keys: 1 },
  invalidateAccount: { file: 'invalidate-account.lua', keys: 4 },
  verifyBinding: { file: 'verify-binding.lua', keys: 2 },
  keepLeases: { file: 'keep-leases.lua', keys: 2 },
  rememberGone: { file: 'remember-gone.lua', keys: 1 },
  reserveLogin: { file: 'reserve-login.lua', keys: 6 },
  reserveLoginAddress: { file: 'reserve-login-address.lua', keys: 2 },
  settleLogin: { file: 'settle-login.lua', keys: 6 },
  settleLoginAddress: { file: 'settle-login-address.lua', keys: 2 },
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
  | { kind: 'OVER'; seats: number }
  | { kind: 'FITS'; seats: number }
  | { kind: 'BOUND'; seats: number; nonces: string[] };

export type LoadReply = 'LOADED' | 'ALREADY' | 'STALE';

export type VerifyReply =
  | { kind: 'NOT_LOADED' }
  | { kind: 'NOT_BOUND' }
  | { kind: 'GONE' }
  | { kind: 'BOUND'; status: string; expiresAt: string; isLastSeenRecorded: boolean; heldLease: HeldLease | null };

export type ReserveLoginReply = { kind: 'RESERVED' } | { kind: 'BUSY' } | { kind: 'THROTTLED'; retryAfterSeconds: number };

/** reserve-login.lua: the account's slot of a login's reservation. */
export type ReserveLoginAccountReply =
  | { kind: 'RESERVED'; isTrusted: boolean }
  | { kind: 'BUSY'; isTrusted: boolean }
  | { kind: 'THROTTLED'; retryAfterSeconds: number }
  | { kind: 'ACCOUNT_THROTTLED'; retryAfterSeconds: number };

/** reserve-login-address.lua: the address-wide limit's slot. */
export type ReserveLoginAddressReply =
  { kind: 'RESERVED' } | { kind: 'CLEAR' } | { kind: 'BUSY' } | { kind: 'THROTTLED'; retryAfterSeconds: number };

export type AddressReservationMode = 'reserve' | 'exempt' | 'check';

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
  rememberGone(keys: AccountKeys, input: { machineCode: string; nonce: string }): Promise<void>;
  reserveLogin(
    keys: LoginKeys,
    input: { nowMs: number; id: string; reservationTtlMs: number; limits: LoginLimits },
  ): Promise<ReserveLoginAccountReply>;
  reserveLoginAddress(
    keys: LoginKeys,
    input: { nowMs: number; id: string; reservationTtlMs: number; limits: LoginLimits; mode: AddressReservationMode },
  ): Promise<ReserveLoginAddressReply>;
  /** False when the reservation had already expired. */
  settleLogin(keys: LoginKeys, input: { id: string; outcome: LoginOutcome; limits: LoginLimits }): Promise<boolean>;
  /** False when the address held no reservation (expired, or never taken). */
  settleLoginAddress(keys: LoginKeys, input: { id: string; outcome: LoginOutcome; limits: LoginLimits }): Promise<boolean>;
}

export function createScripts(redis: RedisClient): Scripts {
  const commands = redis as unknown as Record<ScriptName, ScriptCall>;
  const texts = new Map<ScriptName, string>();
  for (const [name, { keys }] of Object.entries(SCRIPT_FILES) as Array<[ScriptName, { keys: number }]>) {
    const lua = readScript(name);
    texts.set(name, lua);
    redis.defineCommand(name, { numberOfKeys: keys, lua });
  }
  // An auto-pipelined script a cluster did not run (client.ts) goes again on its own, as an EVAL the client redirects.
  const alone = (name: ScriptName, args: Array<string | number>) => redis.eval(texts.get(name) as string, SCRIPT_FILES[name].keys, ...args);
  const run = (name: ScriptName, args: Array<string | number>) =>
    guardStore('redis', () =>
      commands[name](...args).catch((error: unknown) => {
        if (isNotRunHere(error)) return alone(name, args);
        throw error;
      }),
    );

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
      if (kind === 'OVER' && rest.length === 0) return { kind, seats };
      if (kind === 'FITS') return { kind, seats };
      if (kind === 'BOUND' && rest.length === nodes.length) return { kind, seats, nonces: rest.map(String) };
      return unexpected('bindNodes', reply);
    },

    async commitBindings(keys, nodes) {
      const reply = await run('commitBindings', [keys.state, keys.bindings, keys.pending, ...pairsOf(nodes)]);
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
      const reply = await run('unbindNodes', [keys.bindings, ...machineCodes]);
      return typeof reply === 'number' ? reply : unexpected('unbindNodes', reply);
    },

    async invalidateAccount(keys, revision) {
      const reply = await run('invalidateAccount', [keys.state, keys.bindings, keys.pending, keys.floor, revision]);
      if (typeof reply !== 'number') unexpected('invalidateAccount', reply);
    },

    async verifyBinding(keys, { machineCode, nonce, nowSeconds, lastSeenIntervalSeconds }) {
      const reply = await run('verifyBinding', [keys.state, keys.bindings, machineCode, nonce, nowSeconds, lastSeenIntervalSeconds]);
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
      const reply = await run('keepLeases', [keys.state, keys.bindings, ...triples]);
      return typeof reply === 'number' ? reply : unexpected('keepLeases', reply);
    },

    async rememberGone(keys, { machineCode, nonce }) {
      const reply = await run('rememberGone', [keys.state, machineCode, nonce]);
      if (reply !== 0 && reply !== 1) unexpected('rememberGone', reply);
    },

    async reserveLogin(keys, { nowMs, id, reservationTtlMs, limits }) {
      const reply = await run('reserveLogin', [
        ...loginAccountKeyList(keys),
        nowMs,
        id,
        reservationTtlMs,
        limits.pair.limit,
        limits.account.limit,
        limits.newcomerLimit,
      ]);
      if (!isReplyArray(reply) || reply.length !== 2) return unexpected('reserveLogin', reply);
      const [kind, value] = reply;
      if (kind === 'RESERVED' && (value === 0 || value === 1)) return { kind, isTrusted: value === 1 };
      if (kind === 'BUSY' && (value === 0 || value === 1)) return { kind, isTrusted: value === 1 };
      if (kind === 'THROTTLED' && typeof value === 'number' && value > 0) return { kind, retryAfterSeconds: value };
      if (kind === 'ACCOUNT_THROTTLED' && typeof value === 'number' && value > 0) return { kind, retryAfterSeconds: value };
      return unexpected('reserveLogin', reply);
    },

    async reserveLoginAddress(keys, { nowMs, id, reservationTtlMs, limits, mode }) {
      const reply = await run('reserveLoginAddress', [
        ...loginAddressKeyList(keys),
        nowMs,
        id,
        reservationTtlMs,
        limits.address.limit,
        mode,
      ]);
      if (!isReplyArray(reply)) return unexpected('reserveLoginAddress', reply);
      const [kind, seconds] = reply;
      if (kind === 'RESERVED' && reply.length === 1) return { kind };
      if (kind === 'CLEAR' && reply.length === 1) return { kind };
      if (kind === 'BUSY' && reply.length === 1) return { kind };
      if (kind === 'THROTTLED' && typeof seconds === 'number' && seconds > 0) return { kind, retryAfterSeconds: seconds };
      return unexpected('reserveLoginAddress', reply);
    },

    async settleLogin(keys, { id, outcome, limits }) {
      const reply = await run('settleLogin', [
        ...loginAccountKeyList(keys),
        id,
        outcome,
        limits.pair.windowSeconds,
        limits.account.windowSeconds,
        limits.trustedAddressSeconds,
      ]);
      return reply === 0 || reply === 1 ? reply === 1 : unexpected('settleLogin', reply);
    },

    async settleLoginAddress(keys, { id, outcome, limits }) {
      const reply = await run('settleLoginAddress', [...loginAddressKeyList(keys), id, outcome, limits.address.windowSeconds]);
      return reply === 0 || reply === 1 ? reply === 1 : unexpected('settleLoginAddress', reply);
    },
  };
}
