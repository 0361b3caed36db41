import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { isAllowed, lowerRole, type StaffAction, type StaffRole } from '#shared/domain/staff';
import { AdminError } from '../http/admin-errors';
import type { AdminServiceDeps } from '../server-deps';

/**
 * Who is asking: a console session (cookie) or an API token (Bearer), and
 * with which role. Resolved once per request; `requires(action)` then checks
 * the role table (shared/domain/staff.ts) in one place.
 */
export interface Principal {
  staffId: number;
  email: string;
  role: StaffRole;
  /** How the audit log names them: the email, or `token:<name>`. */
  actor: string;
  sessionId?: string;
}

export const SESSION_COOKIE = 'regcloud_admin';
const STATE_CHANGING = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
const TOKEN_TOUCH_INTERVAL_MS = 60_000;

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new AdminError('UNAUTHENTICATED');
  return principal;
}

function isSameSecret(presented: string, expected: string): boolean {
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

async function fromToken(deps: AdminServiceDeps, secret: string): Promise<Principal> {
  const token = await deps.staff.findActiveToken(secret);
  if (!token || token.creatorDisabled) throw new AdminError('UNAUTHENTICATED');
  // lastUsedAt is for people reading the token list: a minute's precision spares a write per request.
  const lastUsedMs = token.lastUsedAt === null ? 0 : Date.parse(`${token.lastUsedAt.replace(' ', 'T')}Z`);
  if (deps.now() - lastUsedMs > TOKEN_TOUCH_INTERVAL_MS) await deps.staff.touchToken(token.id);
  return {
    staffId: token.createdBy,
    email: token.createdByEmail,
    role: lowerRole(token.role, token.creatorRole),
    actor: `token:${token.name}`,
  };
}

async function fromSession(deps: AdminServiceDeps, req: Request, sessionId: string): Promise<Principal> {
  const session = await deps.sessions.use(sessionId, deps.now());
  if (!session) throw new AdminError('UNAUTHENTICATED');
  const staff = await deps.staff.findById(session.staffId);
  if (!staff || staff.disabled) {
    await deps.sessions.end(sessionId);
    throw new AdminError('UNAUTHENTICATED');
  }
  // Synchronizer token: the session holds it, the console sends it in a header a cross-site form cannot set.
  if (STATE_CHANGING.has(req.method)) {
    const presented = req.get('x-csrf-token');
    if (presented === undefined || !isSameSecret(presented, session.csrfToken)) throw new AdminError('CSRF_FAILED');
  }
  return { staffId: staff.id, email: staff.email, role: staff.role, actor: staff.email, sessionId };
}

export function authenticate(deps: AdminServiceDeps): RequestHandler {
  return async (req, res, next) => {
    // An auth scheme's name is case-insensitive (RFC 9110 §11.1).
    const bearer = /^bearer +(\S+) *$/i.exec(req.get('authorization') ?? '')?.[1];
    const sessionId = (req.cookies as Record<string, unknown> | undefined)?.[SESSION_COOKIE];
    if (bearer !== undefined) res.locals.principal = await fromToken(deps, bearer);
    else if (typeof sessionId === 'string' && sessionId !== '') res.locals.principal = await fromSession(deps, req, sessionId);
    else throw new AdminError('UNAUTHENTICATED');
    next();
  };
}

export function requires(action: StaffAction): RequestHandler {
  return (_req, res, next) => {
    assertAllowed(res, action);
    next();
  };
}

/** For routes whose action depends on the body (which account fields change, whose token it is). */
export function assertAllowed(res: Response, action: StaffAction): Principal {
  const principal = principalOf(res);
  if (!isAllowed(principal.role, action)) throw new AdminError('FORBIDDEN');
  return principal;
}
