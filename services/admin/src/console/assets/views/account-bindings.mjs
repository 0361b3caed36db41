import { listBindings, releaseBinding, releaseBindings } from '../api.mjs';
import { formatTimestamp, h, plural, timeAgo } from '../dom.mjs';
import { can } from '../roles.mjs';
import { button, confirmAction, dataTable, errorBox, notice, pagedList } from '../ui.mjs';

/**
 * The machines holding a seat, releasable by operators and admins after a
 * confirmation: one by its row's button, or those ticked on the page shown
 * at once (one transaction on the server).
 */

function optional(value) {
  return value === null || value === undefined || value === '' ? h('span', { className: 'muted' }, '—') : value;
}

function lastSeen(iso) {
  if (!iso) return h('span', { className: 'muted' }, 'never');
  return h('span', {}, formatTimestamp(iso), h('br'), h('span', { className: 'muted small' }, timeAgo(new Date(iso))));
}

export function renderBindingsTab(panel, page) {
  const message = h('div', { className: 'panel-alert' });
  const mayRelease = can(page.session, 'binding.release');
  /** The page shown, a checkbox per binding; replaced whenever the list renders. */
  let rows = [];
  const selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select every machine on this page' });
  const releaseSelected = button('Release selected', { kind: 'danger-outline', size: 'small', disabled: true });

  /** Only boxes still on the page count: after a failed reload the old rows are gone, and so is their selection. */
  function selected() {
    return rows.filter((row) => row.checkbox.isConnected && row.checkbox.checked).map((row) => row.binding);
  }

  function showSelection() {
    const count = selected().length;
    releaseSelected.disabled = count === 0;
    releaseSelected.textContent = count === 0 ? 'Release selected' : `Release selected (${count})`;
    selectAll.checked = count > 0 && count === rows.length;
    selectAll.indeterminate = count > 0 && count < rows.length;
  }

  function selectBox(binding) {
    const checkbox = h('input', {
      type: 'checkbox',
      'aria-label': `Select machine ${binding.machineCode}`,
      on: { change: showSelection },
    });
    rows.push({ binding, checkbox });
    return checkbox;
  }

  selectAll.addEventListener('change', () => {
    for (const row of rows) row.checkbox.checked = selectAll.checked;
    showSelection();
  });

  async function release(binding) {
    const isConfirmed = await confirmAction({
      title: 'Release this machine?',
      message: [
        h('p', {}, 'Machine ', h('code', {}, binding.machineCode), ` (node ${binding.nodeId}) loses its seat on ${page.name} at once.`),
        h('p', {}, 'Its token stops verifying; the node has to register again to get a seat back.'),
      ],
      confirmLabel: 'Release machine',
    });
    if (!isConfirmed) return;
    try {
      await releaseBinding(page.name, binding.machineCode);
      message.replaceChildren(notice(`Released machine ${binding.machineCode}.`));
    } catch (error) {
      // Someone (or the node itself) unbound it first: the list was stale, not the release wrong.
      if (error.code === 'NOT_FOUND')
        message.replaceChildren(notice(`Machine ${binding.machineCode} was no longer bound.`, { tone: 'info' }));
      else {
        message.replaceChildren(errorBox(error));
        return;
      }
    }
    list.reload();
    page.refresh();
  }

  /** What the server answered, in staff's terms; a code not bound was released by someone else or unbound by its node first. */
  function releasedText({ released, notBound }) {
    const parts = [];
    if (released.length > 0) parts.push(`Released ${plural(released.length, 'machine')}: ${released.join(', ')}.`);
    if (notBound.length > 0)
      parts.push(`${notBound.length === 1 ? 'This one was' : 'These were'} no longer bound: ${notBound.join(', ')}.`);
    return parts.join(' ');
  }

  async function releaseChosen() {
    const bindings = selected();
    if (bindings.length === 0) {
      showSelection();
      return;
    }
    const count = plural(bindings.length, 'machine');
    const isConfirmed = await confirmAction({
      title: `Release ${count}?`,
      message: [
        h('p', {}, `These machines lose their seats on ${page.name} at once:`),
        h(
          'ul',
          { className: 'plain-list' },
          bindings.map((binding) => h('li', {}, h('code', {}, binding.machineCode), ` (node ${binding.nodeId})`)),
        ),
        h('p', {}, 'Their tokens stop verifying; each node has to register again to get a seat back.'),
      ],
      confirmLabel: `Release ${count}`,
    });
    if (!isConfirmed) return;
    releaseSelected.disabled = true;
    try {
      const outcome = await releaseBindings(
        page.name,
        bindings.map((binding) => binding.machineCode),
      );
      message.replaceChildren(notice(releasedText(outcome), { tone: outcome.released.length > 0 ? 'ok' : 'info' }));
    } catch (error) {
      message.replaceChildren(errorBox(error));
      showSelection();
      return;
    }
    list.reload();
    page.refresh();
  }
  releaseSelected.addEventListener('click', releaseChosen);

  const columns = [
    { label: 'Machine code', className: 'wrap', cell: (binding) => h('code', {}, binding.machineCode) },
    { label: 'Node id', className: 'wrap', cell: (binding) => binding.nodeId },
    { label: 'IP', className: 'nowrap', cell: (binding) => h('code', {}, binding.ip) },
    { label: 'Domain', className: 'wrap', cell: (binding) => optional(binding.domain) },
    { label: 'App name', cell: (binding) => optional(binding.appName) },
    { label: 'App version', cell: (binding) => optional(binding.appVersion) },
    { label: 'Bound at', cell: (binding) => formatTimestamp(binding.boundAt) },
    { label: 'Last seen', cell: (binding) => lastSeen(binding.lastSeenAt) },
  ];
  if (mayRelease) {
    columns.unshift({ label: selectAll, className: 'select', cell: selectBox });
    columns.push({
      label: h('span', { className: 'sr-only' }, 'Actions'),
      className: 'actions',
      cell: (binding) =>
        button('Release', {
          kind: 'danger-outline',
          size: 'small',
          'aria-label': `Release machine ${binding.machineCode}`,
          on: { click: () => release(binding) },
        }),
    });
  }

  const list = pagedList({
    label: 'Bindings',
    fetchPage: (cursor) => listBindings(page.name, cursor),
    render: (items) => {
      rows = [];
      const table = dataTable({ caption: `Machines bound to ${page.name}`, columns, items });
      showSelection();
      return table;
    },
    emptyText: 'No bindings yet.',
  });
  panel.replaceChildren(
    h(
      'div',
      { className: 'panel-header' },
      h(
        'div',
        {},
        h('h2', {}, 'Bound machines'),
        h('p', { className: 'muted' }, 'Last seen is recorded at most every few minutes, so it may trail a node’s latest heartbeat.'),
      ),
      mayRelease ? releaseSelected : null,
    ),
    message,
    list.element,
  );
}
