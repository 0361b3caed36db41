import { listDeliveries, retryDelivery } from '../api.mjs';
import { formatTimestamp, h, uid } from '../dom.mjs';
import { button, dataTable, errorBox, growingList, notice } from '../ui.mjs';

/**
 * One endpoint's deliveries, newest first, filtered by status and loaded a
 * page at a time. "Retry now" asks for one more attempt whatever the
 * status; the worker makes it, so its outcome shows after a refresh.
 */
const STATUSES = ['pending', 'delivered', 'failed'];

const STATUS_TONES = { pending: 'badge-warning', delivered: 'badge-ok', failed: 'badge-danger' };

function deliveryBadge(status) {
  return h('span', { className: `badge ${STATUS_TONES[status] ?? ''}`.trim() }, status);
}

/** Renders into `panel`; the answer's `focus()` moves to its heading. */
export function renderDeliveries(panel, endpoint) {
  const message = h('div', { className: 'panel-alert' });
  const listSlot = h('div');
  const filterId = uid('delivery-status');
  const filter = h(
    'select',
    { id: filterId, className: 'compact' },
    h('option', { value: '' }, 'Any status'),
    STATUSES.map((status) => h('option', { value: status }, status)),
  );
  const refresh = button('Refresh', { kind: 'secondary', size: 'small' });
  const heading = h('h2', { tabindex: -1 }, 'Deliveries to ', h('code', {}, endpoint.url));
  /** Retries asked for since the list was loaded: their rows keep saying so when more pages are added. */
  const queued = new Set();

  async function retry(delivery, control) {
    control.disabled = true;
    try {
      await retryDelivery(endpoint.id, delivery.eventId);
    } catch (error) {
      control.disabled = false;
      message.replaceChildren(errorBox(error));
      return;
    }
    queued.add(delivery.eventId);
    control.textContent = 'Retry queued';
    message.replaceChildren(notice(`Retry of event ${delivery.eventId} queued. Refresh in a moment to see how it went.`));
  }

  function retryButton(delivery) {
    const isQueued = queued.has(delivery.eventId);
    const control = button(isQueued ? 'Retry queued' : 'Retry now', {
      kind: 'secondary',
      size: 'small',
      disabled: isQueued,
      'aria-label': `Retry event ${delivery.eventId} now`,
    });
    control.addEventListener('click', () => retry(delivery, control));
    return control;
  }

  const columns = [
    { label: 'Event id', className: 'wrap', cell: (delivery) => h('code', {}, delivery.eventId) },
    { label: 'Type', cell: (delivery) => h('code', {}, delivery.type) },
    { label: 'Status', cell: (delivery) => deliveryBadge(delivery.status) },
    { label: 'Attempts', className: 'numeric', cell: (delivery) => String(delivery.attempts) },
    {
      label: 'Last answer',
      className: 'numeric',
      cell: (delivery) => (delivery.lastStatusCode === null ? h('span', { className: 'muted' }, '—') : String(delivery.lastStatusCode)),
    },
    { label: 'Next attempt', cell: (delivery) => formatTimestamp(delivery.nextAttemptAt) },
    { label: 'Created', cell: (delivery) => formatTimestamp(delivery.createdAt) },
    { label: h('span', { className: 'sr-only' }, 'Actions'), className: 'actions', cell: retryButton },
  ];

  /** A new list for each filter or refresh: answers for the one it replaces land in a detached node. */
  function load() {
    const status = filter.value;
    queued.clear();
    message.replaceChildren();
    const list = growingList({
      label: 'deliveries',
      fetchPage: (cursor) => listDeliveries(endpoint.id, { status, cursor }),
      render: (items) => dataTable({ caption: `Deliveries to ${endpoint.url}`, columns, items }),
      emptyText: status === '' ? 'No deliveries to this endpoint yet.' : `No ${status} deliveries to this endpoint.`,
    });
    listSlot.replaceChildren(list.element);
  }

  filter.addEventListener('change', load);
  refresh.addEventListener('click', load);
  panel.replaceChildren(
    h(
      'div',
      { className: 'panel-header' },
      h(
        'div',
        {},
        heading,
        h('p', { className: 'muted' }, 'Newest first. A failed delivery has used all its attempts; Retry now sends it once more.'),
      ),
      h('div', { className: 'inline-control' }, h('label', { for: filterId }, 'Status'), filter, refresh),
    ),
    message,
    listSlot,
  );
  load();
  return { focus: () => heading.focus() };
}
