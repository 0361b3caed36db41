import { ROLES } from './roles.mjs';

/**
 * Who is signed in, kept in sessionStorage for this tab only. The session
 * cookie itself is HttpOnly; what the page needs is the CSRF token to send
 * with every change and the role to decide which controls to offer. A new
 * tab has neither and signs in again: without the token it could change
 * nothing anyway.
 */
const KEY = 'regcloud.console.session';

function isSession(value) {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof value.csrfToken === 'string' &&
    typeof value.staff === 'object' &&
    value.staff !== null &&
    typeof value.staff.email === 'string' &&
    ROLES.includes(value.staff.role)
  );
}

/** `{ staff: { email, role }, csrfToken }`, or null when nobody is signed in in this tab. */
export function currentSession() {
  try {
    const value = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    return isSession(value) ? value : null;
  } catch {
    return null;
  }
}

export function saveSession({ staff, csrfToken }) {
  sessionStorage.setItem(KEY, JSON.stringify({ staff: { email: staff.email, role: staff.role }, csrfToken }));
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
}
