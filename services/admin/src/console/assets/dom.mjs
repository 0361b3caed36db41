/**
 * Building the DOM from data. Text always goes in as text nodes (`append`
 * with strings, `textContent`), never as markup, so account names, machine
 * codes and audit values can hold anything and still show as typed.
 */

let lastId = 0;

/** A document-unique id, for label/for and aria-describedby pairs. */
export function uid(prefix) {
  lastId += 1;
  return `${prefix}-${lastId}`;
}

/**
 * `h('a', { href, className: 'x', on: { click } }, 'text', child)`.
 * Props are attributes, except `className` and `on` (event listeners);
 * `true` sets a boolean attribute, and `false`, null or undefined leave it
 * out. Children are nodes or strings; null, undefined and false are
 * skipped, arrays flattened.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'className') element.className = value;
    else if (key === 'on') for (const [type, listener] of Object.entries(value)) element.addEventListener(type, listener);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  element.append(...present(children));
  return element;
}

/** Replaces an element's children, skipping and flattening them as h() does (replaceChildren alone would write "null"). */
export function setChildren(element, ...children) {
  element.replaceChildren(...present(children));
}

function present(children) {
  return children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false);
}

const DAY_MS = 86_400_000;

/**
 * `2025-12-02 14:03 UTC`, in UTC like the logs staff compare it with; the
 * exact instant and how long ago it was show on hover.
 */
export function formatTimestamp(iso) {
  if (iso === null || iso === undefined) return h('span', { className: 'muted' }, '—');
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const exact = date.toISOString();
  return h('time', { datetime: exact, title: `${exact} (${timeAgo(date)})` }, `${exact.slice(0, 16).replace('T', ' ')} UTC`);
}

/** `just now`, `5 min ago`, `3 h ago`, `12 days ago`. */
export function timeAgo(date) {
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  const days = Math.floor(seconds / 86_400);
  return days === 1 ? '1 day ago' : `${days} days ago`;
}

/**
 * Whole days from today (UTC) to a `YYYY-MM-DD` expiry: 0 on the last valid
 * day, negative once expired (a certificate is valid through the end of its
 * day, UTC). null for a value that is not a date.
 */
function daysUntil(day) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day ?? '');
  if (match === null) return null;
  const expiry = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  const now = new Date();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.round((expiry - today) / DAY_MS);
}

/** The expiry date with how far off it is, flagged when it is close or past. */
export function expiryText(day) {
  const days = daysUntil(day);
  if (days === null) return String(day);
  if (days < 0) return h('span', {}, `${day} `, h('span', { className: 'badge badge-danger' }, 'expired'));
  const label = days === 0 ? 'last day' : days === 1 ? 'in 1 day' : `in ${days} days`;
  return h('span', {}, `${day} `, h('span', { className: days <= 30 ? 'badge badge-warning' : 'muted' }, label));
}

export function statusBadge(status) {
  return h('span', { className: `badge badge-${status === 'active' ? 'ok' : status === 'frozen' ? 'warning' : 'danger'}` }, status);
}

export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}
