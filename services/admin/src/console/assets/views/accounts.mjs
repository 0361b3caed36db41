import { listAccounts } from '../api.mjs';
import { expiryText, formatTimestamp, h, statusBadge, uid } from '../dom.mjs';
import { can } from '../roles.mjs';
import { dataTable, pagedList } from '../ui.mjs';

export const STATUSES = ['active', 'frozen', 'disabled'];

export function accountHref(name, tab) {
  return `#/accounts/${encodeURIComponent(name)}${tab ? `/${tab}` : ''}`;
}

/**
 * The filters live in the hash (`#/accounts?query=ac&status=frozen`), so
 * a filtered list can be bookmarked and Back returns to it.
 */
function filtersOf(query) {
  return {
    query: query.get('query') ?? '',
    status: STATUSES.includes(query.get('status')) ? query.get('status') : '',
    expiringWithinDays: /^\d+$/.test(query.get('expiringWithinDays') ?? '') ? query.get('expiringWithinDays') : '',
  };
}

function hashOf(filters) {
  const query = new URLSearchParams(Object.entries(filters).filter(([, value]) => value !== ''));
  const text = query.toString();
  return text === '' ? '#/accounts' : `#/accounts?${text}`;
}

function filterForm(filters, navigate) {
  const ids = { query: uid('filter-query'), status: uid('filter-status'), days: uid('filter-days') };
  const query = h('input', {
    id: ids.query,
    type: 'search',
    name: 'query',
    value: filters.query,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'e.g. acme',
  });
  const status = h(
    'select',
    { id: ids.status, name: 'status' },
    h('option', { value: '' }, 'Any status'),
    STATUSES.map((value) => h('option', { value, selected: value === filters.status }, value)),
  );
  const days = h('input', {
    id: ids.days,
    type: 'number',
    name: 'expiringWithinDays',
    min: 0,
    step: 1,
    inputmode: 'numeric',
    value: filters.expiringWithinDays,
    placeholder: 'days',
  });
  const clear = h('a', { href: '#/accounts', className: 'button button-ghost' }, 'Clear');
  const form = h(
    'form',
    { className: 'filters', role: 'search', 'aria-label': 'Filter accounts' },
    h('div', { className: 'filter' }, h('label', { for: ids.query }, 'Name starts with'), query),
    h('div', { className: 'filter' }, h('label', { for: ids.status }, 'Status'), status),
    h('div', { className: 'filter' }, h('label', { for: ids.days }, 'Expiring within (days)'), days),
    h('div', { className: 'filter filter-actions' }, h('button', { type: 'submit', className: 'button button-primary' }, 'Search'), clear),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = days.value.trim();
    navigate(hashOf({ query: query.value.trim(), status: status.value, expiringWithinDays: /^\d+$/.test(value) ? value : '' }));
  });
  return form;
}

function accountsTable(items) {
  return dataTable({
    caption: 'Accounts',
    items,
    columns: [
      { label: 'Name', cell: (account) => h('a', { href: accountHref(account.name), className: 'strong' }, account.name) },
      { label: 'Status', cell: (account) => statusBadge(account.status) },
      { label: 'Version', cell: (account) => account.version },
      { label: 'Expires', cell: (account) => expiryText(account.expiresAt) },
      { label: 'Seats used', className: 'numeric', cell: (account) => `${account.used} / ${account.maxRegistrations}` },
      { label: 'Updated', cell: (account) => formatTimestamp(account.updatedAt) },
    ],
  });
}

export function renderAccounts(view, { session, query, navigate }) {
  const filters = filtersOf(query);
  const isFiltered = Object.values(filters).some((value) => value !== '');
  const list = pagedList({
    label: 'Accounts',
    fetchPage: (cursor) => listAccounts({ ...filters, cursor }),
    render: accountsTable,
    emptyText: isFiltered ? 'No accounts match these filters.' : 'No accounts yet.',
  });
  view.append(
    h(
      'div',
      { className: 'page-header' },
      h('div', {}, h('h1', {}, 'Accounts'), h('p', { className: 'muted' }, 'Customer accounts, newest first.')),
      can(session, 'account.create') ? h('a', { href: '#/new-account', className: 'button button-primary' }, 'Create account') : null,
    ),
    h('section', { className: 'card' }, filterForm(filters, navigate), list.element),
  );
}
