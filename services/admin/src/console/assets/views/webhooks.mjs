import { changeWebhook, createWebhook, deleteWebhook, listWebhooks } from '../api.mjs';
import { h } from '../dom.mjs';
import { checkboxesField, createForm, textField } from '../forms.mjs';
import { button, confirmAction, dataTable, errorBox, notice, pagedList, revealSecret } from '../ui.mjs';
import { renderDeliveries } from './webhook-deliveries.mjs';

/**
 * Webhook endpoints (admins only): subscribe one, disable or enable it,
 * remove it, and read its deliveries. The signing secret is shown once, at
 * creation: the server keeps it to sign with but never answers it again.
 */

/** The contract's event types ("Webhooks"), with when each is sent. */
const EVENT_TYPES = [
  { value: 'binding.created', when: 'a machine was newly bound' },
  { value: 'binding.released', when: 'a machine was unbound by its node, released by staff, or released as silent' },
  { value: 'registration.failed', when: 'a registration failed after its credentials passed' },
  { value: 'account.seats_exhausted', when: 'a registration took the last seat, or was refused for seats' },
  { value: 'account.expiring', when: 'once a day while the certificate expires soon' },
  { value: 'account.changed', when: 'staff created or changed an account, or reset its password' },
];

function eventOption({ value, when }) {
  return { value, label: h('span', {}, h('code', {}, value), h('span', { className: 'muted' }, ` — ${when}`)) };
}

function stateBadge(endpoint) {
  return h('span', { className: `badge ${endpoint.disabled ? 'badge-danger' : 'badge-ok'}` }, endpoint.disabled ? 'disabled' : 'enabled');
}

export function renderWebhooks(view) {
  const message = h('div', { className: 'panel-alert' });
  const reveal = h('div');
  const deliveries = h('section', { className: 'card', hidden: true });
  /** The endpoint whose deliveries are shown, so removing it hides them too. */
  let shownId = null;

  /** Resolves true when the change was made. */
  async function run(change, done) {
    let isDone = false;
    try {
      await change();
      message.replaceChildren(notice(done));
      isDone = true;
    } catch (error) {
      message.replaceChildren(errorBox(error));
    }
    list.reload();
    return isDone;
  }

  async function setDisabled(endpoint, disabled) {
    const isConfirmed = await confirmAction(
      disabled
        ? {
            title: 'Disable this endpoint?',
            message: [
              h('p', {}, h('code', {}, endpoint.url), ' gets no more events from now on; its pending deliveries wait.'),
              h('p', {}, 'Events that happen while it is disabled are never sent to it, even after it is enabled again.'),
            ],
            confirmLabel: 'Disable endpoint',
          }
        : {
            title: 'Enable this endpoint?',
            message: h('p', {}, h('code', {}, endpoint.url), ' gets new events again, and its pending deliveries resume.'),
            confirmLabel: 'Enable endpoint',
            isDangerous: false,
          },
    );
    if (isConfirmed) run(() => changeWebhook(endpoint.id, { disabled }), `${endpoint.url} is ${disabled ? 'disabled' : 'enabled'}.`);
  }

  async function remove(endpoint) {
    const isConfirmed = await confirmAction({
      title: 'Delete this endpoint?',
      message: [
        h('p', {}, h('code', {}, endpoint.url), ' and its deliveries are removed; pending deliveries are never sent.'),
        h('p', {}, 'To stop events for a while instead, disable it.'),
      ],
      confirmLabel: 'Delete endpoint',
    });
    if (!isConfirmed) return;
    if ((await run(() => deleteWebhook(endpoint.id), `${endpoint.url} deleted.`)) && shownId === endpoint.id) {
      deliveries.hidden = true;
      shownId = null;
    }
  }

  function showDeliveries(endpoint) {
    shownId = endpoint.id;
    deliveries.hidden = false;
    renderDeliveries(deliveries, endpoint).focus();
  }

  const list = pagedList({
    label: 'Endpoints',
    fetchPage: listWebhooks,
    render: (items) =>
      dataTable({
        caption: 'Webhook endpoints',
        hasTallRows: true,
        items,
        columns: [
          { label: 'URL', className: 'wrap', cell: (endpoint) => h('code', {}, endpoint.url) },
          {
            label: 'Events',
            cell: (endpoint) =>
              h(
                'ul',
                { className: 'plain-list' },
                endpoint.events.map((type) => h('li', {}, h('code', {}, type))),
              ),
          },
          { label: 'State', cell: stateBadge },
          {
            label: h('span', { className: 'sr-only' }, 'Actions'),
            className: 'actions',
            cell: (endpoint) => [
              button('Deliveries', {
                kind: 'secondary',
                size: 'small',
                'aria-label': `Deliveries to ${endpoint.url}`,
                on: { click: () => showDeliveries(endpoint) },
              }),
              endpoint.disabled
                ? button('Enable', {
                    kind: 'secondary',
                    size: 'small',
                    'aria-label': `Enable ${endpoint.url}`,
                    on: { click: () => setDisabled(endpoint, false) },
                  })
                : button('Disable', {
                    kind: 'danger-outline',
                    size: 'small',
                    'aria-label': `Disable ${endpoint.url}`,
                    on: { click: () => setDisabled(endpoint, true) },
                  }),
              button('Delete', {
                kind: 'danger-outline',
                size: 'small',
                'aria-label': `Delete ${endpoint.url}`,
                on: { click: () => remove(endpoint) },
              }),
            ],
          },
        ],
      }),
    emptyText: 'No webhook endpoints yet. Add one below to send events to your own systems.',
  });

  const form = createForm({
    fields: [
      textField({
        name: 'url',
        label: 'URL',
        type: 'url',
        autocomplete: 'off',
        required: true,
        hint: 'http: or https:. Each event is POSTed here; a host that does not resolve, or resolves to a private address, is refused.',
      }),
      checkboxesField({
        name: 'events',
        label: 'Events',
        options: EVENT_TYPES.map(eventOption),
        required: true,
        hint: 'Only events of the types ticked are sent here, from the moment it is added.',
      }),
    ],
    submitLabel: 'Add endpoint',
    async onSubmit(values) {
      const created = await createWebhook(values);
      const shown = revealSecret({
        title: `Endpoint ${created.url} added.`,
        label: 'Signing secret',
        value: created.secret,
        detail: 'Receivers check each delivery’s webhook-signature header with this signing secret (Standard Webhooks).',
      });
      reveal.replaceChildren(shown.element);
      shown.focus();
      form.element.reset();
      list.reload();
    },
  });

  view.append(
    h(
      'div',
      { className: 'page-header' },
      h(
        'div',
        {},
        h('h1', {}, 'Webhooks'),
        h(
          'p',
          { className: 'muted' },
          'Events sent to your own systems (CRM, billing): signed, delivered at least once, retried while the receiver fails.',
        ),
      ),
    ),
    message,
    h('section', { className: 'card' }, h('h2', {}, 'Endpoints'), list.element),
    deliveries,
    h('section', { className: 'card' }, h('h2', {}, 'Add an endpoint'), reveal, form.element),
  );
}
