import { clearSession, currentSession, saveSession } from './session.mjs';

/**
 * Every call the console makes, in one module: the routes, bodies, headers
 * and error shape are those of the admin contract
 * (shared/spec/admin-contract.md), so a wiring problem is fixed here and
 * nowhere else. Each function resolves with the contract's body (null for
 * 204) or rejects with an ApiError.
 */
const BASE = '/admin/api/v1';

/** The contract asks for the CSRF token on exactly these when the session cookie authenticates. */
const CHANGES_STATE = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export class ApiError extends Error {
  constructor({ status, code, message, details = null, requestId = null, retryAfterSeconds = null }) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

let onUnauthenticated = () => {};

/** Called after any 401 but the login's own (a wrong password is not an ended session). */
export function whenUnauthenticated(handler) {
  onUnauthenticated = handler;
}

/** A path whose interpolated values are URL-encoded segments: path`/accounts/${name}`. */
function path(strings, ...values) {
  return strings.reduce((out, text, index) => out + text + (index < values.length ? encodeURIComponent(String(values[index])) : ''), '');
}

/** Leaves out parameters that are unset or empty: an empty filter means no filter. */
function withQuery(target, parameters) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return text === '' ? target : `${target}?${text}`;
}

async function errorOf(response) {
  const requestId = response.headers.get('x-request-id');
  const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
  const base = { status: response.status, requestId, retryAfterSeconds: Number.isFinite(retryAfter) ? retryAfter : null };
  try {
    const { error } = await response.json();
    if (typeof error?.code === 'string' && typeof error.message === 'string') {
      return new ApiError({ ...base, code: error.code, message: error.message, details: error.details ?? null });
    }
  } catch {
    // Not the contract's error body (a proxy's page, say): described by its status below.
  }
  return new ApiError({
    ...base,
    code: `HTTP_${response.status}`,
    message: `The admin service answered ${response.status} ${response.statusText}`.trim(),
  });
}

