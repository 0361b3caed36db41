import { createAccount } from '../api.mjs';
import { h } from '../dom.mjs';
import { createForm, selectField, textField } from '../forms.mjs';
import { accountHref, STATUSES } from './accounts.mjs';
import { certificateFields } from './certificate-fields.mjs';

/**
 * POST /accounts. Empty optional fields are left out, so the server's
 * defaults apply (status active, lists empty, no quota, never released);
 * a missing required one is the server's 422 to report.
 */
export function renderNewAccount(view, { navigate }) {
  const form = createForm({
    className: 'form-grid',
    fields: [
      textField({
        name: 'name',
        label: 'Account name',
        required: true,
        maxlength: 128,
        hint: 'The customer’s login: letters, digits and . _ @ -, starting with a letter or digit.',
      }),
      textField({
        name: 'password',
        label: 'Password',
        type: 'password',
        autocomplete: 'new-password',
        required: true,
        hint: 'The customer’s nodes send it with every registration. At most 72 bytes.',
      }),
      selectField({
        name: 'status',
        label: 'Status',
        value: 'active',
        options: STATUSES.map((status) => ({ value: status, label: status })),
      }),
      ...certificateFields(),
    ],
    submitLabel: 'Create account',
    footer: h('a', { href: '#/accounts', className: 'button button-ghost' }, 'Cancel'),
    async onSubmit(values) {
      const body = Object.fromEntries(
        Object.entries(values).filter(([, value]) => value !== null && value !== '' && !(Array.isArray(value) && value.length === 0)),
      );
      try {
        const account = await createAccount(body);
        navigate(accountHref(account.name), { notice: { text: `Account ${account.name} created.` } });
      } catch (error) {
        // A taken name is the name field's problem, so it is shown there.
        if (error.code === 'CONFLICT') form.showFieldProblems([{ field: 'name', message: error.message }]);
        else throw error;
      }
    },
  });
  view.append(
    h(
      'nav',
      { className: 'breadcrumbs', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/accounts' }, 'Accounts'),
      h('span', { 'aria-hidden': 'true' }, ' › '),
      'New account',
    ),
    h('h1', {}, 'Create account'),
    h('section', { className: 'card' }, form.element),
  );
}
