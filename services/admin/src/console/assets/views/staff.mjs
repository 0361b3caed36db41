import { changeStaff, createStaff, listStaff } from '../api.mjs';
import { formatTimestamp, h, uid } from '../dom.mjs';
import { createForm, selectField, textField } from '../forms.mjs';
import { ROLES } from '../roles.mjs';
import { button, confirmAction, dataTable, errorBox, notice, pagedList } from '../ui.mjs';

/**
 * Staff members (admins only): create, change role, disable or enable.
 * Your own row offers no changes: demoting or disabling yourself from here
 * would end the session doing it, with no one left to undo a mistake.
 */

const ROLE_OPTIONS = ROLES.map((role) => ({ value: role, label: role }));

export function renderStaff(view, { session }) {
  const message = h('div', { className: 'panel-alert' });

  async function run(change, done) {
    try {
      await change();
      message.replaceChildren(notice(done));
    } catch (error) {
      message.replaceChildren(errorBox(error));
    }
    list.reload();
  }

  function roleControl(member) {
    const id = uid('role');
    const select = h(
      'select',
      { id, className: 'compact' },
      ROLES.map((role) => h('option', { value: role, selected: role === member.role }, role)),
    );
    const save = button('Change', { kind: 'secondary', size: 'small', disabled: true });
    select.addEventListener('change', () => {
      save.disabled = select.value === member.role;
    });
    save.addEventListener('click', () => {
      save.disabled = true;
      run(() => changeStaff(member.email, { role: select.value }), `${member.email} is now ${select.value}.`);
    });
    return h(
      'div',
      { className: 'inline-control' },
      h('label', { for: id, className: 'sr-only' }, `Role of ${member.email}`),
      select,
      save,
    );
  }

  function accessControl(member) {
    if (member.disabled) {
      return button('Enable', {
        kind: 'secondary',
        size: 'small',
        'aria-label': `Enable ${member.email}`,
        on: { click: () => run(() => changeStaff(member.email, { disabled: false }), `${member.email} is enabled.`) },
      });
    }
    return button('Disable', {
      kind: 'danger-outline',
      size: 'small',
      'aria-label': `Disable ${member.email}`,
      on: {
        click: async () => {
          const isConfirmed = await confirmAction({
            title: `Disable ${member.email}?`,
            message: h(
              'p',
              {},
              'Their sessions end and their API tokens are revoked at once. Enabling them later does not bring the tokens back.',
            ),
            confirmLabel: 'Disable',
          });
          if (isConfirmed) run(() => changeStaff(member.email, { disabled: true }), `${member.email} is disabled.`);
        },
      },
    });
  }

  const isSelf = (member) => member.email === session.staff.email;
  const list = pagedList({
    label: 'Staff',
    fetchPage: listStaff,
    render: (items) =>
      dataTable({
        caption: 'Staff members',
        items,
        columns: [
          {
            label: 'Email',
            className: 'wrap',
            cell: (member) => [member.email, isSelf(member) ? h('span', { className: 'muted' }, ' (you)') : null],
          },
          { label: 'Role', cell: (member) => (isSelf(member) ? member.role : roleControl(member)) },
          {
            label: 'Access',
            cell: (member) =>
              h('span', { className: `badge ${member.disabled ? 'badge-danger' : 'badge-ok'}` }, member.disabled ? 'disabled' : 'enabled'),
          },
          { label: 'Created', cell: (member) => formatTimestamp(member.createdAt) },
          { label: 'Last sign-in', cell: (member) => formatTimestamp(member.lastLoginAt) },
          {
            label: h('span', { className: 'sr-only' }, 'Actions'),
            className: 'actions',
            cell: (member) => (isSelf(member) ? null : accessControl(member)),
          },
        ],
      }),
    emptyText: 'No staff members yet.',
  });

  const form = createForm({
    className: 'form-inline',
    fields: [
      textField({ name: 'email', label: 'Email', type: 'email', autocomplete: 'off', required: true }),
      selectField({ name: 'role', label: 'Role', options: ROLE_OPTIONS, value: 'viewer' }),
      textField({ name: 'password', label: 'Initial password', type: 'password', autocomplete: 'new-password', required: true }),
    ],
    submitLabel: 'Add staff member',
    async onSubmit(values) {
      try {
        await createStaff(values);
      } catch (error) {
        // An email already taken is the email field's problem.
        if (error.code !== 'CONFLICT') throw error;
        form.showFieldProblems([{ field: 'email', message: error.message }]);
        return;
      }
      message.replaceChildren(notice(`${values.email} can now sign in as ${values.role}.`));
      form.element.reset();
      list.reload();
    },
  });

  view.append(
    h(
      'div',
      { className: 'page-header' },
      h('div', {}, h('h1', {}, 'Staff'), h('p', { className: 'muted' }, 'Who can use this console and the admin API.')),
    ),
    message,
    h('section', { className: 'card' }, h('h2', {}, 'Members'), list.element),
    h('section', { className: 'card' }, h('h2', {}, 'Add a staff member'), form.element),
  );
}