async function send(method, target, { body, headers = {}, accept = 'application/json', isLogin = false } = {}) {
  const init = { method, headers: { Accept: accept, ...headers }, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const csrfToken = currentSession()?.csrfToken;
  if (CHANGES_STATE.has(method) && csrfToken !== undefined) init.headers['X-CSRF-Token'] = csrfToken;

  let response;
  try {
    response = await fetch(BASE + target, init);
  } catch {
    throw new ApiError({
      status: 0,
      code: 'NETWORK',
      message: 'The admin service could not be reached. Check the connection and try again.',
    });
  }
  if (response.ok) return response;
  const error = await errorOf(response);
  if (response.status === 401 && !isLogin) {
    clearSession();
    onUnauthenticated(error);
  }
  throw error;
}

async function json(method, target, options) {
  const response = await send(method, target, options);
  return response.status === 204 ? null : response.json();
}

/**
 * The account and the If-Match value that changes it. The contract makes
 * the ETag `"<revision>"` and puts the same revision in the body; the body's
 * is used because a PATCH answer carries the body but is not promised an
 * ETag, and one rule serves both.
 */
function withPrecondition(account) {
  return { account, ifMatch: `"${account.revision}"` };
}

// Sessions

export async function logIn(email, password) {
  const answer = await json('POST', '/sessions', { body: { email, password }, isLogin: true });
  saveSession(answer);
  return answer.staff;
}

/**
 * This tab's session ends whatever the server answers, so the button always
 * signs out here; a failure is still reported, since the cookie then lives
 * on until the server expires it.
 */
export async function logOut() {
  try {
    await send('DELETE', '/sessions/current');
  } finally {
    clearSession();
  }
}

// Accounts

export function listAccounts({ query, status, expiringWithinDays, cursor }) {
  return json('GET', withQuery('/accounts', { query, status, expiringWithinDays, cursor }));
}

export function createAccount(fields) {
  return json('POST', '/accounts', { body: fields });
}

export async function getAccount(name) {
  return withPrecondition(await json('GET', path`/accounts/${name}`));
}

export async function changeAccount(name, ifMatch, changes) {
  return withPrecondition(await json('PATCH', path`/accounts/${name}`, { body: changes, headers: { 'If-Match': ifMatch } }));
}

export function setAccountPassword(name, password) {
  return json('POST', path`/accounts/${name}/password`, { body: { password } });
}

export function listBindings(name, cursor) {
  return json('GET', withQuery(path`/accounts/${name}/bindings`, { cursor }));
}

export function releaseBinding(name, machineCode) {
  return json('DELETE', path`/accounts/${name}/bindings/${machineCode}`);
}

/** Resolves with `{ released, notBound }`: the machine codes of each kind, released in one transaction. */
export function releaseBindings(name, machineCodes) {
  return json('POST', path`/accounts/${name}/releases`, { body: { machineCodes } });
}

export function listAttempts(name, cursor) {
  return json('GET', withQuery(path`/accounts/${name}/attempts`, { cursor }));
}

// Audit

export function listAudit({ account, cursor }) {
  return json('GET', withQuery('/audit', { account, cursor }));
}

/**
 * The whole trail as one CSV file. The export pages like the JSON list (the
 * next cursor in X-Next-Cursor), each page with its header line, so the
 * pages are joined with the header kept once. 500 rows a page, the most
 * the contract allows, keeps the round trips few.
 */
export async function auditCsv({ account }) {
  const parts = [];
  let cursor = null;
  do {
    const response = await send('GET', withQuery('/audit', { account, limit: 500, cursor }), { accept: 'text/csv' });
    let text = await response.text();
    if (parts.length > 0) {
      const headerEnd = text.indexOf('\n');
      text = headerEnd === -1 ? '' : text.slice(headerEnd + 1);
    }
    if (text !== '' && !text.endsWith('\n')) text += '\n';
    parts.push(text);
    cursor = response.headers.get('X-Next-Cursor');
  } while (cursor);
  return new Blob(parts, { type: 'text/csv' });
}

// Staff

export function listStaff(cursor) {
  return json('GET', withQuery('/staff', { cursor }));
}

export function createStaff({ email, role, password }) {
  return json('POST', '/staff', { body: { email, role, password } });
}

/** `changes` is `{ role }` or `{ disabled }`. */
export function changeStaff(email, changes) {
  return json('PATCH', path`/staff/${email}`, { body: changes });
}

// API tokens

export function listTokens(cursor) {
  return json('GET', withQuery('/tokens', { cursor }));
}

/** Resolves with `{ id, name, role, token }`: the only time the token itself is seen. */
export function createToken({ name, role }) {
  return json('POST', '/tokens', { body: { name, role } });
}

export function revokeToken(id) {
  return json('DELETE', path`/tokens/${id}`);
}

// Webhooks

export function listWebhooks(cursor) {
  return json('GET', withQuery('/webhooks', { cursor }));
}

/** Resolves with `{ id, url, events, disabled, secret }`: the only time the signing secret is seen. */
export function createWebhook({ url, events }) {
  return json('POST', '/webhooks', { body: { url, events } });
}

/** `changes` is `{ events }` or `{ disabled }`. */
export function changeWebhook(id, changes) {
  return json('PATCH', path`/webhooks/${id}`, { body: changes });
}

export function deleteWebhook(id) {
  return json('DELETE', path`/webhooks/${id}`);
}

export function listDeliveries(id, { status, cursor }) {
  return json('GET', withQuery(path`/webhooks/${id}/deliveries`, { status, cursor }));
}

/** Resolves once the attempt is queued (202, no body): the worker makes it, so its outcome shows in a later listing. */
export async function retryDelivery(id, eventId) {
  const response = await send('POST', path`/webhooks/${id}/deliveries/${eventId}/retry`);
  // Read to its (empty) end: a body left unread is cancelled once the response is collected, which the browser logs as a failed request.
  await response.text();
}
