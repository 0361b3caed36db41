import { logIn } from '../api.mjs';
import { h } from '../dom.mjs';
import { createForm, textField } from '../forms.mjs';

/** Sign-in: the contract's POST /sessions; a wrong password and an unknown email answer alike, so the server's message is shown as it is. */
export function renderLogin(view, { session, navigate, afterSignIn }) {
  if (session !== null) {
    navigate('#/accounts');
    return;
  }
  const email = textField({ name: 'email', label: 'Email', type: 'email', autocomplete: 'username', required: true });
  const password = textField({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true });
  const form = createForm({
    fields: [email, password],
    submitLabel: 'Sign in',
    async onSubmit(values) {
      await logIn(values.email, values.password);
      afterSignIn();
    },
  });
  view.classList.add('view-login');
  view.append(
    h(
      'section',
      { className: 'card login-card' },
      h('h1', {}, 'Sign in'),
      h('p', { className: 'muted' }, 'Vendor staff only. Sign in with the email and password your administrator gave you.'),
      form.element,
    ),
  );
  email.control.focus();
}
