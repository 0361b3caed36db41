import { logOut, whenUnauthenticated } from './api.mjs';
import { h } from './dom.mjs';
import { can } from './roles.mjs';
import { currentSession } from './session.mjs';
import { button, notice } from './ui.mjs';
import { renderAccount } from './views/account.mjs';
import { renderAccounts } from './views/accounts.mjs';
import { renderLogin } from './views/login.mjs';
import { renderNewAccount } from './views/new-account.mjs';
import { renderStaff } from './views/staff.mjs';
import { renderTokens } from './views/tokens.mjs';
import { renderWebhooks } from './views/webhooks.mjs';

/**
 * The console's entry: a router over `location.hash` (`#/accounts`,
 * `#/accounts/acme/bindings`, …), the top bar, and the session's life.
 * Each visit of a route renders into a fresh container, so an answer that
 * arrives after staff moved on lands in a detached node and shows nowhere.
 */

const routes = [
  { pattern: /^\/login$/, isPublic: true, render: renderLogin },
  { pattern: /^\/accounts$/, render: renderAccounts },
  { pattern: /^\/new-account$/, action: 'account.create', render: renderNewAccount },
  { pattern: /^\/accounts\/([^/]+)(?:\/([a-z]+))?$/, render: renderAccount },
  { pattern: /^\/staff$/, action: 'staff.manage', render: renderStaff },
  { pattern: /^\/tokens$/, action: 'token.own', render: renderTokens },
  { pattern: /^\/webhooks$/, action: 'webhook.manage', render: renderWebhooks },
];

const NAV = [
  { href: '#/accounts', label: 'Accounts', section: ['/accounts', '/new-account'] },
  { href: '#/tokens', label: 'API tokens', section: ['/tokens'], action: 'token.own' },
  { href: '#/staff', label: 'Staff', section: ['/staff'], action: 'staff.manage' },
  { href: '#/webhooks', label: 'Webhooks', section: ['/webhooks'], action: 'webhook.manage' },
];

const main = document.getElementById('main');
const topnav = document.getElementById('topnav');
const who = document.getElementById('who');

/** Where to go after signing in: the page the session ended on. */
let returnTo = null;
/** A message for the next view to show (a sign-out, a created account). */
let pendingNotice = null;

function parseHash(hash) {
  const text = hash.replace(/^#/, '') || '/';
  const [path, query = ''] = text.split('?', 2);
  return { path, query: new URLSearchParams(query) };
}

/** `notice`: `{ text, tone }` for the view that comes next. */
function navigate(hash, { notice: next } = {}) {
  pendingNotice = next ?? null;
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function signOut() {
  let message = 'You have signed out.';
  try {
    await logOut();
  } catch (error) {
    // A 401 means the session had already ended: signed out all the same.
    if (error.status !== 401)
      message = `Signed out of this tab, but the server did not confirm it (${error.message}${error.requestId ? `, request id ${error.requestId}` : ''}); the session ends when it expires.`;
  }
  returnTo = null;
  navigate('#/login', { notice: { text: message, tone: 'info' } });
}

function afterSignIn() {
  const target = returnTo ?? '#/accounts';
  returnTo = null;
  navigate(target);
}

function renderChrome(session, path) {
  topnav.replaceChildren(
    ...(session === null
      ? []
      : NAV.filter((item) => item.action === undefined || can(session, item.action)).map((item) =>
          h(
            'a',
            {
              href: item.href,
              className: 'topnav-link',
              'aria-current': item.section.some((prefix) => path.startsWith(prefix)) ? 'page' : undefined,
            },
            item.label,
          ),
        )),
  );
  who.replaceChildren(
    ...(session === null
      ? []
      : [
          h('span', { className: 'who-email' }, session.staff.email),
          h('span', { className: 'role-badge' }, session.staff.role),
          button('Sign out', { kind: 'ghost', size: 'small', on: { click: signOut } }),
        ]),
  );
}

function renderUnavailable(view, text) {
  view.append(h('h1', {}, 'Not available'), h('p', {}, text), h('p', {}, h('a', { href: '#/accounts' }, 'Back to accounts')));
}

function route({ isFirst = false } = {}) {
  const { path, query } = parseHash(location.hash);
  const session = currentSession();
  const view = h('div', { className: 'view' });
  const context = { session, query, navigate, afterSignIn, params: [] };

  let match = null;
  for (const candidate of routes) {
    const found = candidate.pattern.exec(path);
    if (found) {
      match = candidate;
      try {
        context.params = found.slice(1).map((part) => (part === undefined ? undefined : decodeURIComponent(part)));
      } catch {
        match = null;
      }
      break;
    }
  }

  if (match === null) {
    location.replace(session === null ? '#/login' : '#/accounts');
    return;
  }
  if (!match.isPublic && session === null) {
    returnTo = location.hash;
    location.replace('#/login');
    return;
  }

  renderChrome(session, path);
  if (pendingNotice !== null) view.append(notice(pendingNotice.text, { tone: pendingNotice.tone }));
  pendingNotice = null;
  main.replaceChildren(view);

  if (match.action !== undefined && !can(session, match.action)) {
    renderUnavailable(view, `Your role (${session.staff.role}) cannot use this page.`);
  } else {
    match.render(view, context);
  }
  // Moving focus to the new heading tells screen readers the page changed,
  // unless the view put it somewhere itself (the sign-in form's email) or
  // this is the first load.
  const heading = view.querySelector('h1');
  if (heading !== null) heading.tabIndex = -1;
  if (!isFirst && !view.contains(document.activeElement)) heading?.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

whenUnauthenticated(() => {
  if (parseHash(location.hash).path === '/login') return;
  returnTo = location.hash;
  navigate('#/login', { notice: { text: 'Your session has ended. Sign in again to continue.', tone: 'info' } });
});

window.addEventListener('hashchange', () => route());
route({ isFirst: true });
