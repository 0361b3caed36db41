import type { StaffRecord } from '#shared/storage/mysql/staff';
import type { AdminServiceDeps } from '../server-deps';

/**
 * A staff login: reserve the attempt (the public API's lockout-safe limiter,
 * keyed by email and address), one bcrypt compare whether or not the email
 * exists (unknown emails and wrong passwords cost the same), settle the
 * attempt, and on success a new session. A disabled staff member is refused
 * like a wrong password, so the answer says nothing about who exists.
 */
export type LogIn =
  | { kind: 'logged-in'; staff: StaffRecord; sessionId: string; csrfToken: string }
  | { kind: 'refused' }
  | { kind: 'throttled'; retryAfterSeconds: number };

export async function logIn(
  deps: AdminServiceDeps,
  input: { email: string; password: string; address: string; requestId?: string },
): Promise<LogIn> {
  const event = { email: input.email, address: input.address, requestId: input.requestId };
  const check = await deps.throttle.reserve(input.address, input.email, input.requestId);
  if (check.kind === 'throttled') {
    deps.logger.warn({ event: 'staff.login.throttled', ...event }, 'staff login throttled');
    return check;
  }
  let staff: StaffRecord | null;
  let isValid: boolean;
  try {
    staff = await deps.staff.findByEmail(input.email);
    isValid = (await deps.passwords.verify(input.password, staff?.passwordHash)) && staff !== null && !staff.disabled;
  } catch (error) {
    await deps.throttle.settle(check.reservation, 'abandoned');
    throw error;
  }
  await deps.throttle.settle(check.reservation, isValid ? 'succeeded' : 'failed');
  if (!isValid || !staff) {
    deps.logger.warn({ event: 'staff.login.failed', ...event }, 'failed staff login');
    return { kind: 'refused' };
  }
  const { id, session } = await deps.sessions.create(staff.id, deps.now());
  await deps.staff.recordLogin(staff.id);
  return { kind: 'logged-in', staff, sessionId: id, csrfToken: session.csrfToken };
}
