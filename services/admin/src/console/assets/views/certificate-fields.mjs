import { integerField, listField, textField } from '../forms.mjs';

/**
 * The certificate's fields, as the create form and the account's edit form
 * both show them: one place for their labels and hints. Field names are the
 * contract's, so a 422's `details.fields` finds its field by name.
 */
export function certificateFields(account = null) {
  return [
    textField({
      name: 'version',
      label: 'Certified version',
      value: account?.version ?? '',
      hint: 'For example 11.0: node versions 11.0 and 11.0.x match.',
      maxlength: 32,
    }),
    textField({
      name: 'expiresAt',
      label: 'Expires on',
      type: 'date',
      value: account?.expiresAt ?? '',
      hint: 'Valid through the end of this day, UTC.',
    }),
    integerField({
      name: 'maxRegistrations',
      label: 'Seats (max registrations)',
      value: account?.maxRegistrations ?? null,
      hint: account ? `Machines bound now: ${account.used}.` : 'Distinct machines that may be bound at once.',
    }),
    listField({
      name: 'allowedIps',
      label: 'Allowed IP addresses',
      values: account?.allowedIps,
      hint: 'IPv4 or IPv6 addresses or CIDR blocks, one a line. Empty allows any.',
    }),
    listField({
      name: 'allowedDomains',
      label: 'Allowed domains',
      values: account?.allowedDomains,
      hint: 'Host names or *.example.com wildcards, one a line. Empty allows any.',
    }),
    listField({
      name: 'allowedAppNames',
      label: 'Allowed app names',
      values: account?.allowedAppNames,
      hint: 'Exact names, one a line. Empty allows any.',
    }),
    integerField({
      name: 'maxUnbindsPerDay',
      label: 'Unbindings by nodes per day',
      value: account?.maxUnbindsPerDay ?? null,
      hint: 'Over a rolling 24 hours. Empty: no limit; 0: nodes may not unbind.',
    }),
    integerField({
      name: 'releaseAfterSilentSeconds',
      label: 'Release silent machines after (seconds)',
      value: account?.releaseAfterSilentSeconds ?? null,
      hint: 'A machine that sends nothing for this long is released. Empty: never; at least 60.',
    }),
  ];
}
