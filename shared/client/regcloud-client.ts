/**
 * The node side of the registration contract (`shared/spec/registration-contract.md`), published
 * as one module: it imports nothing of the server, only Node's built-ins and `jose`, so it can be
 * copied into a node's code base as it is.
 *
 * Registrations and unbindings carry one Idempotency-Key per logical call, reused by each retry,
 * so a retry after a lost answer is answered with the first answer instead of running again.
 * Every lease the cloud hands out is checked against its JWKS and kept; when the cloud cannot be
 * reached, a kept lease that still verifies is the node's offline allowance until its `exp`.
 */
import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet } from 'jose';

// ---- The contract's bodies and answers -------------------------------------------------------

/** The codes the contract fixes (closed and append-only: a newer cloud may answer others). */
export type CauseCode =
  | 'INCORRECT_DATA_FORMAT'
  | 'INCORRECT_PARAMETER'
  | 'UNAUTHORIZED_ACCOUNT'
  | 'VERSION_MISMATCH'
  | 'ABNORMAL_ACCOUNT_STATUS'
  | 'EXPIRED_CERTIFICATE'
  | 'LICENSE_FILE_FORMAT_INCORRECT'
  | 'REDIS_INSERT_FAILED'
  | 'IP_NOT_ALLOWED'
  | 'DOMAIN_NOT_ALLOWED'
  | 'APP_NAME_NOT_ALLOWED'
  | 'MYSQL_UPDATE_FAILED'
  | 'MAX_AUTHORIZATIONS_REACHED'
  | 'NOT_BOUND';

/** The fallback cause (display rule 5); with 409 it means the same Idempotency-Key is still in flight. */
const FALLBACK_CODE: CauseCode = 'LICENSE_FILE_FORMAT_INCORRECT';

export interface NodeDescription {
  nodeId: string;
  ip: string;
  appName: string;
  machineCode: string;
  domain?: string;
  mac?: string;
}

export interface RegistrationRequest {
  account: string;
  password: string;
  appVersion: string;
  nodes: NodeDescription[];
}

export interface RegisteredNode {
  nodeId: string;
  machineCode: string;
  token: string;
  /** Absent from a v1.0 cloud. */
  lease: string | undefined;
}

export interface RegistrationSuccess {
  result: 'success';
  account: string;
  expiresAt: string;
  maxRegistrations: number;
  used: number;
  nodes: RegisteredNode[];
}

/** What a node presents at every heartbeat: its machine and the token its registration answered. */
export interface NodeCredentials {
  machineCode: string;
  token: string;
}

export interface VerificationSuccess {
  result: 'valid';
  expiresAt: string;
  lease: string | undefined;
}

export interface NodeName {
  nodeId: string;
  machineCode: string;
}

export interface UnbindingRequest {
  account: string;
  password: string;
  nodes: NodeName[];
}

export interface UnbindingSuccess {
  result: 'success';
  nodes: NodeName[];
}

export interface Cause {
  /** A {@link CauseCode}, or one a newer cloud added. */
  code: string;
  message: string;
  details: Record<string, unknown> | undefined;
}

export interface NodeCauses {
  nodeId: string | undefined;
  machineCode: string | undefined;
  causes: Cause[];
}

/** The contract's failure shape, every route alike. */
export interface Failure {
  result: 'failure';
  overall: Cause[];
  nodes: NodeCauses[];
  /** An unbinding's nodes that were unbound although others were NOT_BOUND. */
  unbound: string[] | undefined;
}

// ---- Results and errors -----------------------------------------------------------------------

/** Why a call has no success: a contract answer, no answer at all, or an answer that is not the contract's. */
export type CallError =
  | {
      kind: 'refused';
      status: number;
      failure: Failure;
      /** The cloud could not decide now (429, 5xx, the same key in flight); the same call may pass later. */
      isTransient: boolean;
      retryAfterSeconds: number | undefined;
      attempts: number;
    }
  | { kind: 'unreachable'; cause: unknown; attempts: number }
  | { kind: 'bad-answer'; status: number; attempts: number };

export type CallResult<Body> = { ok: true; body: Body; isReplayed: boolean; attempts: number } | { ok: false; error: CallError };

