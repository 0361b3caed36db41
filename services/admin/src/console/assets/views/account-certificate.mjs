import { changeAccount } from '../api.mjs';
import { h, plural } from '../dom.mjs';
import { createForm } from '../forms.mjs';
import { can } from '../roles.mjs';
import { notice } from '../ui.mjs';
import { certificateFields } from './certificate-fields.mjs';

/**
 * The certificate: a form for admins (the only role that may change it), a
 * read-only summary for everyone else. The form sends only what was
 * changed, with the revision the page last saw: if someone saved since,
 * the server answers 412 and nothing is overwritten.
 */

function isSame(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Rule 2's details, `{ used, requested, releaseFirst }`: how many machines stand in the way. */
function seatConflictMessage({ used, requested, releaseFirst }) {
  const count = typeof releaseFirst === 'number' ? releaseFirst : Array.isArray(releaseFirst) ? releaseFirst.length : used - requested;
  return `${plural(used, 'machine is', 'machines are')} bound now, so seats cannot go down to ${requested}. Release ${plural(count, 'machine')} first on the Bindings tab, or keep at least ${used} seats.`;
}

function listValue(values) {
  return values.length === 0
    ? h('span', { className: 'muted' }, 'Any')
    : h(
        'ul',
        { className: 'plain-list' },
        values.map((value) => h('li', {}, h('code', {}, value))),
      );
}

function readOnlyCertificate(account) {
  const row = (label, value) => [h('dt', {}, label), h('dd', {}, value)];
  return h(
    'dl',
    { className: 'definition-list' },
    row('Certified version', account.version),
    row('Expires on', account.expiresAt),
    row('Seats', `${account.used} used of ${account.maxRegistrations}`),
    row('Allowed IP addresses', listValue(account.allowedIps)),
    row('Allowed domains', listValue(account.allowedDomains)),
    row('Allowed app names', listValue(account.allowedAppNames)),
    row('Unbindings by nodes per day', account.maxUnbindsPerDay === null ? 'No limit' : String(account.maxUnbindsPerDay)),
    row('Release silent machines after', account.releaseAfterSilentSeconds === null ? 'Never' : `${account.releaseAfterSilentSeconds} s`),
  );
}

export function renderCertificateTab(panel, page) {
  if (!can(page.session, 'account.certificate')) {
    panel.replaceChildren(
      h('h2', {}, 'Certificate'),
      readOnlyCertificate(page.account),
      h('p', { className: 'muted' }, 'Only admins change the certificate.'),
    );
    return;
  }
  renderForm(panel, page);
}

function renderForm(panel, page, message) {
  const base = page.account;
  const fields = certificateFields(base);
  const form = createForm({
    className: 'form-grid',
    fields,
    submitLabel: 'Save changes',
    async onSubmit(values) {
      const changes = Object.fromEntries(Object.entries(values).filter(([name, value]) => !isSame(value, base[name])));
      if (Object.keys(changes).length === 0) {
        form.showAlert(notice('Nothing to save: no field was changed.', { tone: 'info' }));
        return;
      }
      try {
        page.update(await changeAccount(page.name, page.ifMatch, changes));
      } catch (error) {
        if (error.code === 'PRECONDITION_FAILED') {
          form.showAlert(page.explain(error));
          return;
        }
        // Rule 2: fewer seats than machines bound. The seats field is the one to fix.
        if (error.code === 'CONFLICT' && error.details) {
          form.showFieldProblems([{ field: 'maxRegistrations', message: seatConflictMessage(error.details) }]);
          return;
        }
        throw error;
      }
      renderForm(panel, page, 'Certificate saved.');
    },
  });
  panel.replaceChildren(h('h2', {}, 'Certificate'), form.element);
  // Inside the form, so the next submit clears it with the form's other messages.
  if (message) form.showAlert(notice(message));
}
