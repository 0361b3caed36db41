import { listBindings, releaseBinding } from '../api.mjs';
import { formatTimestamp, h, timeAgo } from '../dom.mjs';
import { can } from '../roles.mjs';
import { button, confirmAction, dataTable, errorBox, notice, pagedList } from '../ui.mjs';

/** The machines holding a seat, each releasable by operators and admins after a confirmation. */

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
    render: (items) => dataTable({ caption: `Machines bound to ${page.name}`, columns, items }),
    emptyText: 'No bindings yet.',
  });
  panel.replaceChildren(
    h(
      'div',
      { className: 'panel-header' },
      h('h2', {}, 'Bound machines'),
      h('p', { className: 'muted' }, 'Last seen is recorded at most every few minutes, so it may trail a node’s latest heartbeat.'),
    ),
    message,
    list.element,
  );
}