/** Why a node is not licensed, all of them: the cloud's verdict, or no cloud and no usable lease. */
export type UnlicensedCause =
  CallError | { kind: 'no-lease' } | { kind: 'lease-expired'; expiredAt: Date | undefined } | { kind: 'lease-invalid'; reason: string };

export type LicenseState =
  | {
      state: 'licensed';
      /** The certificate's expiry day, as the cloud answered it. */
      expiresAt: string;
      /** How long the node may run without the cloud from now on; undefined with no lease that verifies. */
      leaseUntil: Date | undefined;
    }
  | { state: 'licensed-offline'; until: Date; error: CallError }
  | { state: 'unlicensed'; causes: UnlicensedCause[] };

// ---- Options ----------------------------------------------------------------------------------

export interface RetryPolicy {
  /** Attempts per logical call, the first one included. */
  maxAttempts: number;
  /** The first retry waits up to this; each later one up to twice the one before (full jitter). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry starts when its wait would end later than this after the call began. */
  deadlineMs: number;
  /** One attempt's limit: a hung connection counts as a network error. */
  attemptTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  deadlineMs: 30_000,
  attemptTimeoutMs: 10_000,
});

/**
 * Where the client keeps what a node needs offline. Give it a persistent one (a file, the node's
 * own database) so that a node restarted while the cloud is out of reach still holds its lease
 * and the keys that verify it.
 */
export interface LeaseStore {
  getLease(machineCode: string): Promise<string | undefined>;
  setLease(machineCode: string, lease: string): Promise<void>;
  deleteLease(machineCode: string): Promise<void>;
  getKeys(): Promise<JSONWebKeySet | undefined>;
  setKeys(keys: JSONWebKeySet): Promise<void>;
}

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** Where the node API answers, e.g. `https://regcloud.example.com`. */
  baseUrl: string;
  /** The account the node belongs to: its name is sent with registrations and is the leases' `acct`. */
  account: string;
  store?: LeaseStore;
  retry?: Partial<RetryPolicy>;
  fetch?: Fetch;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1), as Math.random. */
  random?: () => number;
}

export interface IdempotentCallOptions {
  /** A key kept by the caller, to resume a call a restart interrupted; a new one otherwise. */
  idempotencyKey?: string;
}

export interface RegcloudClient {
  register(request: Omit<RegistrationRequest, 'account'>, options?: IdempotentCallOptions): Promise<CallResult<RegistrationSuccess>>;
  verify(node: NodeCredentials): Promise<CallResult<VerificationSuccess>>;
  unbind(request: Omit<UnbindingRequest, 'account'>, options?: IdempotentCallOptions): Promise<CallResult<UnbindingSuccess>>;
  /** A verification read as a license: online, offline from the kept lease, or not licensed and why. */
  heartbeat(node: NodeCredentials): Promise<LicenseState>;
}

export function createMemoryLeaseStore(): LeaseStore {
  const leases = new Map<string, string>();
  let keys: JSONWebKeySet | undefined;
  return {
    getLease: (machineCode) => Promise.resolve(leases.get(machineCode)),
    setLease(machineCode, lease) {
      leases.set(machineCode, lease);
      return Promise.resolve();
    },
    deleteLease(machineCode) {
      leases.delete(machineCode);
      return Promise.resolve();
    },
    getKeys: () => Promise.resolve(keys),
    setKeys(next) {
      keys = next;
      return Promise.resolve();
    },
  };
}

/** Full jitter: anywhere in [0, min(maxDelayMs, baseDelayMs · 2^(retry−1))), so retrying nodes spread out. */
export function backoffDelayMs(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

// ---- Reading answers (unknown until checked: a proxy or a newer cloud may answer anything) ----

type Parse<T> = (value: unknown) => T | undefined;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): { ok: true; value: string | undefined } | { ok: false } {
  return value === undefined || typeof value === 'string' ? { ok: true, value } : { ok: false };
}

function arrayOf<T>(value: unknown, parse: Parse<T>): T[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const items = value.map(parse);
  return items.every((item) => item !== undefined) ? items : undefined;
}

const parseString: Parse<string> = (value) => (typeof value === 'string' ? value : undefined);

const parseCause: Parse<Cause> = (value) => {
  if (!isRecord(value) || typeof value.code !== 'string' || typeof value.message !== 'string') return undefined;
  if (value.details !== undefined && !isRecord(value.details)) return undefined;
  return { code: value.code, message: value.message, details: value.details };
};

