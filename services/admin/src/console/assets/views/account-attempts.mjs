import { listAttempts } from '../api.mjs';
import { causeMessage } from '../causes.mjs';
import { formatTimestamp, h, plural } from '../dom.mjs';
import { dataTable, pagedList } from '../ui.mjs';

/**
 * Registrations and unbindings as the nodes were answered, so support can
 * say why a cluster failed without reading logs. Each code is shown with the
 * exact message the node received.
 */

function cause(code) {
  const message = causeMessage(code);
  return h(
    'li',
    { className: 'cause' },
    h('code', { className: 'cause-code' }, code),
    message ? h('span', { className: 'cause-message' }, message) : null,
  );
}

function causes(attempt) {
  const failingNodes = attempt.nodes.filter((node) => node.causes.length > 0);
  if (attempt.overall.length === 0 && failingNodes.length === 0) {
    return h('span', { className: 'muted' }, `${plural(attempt.nodes.length, 'node')}, no causes`);
  }
  return h(
    'div',
    { className: 'causes' },
    attempt.overall.length > 0 ? h('ul', { className: 'cause-list', 'aria-label': 'Overall causes' }, attempt.overall.map(cause)) : null,
    failingNodes.map((node) =>
      h(
        'div',
        { className: 'node-causes' },
        h('p', { className: 'node-name' }, 'Node ', h('strong', {}, node.nodeId), ' · machine ', h('code', {}, node.machineCode)),
        h('ul', { className: 'cause-list' }, node.causes.map(cause)),
      ),
    ),
  );
}

export function renderAttemptsTab(panel, page) {
  const list = pagedList({
    label: 'Attempts',
    fetchPage: (cursor) => listAttempts(page.name, cursor),
    render: (items) =>
      dataTable({
        caption: `Recent attempts of ${page.name}`,
        hasTallRows: true,
        items,
        columns: [
          { label: 'Time', cell: (attempt) => formatTimestamp(attempt.at) },
          { label: 'Kind', cell: (attempt) => attempt.kind },
          {
            label: 'Result',
            cell: (attempt) =>
              h('span', { className: `badge ${attempt.result === 'success' ? 'badge-ok' : 'badge-danger'}` }, attempt.result),
          },
          { label: 'HTTP', className: 'numeric', cell: (attempt) => String(attempt.status) },
          { label: 'Causes', className: 'wide', cell: causes },
          { label: 'Source', className: 'nowrap', cell: (attempt) => h('code', {}, attempt.sourceAddress ?? '—') },
          { label: 'Request id', cell: (attempt) => (attempt.requestId ? h('code', { className: 'small' }, attempt.requestId) : '—') },
        ],
      }),
    emptyText: 'No attempts in the last 30 days.',
  });
  panel.replaceChildren(
    h(
      'div',
      { className: 'panel-header' },
      h('h2', {}, 'Attempts'),
      h('p', { className: 'muted' }, 'The last registrations and unbindings, newest first, kept for 30 days.'),
    ),
    list.element,
  );
}
