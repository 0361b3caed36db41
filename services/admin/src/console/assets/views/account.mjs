import { changeAccount, getAccount, setAccountPassword } from '../api.mjs';
import { expiryText, formatTimestamp, h, setChildren, statusBadge, uid } from '../dom.mjs';
import { createForm, textField } from '../forms.mjs';
import { can } from '../roles.mjs';
import { button, confirmAction, errorBox, loading, notice, openDialog } from '../ui.mjs';
import { renderAttemptsTab } from './account-attempts.mjs';
import { renderAuditTab } from './account-audit.mjs';
import { renderBindingsTab } from './account-bindings.mjs';
import { renderCertificateTab } from './account-certificate.mjs';
import { accountHref, STATUSES } from './accounts.mjs';

/**
 * One account: a header with its state and the operator's actions (status,
 * password), and a tab per section. Tabs are links (`#/accounts/acme/audit`),
 * so each is bookmarkable and Back moves between them.
 */
const TABS = [
  { id: 'certificate', label: 'Certificate', render: renderCertificateTab },
  { id: 'bindings', label: 'Bindings', render: renderBindingsTab },
  { id: 'attempts', label: 'Attempts', render: renderAttemptsTab },
  { id: 'audit', label: 'Audit', render: renderAuditTab },
];

/** What a status means for the customer's nodes (the node contract's status checks and leases). */
const STATUS_EFFECT = {
  active: 'Its nodes can register, verify and unbind again.',
  frozen:
    'Its nodes are refused with “Abnormal Account Status” from their next registration, verification or unbinding. Bindings stay; a node holding an offline lease keeps working until the lease expires.',
  disabled:
    'Its nodes are refused with “Abnormal Account Status” from their next registration, verification or unbinding. Bindings stay; a node holding an offline lease keeps working until the lease expires.',
};

/** Rule 1: a change sent against a revision that is no longer current is refused, and nothing changed. */
const STALE_MESSAGE = 'Someone else changed this account since it was loaded. Reload to see the change, then try again.';

function fact(label, value) {
  return h('div', { className: 'fact' }, h('dt', {}, label), h('dd', {}, value));
}

export function renderAccount(view, { session, params, navigate }) {
  const [name, tabId] = params;
  const tab = TABS.find((candidate) => candidate.id === tabId) ?? TABS[0];
  const header = h('div', { className: 'account-header' }, loading());
  const alert = h('div', { className: 'account-alert' });
  const panel = h('section', { className: 'card tab-panel', 'aria-label': tab.label });
  const title = h('h1', { className: 'account-title' }, name);

  view.append(
    h(
      'nav',
      { className: 'breadcrumbs', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/accounts' }, 'Accounts'),
      h('span', { 'aria-hidden': 'true' }, ' › '),
      name,
    ),
    h('div', { className: 'page-header' }, title),
    header,
    alert,
    h(
      'nav',
      { className: 'tabs', 'aria-label': 'Account sections' },
      TABS.map((candidate) =>
        h(
          'a',
          { href: accountHref(name, candidate.id), className: 'tab', 'aria-current': candidate === tab ? 'page' : undefined },
          candidate.label,
        ),
      ),
    ),
    panel,
  );

  const state = { account: null, ifMatch: null };

  /** The error box for a failed change of this account, with a Reload button when the revision was stale. */
  function explain(error) {
    if (error.code === 'PRECONDITION_FAILED') {
      return errorBox(error, {
        message: STALE_MESSAGE,
        actions: button('Reload', { kind: 'secondary', size: 'small', on: { click: () => navigate(location.hash) } }),
      });
    }
    return errorBox(error);
  }

  const page = {
    name,
    session,
    get account() {
      return state.account;
    },
    get ifMatch() {
      return state.ifMatch;
    },
    explain,
    /** After a change this page made: the answer is the account as it now is. */
    update(result, message) {
      state.account = result.account;
      state.ifMatch = result.ifMatch;
      renderHeader();
      if (message) alert.replaceChildren(notice(message));
      else alert.replaceChildren();
    },
    /** After a change that moved `used` (a release) or the revision (a password): the header shows it. */
    async refresh(message) {
      try {
        page.update(await getAccount(name), message);
      } catch (error) {
        alert.replaceChildren(errorBox(error));
      }
    },
  };

  function statusControl() {
    const id = uid('status');
    const select = h(
      'select',
      { id },
      STATUSES.map((status) => h('option', { value: status, selected: status === state.account.status }, status)),
    );
    const apply = button('Change status', { kind: 'secondary', size: 'small', disabled: true });
    select.addEventListener('change', () => {
      apply.disabled = select.value === state.account.status;
    });
    apply.addEventListener('click', async () => {
      const status = select.value;
      const isConfirmed = await confirmAction({
        title: `Make ${name} ${status}?`,
        message: [h('p', {}, `The account is ${state.account.status} now.`), h('p', {}, STATUS_EFFECT[status])],
        confirmLabel: `Make ${status}`,
        isDangerous: status !== 'active',
      });
      if (!isConfirmed) return;
      apply.disabled = true;
      try {
        page.update(await changeAccount(name, state.ifMatch, { status }), `${name} is now ${status}.`);
      } catch (error) {
        apply.disabled = false;
        alert.replaceChildren(explain(error));
      }
    });
    return h('div', { className: 'inline-control' }, h('label', { for: id }, 'Status'), select, apply);
  }

  function openPasswordDialog() {
    const cancel = button('Cancel', { kind: 'ghost' });
    const form = createForm({
      fields: [
        textField({
          name: 'password',
          label: 'New password',
          type: 'password',
          autocomplete: 'new-password',
          required: true,
          hint: 'At most 72 bytes. Bound machines keep working; the customer’s next registration or unbinding needs the new password.',
        }),
      ],
      submitLabel: 'Set password',
      footer: cancel,
      async onSubmit({ password }) {
        await setAccountPassword(name, password);
        close('done');
        await page.refresh(`Password of ${name} changed. Give it to the customer through a safe channel.`);
      },
    });
    const { close } = openDialog({ title: `Reset the password of ${name}`, content: form.element });
    cancel.addEventListener('click', () => close('cancel'));
    form.field('password').control.focus();
  }

  function renderHeader() {
    const { account } = state;
    title.replaceChildren(name, ' ', statusBadge(account.status));
    const actions = [];
    if (can(session, 'account.status')) actions.push(statusControl());
    if (can(session, 'account.password'))
      actions.push(button('Reset password', { kind: 'secondary', size: 'small', on: { click: openPasswordDialog } }));
    setChildren(
      header,
      h(
        'dl',
        { className: 'facts' },
        fact('Version', account.version),
        fact('Expires', expiryText(account.expiresAt)),
        fact('Seats used', `${account.used} of ${account.maxRegistrations}`),
        fact('Created', formatTimestamp(account.createdAt)),
        fact('Updated', formatTimestamp(account.updatedAt)),
        fact('Revision', String(account.revision)),
      ),
      actions.length > 0 ? h('div', { className: 'account-actions' }, actions) : null,
    );
  }

  (async () => {
    try {
      const result = await getAccount(name);
      state.account = result.account;
      state.ifMatch = result.ifMatch;
    } catch (error) {
      header.replaceChildren(
        error.code === 'NOT_FOUND' ? errorBox(error, { message: `There is no account named “${name}”.` }) : errorBox(error),
      );
      panel.hidden = true;
      return;
    }
    renderHeader();
    tab.render(panel, page);
  })();
}