const parseNodeCauses: Parse<NodeCauses> = (value) => {
  if (!isRecord(value)) return undefined;
  const nodeId = optionalString(value.nodeId);
  const machineCode = optionalString(value.machineCode);
  const causes = arrayOf(value.causes, parseCause);
  if (!nodeId.ok || !machineCode.ok || !causes) return undefined;
  return { nodeId: nodeId.value, machineCode: machineCode.value, causes };
};

const parseFailure: Parse<Failure> = (value) => {
  if (!isRecord(value) || value.result !== 'failure') return undefined;
  const overall = arrayOf(value.overall, parseCause);
  const nodes = arrayOf(value.nodes, parseNodeCauses);
  const unbound = value.unbound === undefined ? undefined : arrayOf(value.unbound, parseString);
  if (!overall || !nodes || (value.unbound !== undefined && !unbound)) return undefined;
  return { result: 'failure', overall, nodes, unbound };
};

const parseNodeName: Parse<NodeName> = (value) =>
  isRecord(value) && typeof value.nodeId === 'string' && typeof value.machineCode === 'string'
    ? { nodeId: value.nodeId, machineCode: value.machineCode }
    : undefined;

const parseRegisteredNode: Parse<RegisteredNode> = (value) => {
  const name = parseNodeName(value);
  if (!name || !isRecord(value) || typeof value.token !== 'string') return undefined;
  const lease = optionalString(value.lease);
  return lease.ok ? { ...name, token: value.token, lease: lease.value } : undefined;
};

const parseRegistration: Parse<RegistrationSuccess> = (value) => {
  if (!isRecord(value) || value.result !== 'success') return undefined;
  const { account, expiresAt, maxRegistrations, used } = value;
  const nodes = arrayOf(value.nodes, parseRegisteredNode);
  if (typeof account !== 'string' || typeof expiresAt !== 'string' || typeof maxRegistrations !== 'number' || typeof used !== 'number')
    return undefined;
  return nodes && { result: 'success', account, expiresAt, maxRegistrations, used, nodes };
};

const parseVerification: Parse<VerificationSuccess> = (value) => {
  if (!isRecord(value) || value.result !== 'valid' || typeof value.expiresAt !== 'string') return undefined;
  const lease = optionalString(value.lease);
  return lease.ok ? { result: 'valid', expiresAt: value.expiresAt, lease: lease.value } : undefined;
};

const parseUnbinding: Parse<UnbindingSuccess> = (value) => {
  if (!isRecord(value) || value.result !== 'success') return undefined;
  const nodes = arrayOf(value.nodes, parseNodeName);
  return nodes && { result: 'success', nodes };
};

const parseKeys: Parse<JSONWebKeySet> = (value) =>
  isRecord(value) && Array.isArray(value.keys) && value.keys.every(isRecord) ? { keys: value.keys } : undefined;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Delta-seconds only: the cloud answers no HTTP-date, and a date would need the node's clock to agree. */
function retryAfterSeconds(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  return value !== null && /^\d+$/.test(value.trim()) ? Number(value) : undefined;
}

// ---- Calling with retries ---------------------------------------------------------------------

type Attempt = { kind: 'answer'; status: number; body: unknown; headers: Headers } | { kind: 'network'; cause: unknown };

interface Call<Body> {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  idempotencyKey?: string;
  parse: Parse<Body>;
}

/** 409 with the fallback cause is a request with the same key still running, unlike a 409 with node causes (final). */
function isTransient(status: number, failure: Failure | undefined): boolean {
  if (status >= 500 || status === 408 || status === 429) return true;
  return status === 409 && failure?.overall[0]?.code === FALLBACK_CODE;
}

function resultOf<Body>(attempt: Attempt, parse: Parse<Body>, attempts: number): CallResult<Body> {
  if (attempt.kind === 'network') return { ok: false, error: { kind: 'unreachable', cause: attempt.cause, attempts } };
  const { status, body, headers } = attempt;
  const success = status === 200 ? parse(body) : undefined;
  if (success !== undefined) return { ok: true, body: success, isReplayed: headers.get('idempotent-replayed') === 'true', attempts };
  const failure = status === 200 ? undefined : parseFailure(body);
  if (!failure) return { ok: false, error: { kind: 'bad-answer', status, attempts } };
  const retryAfter = retryAfterSeconds(headers);
  return {
    ok: false,
    error: { kind: 'refused', status, failure, isTransient: isTransient(status, failure), retryAfterSeconds: retryAfter, attempts },
  };
}

