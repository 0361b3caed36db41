import { createToken, listTokens, revokeToken } from '../api.mjs';
import { formatTimestamp, h } from '../dom.mjs';
import { createForm, selectField, textField } from '../forms.mjs';
import { can, rolesUpTo } from '../roles.mjs';
import { button, confirmAction, dataTable, errorBox, notice, pagedList, revealSecret } from '../ui.mjs';

/**
 * API tokens for automation. Operators create and revoke their own; admins
 * manage any. A new token is shown once, here, and never again: the server
 * keeps only its hash.
 */

export function renderTokens(view, { session }) {
  const message = h('div', { className: 'panel-alert' });
  const reveal = h('div');
  const mayRevoke = (token) => can(session, 'token.any') || token.createdBy === session.staff.email;

  async function revoke(token) {
    const isConfirmed = await confirmAction({
      title: `Revoke token “${token.name}”?`,
      message: h('p', {}, 'It stops working at once; automation that uses it gets 401 from then on.'),
      confirmLabel: 'Revoke token',
    });
    if (!isConfirmed) return;
    try {
      await revokeToken(token.id);
      message.replaceChildren(notice(`Token “${token.name}” revoked.`));
    } catch (error) {
      message.replaceChildren(errorBox(error));
    }
    list.reload();
  }

  const list = pagedList({
    label: 'Tokens',
    fetchPage: listTokens,
    render: (items) =>
      dataTable({
        caption: 'API tokens',
        items,
        columns: [
          { label: 'Name', className: 'wrap', cell: (token) => h('strong', {}, token.name) },
          { label: 'Role', cell: (token) => token.role },
          { label: 'Created by', className: 'wrap', cell: (token) => token.createdBy },
          { label: 'Created', cell: (token) => formatTimestamp(token.createdAt) },
          { label: 'Last used', cell: (token) => formatTimestamp(token.lastUsedAt) },
          {
            label: h('span', { className: 'sr-only' }, 'Actions'),
            className: 'actions',
            cell: (token) =>
              mayRevoke(token)
                ? button('Revoke', {
                    kind: 'danger-outline',
                    size: 'small',
                    'aria-label': `Revoke token ${token.name}`,
                    on: { click: () => revoke(token) },
                  })
                : null,
          },
        ],
      }),
    emptyText: 'No API tokens yet.',
  });

  const roles = rolesUpTo(session.staff.role);
  const form = createForm({
    className: 'form-inline',
    fields: [
      textField({ name: 'name', label: 'Name', required: true, hint: 'What uses it, e.g. “billing sync”.' }),
      selectField({
        name: 'role',
        label: 'Role',
        options: roles.map((role) => ({ value: role, label: role })),
        value: 'viewer',
        hint: 'At most your own role.',
      }),
    ],
    submitLabel: 'Create token',
    async onSubmit(values) {
      const created = await createToken(values);
      const shown = revealSecret({
        title: `Token “${created.name}” (${created.role}) created.`,
        label: 'New token',
        value: created.token,
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
        h('h1', {}, 'API tokens'),
        h(
          'p',
          { className: 'muted' },
          'Bearer tokens for scripts and integrations. A token acts with the lower of its role and its creator’s.',
        ),
      ),
    ),
    message,
    h('section', { className: 'card' }, h('h2', {}, 'Tokens'), list.element),
    h('section', { className: 'card' }, h('h2', {}, 'Create a token'), reveal, form.element),
  );
}
