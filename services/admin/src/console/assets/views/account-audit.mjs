import { auditCsv, listAudit } from '../api.mjs';
import { formatTimestamp, h } from '../dom.mjs';
import { button, dataTable, errorBox, pagedList } from '../ui.mjs';

/** The account's audit trail, newest first, with the whole of it downloadable as CSV. */

function valueText(value) {
  if (value === undefined) return '—';
  if (value === null) return 'none';
  if (Array.isArray(value)) return value.length === 0 ? '(empty)' : value.join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** `before`/`after` hold the changed fields; both null for a password reset, whose values are never recorded. */
function changes(entry) {
  const before = entry.before ?? {};
  const after = entry.after ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  if (fields.length === 0) return h('span', { className: 'muted' }, 'no values recorded');
  return h(
    'dl',
    { className: 'changes' },
    fields.map((field) => [
      h('dt', {}, field),
      h(
        'dd',
        {},
        h('span', { className: 'before' }, valueText(before[field])),
        h('span', { className: 'arrow', 'aria-label': 'changed to' }, ' → '),
        h('span', { className: 'after' }, valueText(after[field])),
      ),
    ]),
  );
}

/** Saving a Blob through a temporary link; the URL is revoked once the download has surely started. */
function saveFile(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function renderAuditTab(panel, page) {
  const message = h('div', { className: 'panel-alert' });
  const download = button('Download CSV', { kind: 'secondary', size: 'small' });
  download.addEventListener('click', async () => {
    download.disabled = true;
    download.textContent = 'Preparing CSV…';
    try {
      const blob = await auditCsv({ account: page.name });
      saveFile(blob, `audit-${page.name}-${new Date().toISOString().slice(0, 10)}.csv`);
      message.replaceChildren();
    } catch (error) {
      message.replaceChildren(errorBox(error));
    } finally {
      download.disabled = false;
      download.textContent = 'Download CSV';
    }
  });

  const list = pagedList({
    label: 'Audit entries',
    fetchPage: (cursor) => listAudit({ account: page.name, cursor }),
    render: (items) =>
      dataTable({
        caption: `Audit trail of ${page.name}`,
        hasTallRows: true,
        items,
        columns: [
          { label: 'Time', cell: (entry) => formatTimestamp(entry.at) },
          { label: 'Actor', className: 'wrap', cell: (entry) => entry.actor },
          { label: 'Action', cell: (entry) => h('code', {}, entry.action) },
          { label: 'Changes (before → after)', className: 'wide', cell: changes },
          { label: 'Source', className: 'nowrap', cell: (entry) => h('code', {}, entry.sourceAddress ?? '—') },
        ],
      }),
    emptyText: 'No audit entries for this account yet.',
  });
  panel.replaceChildren(
    h(
      'div',
      { className: 'panel-header' },
      h('div', {}, h('h2', {}, 'Audit trail'), h('p', { className: 'muted' }, 'Every staff change to this account, newest first.')),
      download,
    ),
    message,
    list.element,
  );
}