/** How long to wait before the next attempt, or undefined when the answer is final. */
function waitBefore(retry: number, attempt: Attempt, policy: RetryPolicy, random: () => number): number | undefined {
  if (attempt.kind === 'answer') {
    if (!isTransient(attempt.status, parseFailure(attempt.body))) return undefined;
    const asked = retryAfterSeconds(attempt.headers);
    if (asked !== undefined) return asked * 1000;
  }
  return backoffDelayMs(retry, policy, random);
}

function createCaller(options: ClientOptions) {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const fetchOnce: Fetch = options.fetch ?? ((url, init) => fetch(url, init));
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  async function attemptOnce(call: Call<unknown>, body: string | undefined): Promise<Attempt> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (call.idempotencyKey !== undefined) headers['idempotency-key'] = call.idempotencyKey;
    try {
      const init: RequestInit = { method: call.method, headers, signal: AbortSignal.timeout(policy.attemptTimeoutMs) };
      const response = await fetchOnce(`${baseUrl}${call.path}`, body === undefined ? init : { ...init, body });
      return { kind: 'answer', status: response.status, body: parseJson(await response.text()), headers: response.headers };
    } catch (cause) {
      return { kind: 'network', cause };
    }
  }

  return async function send<Body>(call: Call<Body>): Promise<CallResult<Body>> {
    // One serialization for every attempt: the cloud replays only for the same body.
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const startedAt = now().getTime();
    for (let attempts = 1; ; attempts++) {
      const attempt = await attemptOnce(call, body);
      const wait = attempts < policy.maxAttempts ? waitBefore(attempts, attempt, policy, random) : undefined;
      if (wait === undefined || now().getTime() + wait - startedAt > policy.deadlineMs) return resultOf(attempt, call.parse, attempts);
      await sleep(wait);
    }
  };
}

// ---- Leases -----------------------------------------------------------------------------------

const LEASE_ISSUER = 'regcloud';

type LeaseCheck = { ok: true; until: Date } | { ok: false; cause: UnlicensedCause };

function leaseFailure(error: unknown): UnlicensedCause {
  if (error instanceof errors.JWTExpired) {
    const { exp } = error.payload;
    return { kind: 'lease-expired', expiredAt: exp === undefined ? undefined : new Date(exp * 1000) };
  }
  return { kind: 'lease-invalid', reason: error instanceof errors.JOSEError ? error.code : 'unreadable' };
}

function kidOf(lease: string): string | undefined {
  try {
    return decodeProtectedHeader(lease).kid;
  } catch {
    return undefined;
  }
}

/*
 * The bodies carry the contract's fields only, copied out of what the caller passed: a node's
 * record may hold its token and lease, which must not travel with every registration (and would
 * not fit a verification's 8 KiB).
 */
function registrationBody(account: string, request: Omit<RegistrationRequest, 'account'>): RegistrationRequest {
  const nodes = request.nodes.map(({ nodeId, ip, appName, machineCode, domain, mac }) => ({
    nodeId,
    ip,
    appName,
    machineCode,
    ...(domain === undefined ? {} : { domain }),
    ...(mac === undefined ? {} : { mac }),
  }));
  return { account, password: request.password, appVersion: request.appVersion, nodes };
}

function unbindingBody(account: string, request: Omit<UnbindingRequest, 'account'>): UnbindingRequest {
  return { account, password: request.password, nodes: request.nodes.map(({ nodeId, machineCode }) => ({ nodeId, machineCode })) };
}

/** A partial unbinding (409) names the nodes it did unbind; their leases go with them. */
function unboundNodeIds(result: CallResult<UnbindingSuccess>): string[] {
  if (result.ok) return result.body.nodes.map((node) => node.nodeId);
  return result.error.kind === 'refused' ? (result.error.failure.unbound ?? []) : [];
}

export function createRegcloudClient(options: ClientOptions): RegcloudClient {
  const { account } = options;
  const store = options.store ?? createMemoryLeaseStore();
  const now = options.now ?? (() => new Date());
  const send = createCaller(options);

  /** Signature (EdDSA, a key of the cloud's JWKS), issuer, machine, account and expiry: the lease counts only when all hold. */
  async function checkLease(lease: string, machineCode: string, keys: JSONWebKeySet | undefined): Promise<LeaseCheck> {
    if (!keys) return { ok: false, cause: { kind: 'lease-invalid', reason: 'no keys fetched yet' } };
    try {
      const { payload } = await jwtVerify(lease, createLocalJWKSet(keys), {
        algorithms: ['EdDSA'],
        issuer: LEASE_ISSUER,
        subject: machineCode,
        requiredClaims: ['iat', 'exp', 'acct'],
        currentDate: now(),
      });
      if (payload.acct !== account) return { ok: false, cause: { kind: 'lease-invalid', reason: 'another account' } };
      return { ok: true, until: new Date((payload.exp as number) * 1000) };
    } catch (error) {
      return { ok: false, cause: leaseFailure(error) };
    }
  }

  /** The keys that verify `lease`: the kept ones, fetched again when they do not hold its kid (a rotation). */
  async function keysFor(lease: string): Promise<JSONWebKeySet | undefined> {
    const kept = await store.getKeys();
    const kid = kidOf(lease);
    if (kept?.keys.some((key) => key.kid === kid)) return kept;
    const fetched = await send({ method: 'GET', path: '/v1/keys', parse: parseKeys });
    if (!fetched.ok) return kept;
    await store.setKeys(fetched.body);
    return fetched.body;
  }

  /** Keeps a lease the cloud just answered, once it verifies: a lease that does not never counts. */
  async function keepLease(machineCode: string, lease: string | undefined): Promise<Date | undefined> {
    if (lease === undefined) return undefined;
    const check = await checkLease(lease, machineCode, await keysFor(lease));
    if (!check.ok) return undefined;
    await store.setLease(machineCode, lease);
    return check.until;
  }

  async function offlineState(machineCode: string, error: CallError): Promise<LicenseState> {
    const lease = await store.getLease(machineCode);
    if (lease === undefined) return { state: 'unlicensed', causes: [error, { kind: 'no-lease' }] };
    const check = await checkLease(lease, machineCode, await store.getKeys());
    return check.ok ? { state: 'licensed-offline', until: check.until, error } : { state: 'unlicensed', causes: [error, check.cause] };
  }

  /** The verification, and how long the lease it answered lets the node run offline. */
  async function verifyAndKeep(node: NodeCredentials): Promise<{ result: CallResult<VerificationSuccess>; leaseUntil: Date | undefined }> {
    const body: NodeCredentials = { machineCode: node.machineCode, token: node.token };
    const result = await send({ method: 'POST', path: '/v1/verifications', body, parse: parseVerification });
    return { result, leaseUntil: result.ok ? await keepLease(node.machineCode, result.body.lease) : undefined };
  }

  return {
    async register(request, callOptions = {}) {
      const result = await send({
        method: 'POST',
        path: '/v1/registrations',
        body: registrationBody(account, request),
        idempotencyKey: callOptions.idempotencyKey ?? randomUUID(),
        parse: parseRegistration,
      });
      if (result.ok) for (const node of result.body.nodes) await keepLease(node.machineCode, node.lease);
      return result;
    },

    async verify(node) {
      return (await verifyAndKeep(node)).result;
    },

    async unbind(request, callOptions = {}) {
      const result = await send({
        method: 'POST',
        path: '/v1/unbindings',
        body: unbindingBody(account, request),
        idempotencyKey: callOptions.idempotencyKey ?? randomUUID(),
        parse: parseUnbinding,
      });
      const unbound = unboundNodeIds(result);
      for (const node of request.nodes) if (unbound.includes(node.nodeId)) await store.deleteLease(node.machineCode);
      return result;
    },

    async heartbeat(node) {
      const { result, leaseUntil } = await verifyAndKeep(node);
      if (result.ok) return { state: 'licensed', expiresAt: result.body.expiresAt, leaseUntil };
      if (result.error.kind === 'refused' && !result.error.isTransient) {
        // The cloud's verdict (frozen, expired, released): the lease no longer stands in for it, even offline later.
        await store.deleteLease(node.machineCode);
        return { state: 'unlicensed', causes: [result.error] };
      }
      return offlineState(node.machineCode, result.error);
    },
  };
}
