import { h, uid } from './dom.mjs';

/**
 * The pieces every view is made of: messages, tables, paged lists and
 * dialogs, so each view only says what it shows.
 */

function retryText(seconds) {
  if (seconds < 60) return `Try again in ${seconds} s.`;
  return `Try again in about ${Math.ceil(seconds / 60)} min.`;
}

/**
 * A failed request as staff can report it: the server's message, its code,
 * and the request id that finds it in the log. `message` replaces the
 * server's text where the view knows better what to say.
 */
export function errorBox(error, { message, actions } = {}) {
  const requestId = error?.requestId;
  return h(
    'div',
    { className: 'alert', role: 'alert' },
    h('p', { className: 'alert-message' }, message ?? error?.message ?? String(error)),
    error?.retryAfterSeconds !== null && error?.retryAfterSeconds !== undefined ? h('p', {}, retryText(error.retryAfterSeconds)) : null,
    error?.code || requestId
      ? h(
          'p',
          { className: 'alert-meta' },
          error?.code ? h('span', {}, 'Code ', h('code', {}, error.code)) : null,
          requestId ? h('span', {}, 'Request id ', h('code', {}, requestId)) : null,
        )
      : null,
    actions ? h('div', { className: 'alert-actions' }, actions) : null,
  );
}

/** A message that is not an error: `ok` for a change that was made, `info` for anything else. */
export function notice(text, { tone = 'ok' } = {}) {
  return h('div', { className: `notice notice-${tone}`, role: 'status' }, text);
}

function emptyState(text) {
  return h('p', { className: 'empty' }, text);
}

export function loading(text = 'Loading…') {
  return h('p', { className: 'loading', role: 'status' }, text);
}

export function button(label, { kind = 'primary', size, on, ...props } = {}) {
  return h(
    'button',
    { type: 'button', className: ['button', `button-${kind}`, size ? `button-${size}` : ''].join(' ').trim(), on, ...props },
    label,
  );
}

/**
 * A table from column definitions: `{ label, cell(item) }`, the cell a
 * string or a node. `caption` names it for screen readers; `hasTallRows`
 * aligns cells at the top, for rows of several lines.
 */
export function dataTable({ caption, columns, items, hasTallRows = false }) {
  return h(
    'div',
    { className: 'table-wrap' },
    h(
      'table',
      { className: hasTallRows ? 'table table-tall' : 'table' },
      h('caption', { className: 'sr-only' }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((column) => h('th', { scope: 'col', className: column.className }, column.label)),
        ),
      ),
      h(
        'tbody',
        {},
        items.map((item) =>
          h(
            'tr',
            {},
            columns.map((column) => h('td', { className: column.className }, column.cell(item))),
          ),
        ),
      ),
    ),
  );
}

/**
 * A cursor-paged list: `fetchPage(cursor)` answers the contract's
 * `{ items, nextCursor }`. "Next" follows nextCursor; "Previous" goes back
 * through the cursors already seen, since the API pages forward only.
 */
export function pagedList({ fetchPage, render, emptyText, label }) {
  const body = h('div', { className: 'paged-body' }, loading());
  const previous = button('Previous', { kind: 'secondary', size: 'small' });
  const next = button('Next', { kind: 'secondary', size: 'small' });
  const position = h('span', { className: 'pager-position muted' });
  const pager = h('nav', { className: 'pager', 'aria-label': `${label} pages`, hidden: true }, previous, position, next);
  const element = h('div', { className: 'paged' }, body, pager);

  let cursors = [null];
  let index = 0;

  async function show(pageIndex) {
    body.setAttribute('aria-busy', 'true');
    previous.disabled = true;
    next.disabled = true;
    try {
      const page = await fetchPage(cursors[pageIndex]);
      cursors = cursors.slice(0, pageIndex + 1);
      if (page.nextCursor) cursors.push(page.nextCursor);
      index = pageIndex;
      const isEmpty = page.items.length === 0;
      body.replaceChildren(isEmpty ? emptyState(pageIndex === 0 ? emptyText : 'Nothing more on this page.') : render(page.items));
      previous.disabled = index === 0;
      next.disabled = !page.nextCursor;
      position.textContent = `Page ${index + 1}`;
      pager.hidden = index === 0 && !page.nextCursor;
    } catch (error) {
      body.replaceChildren(errorBox(error));
      previous.disabled = index === 0;
    } finally {
      body.removeAttribute('aria-busy');
    }
  }

  previous.addEventListener('click', () => show(index - 1));
  next.addEventListener('click', () => show(index + 1));
  show(0);
  return { element, reload: () => show(index) };
}

/**
 * A cursor-paged list that grows: "Load more" fetches the page after the
 * last one shown and adds it below, for lists read from the newest down
 * (deliveries). `render(items)` gets every item loaded so far. A failed
 * later page keeps what is shown, and "Load more" tries that page again.
 */
export function growingList({ fetchPage, render, emptyText, label }) {
  const body = h('div', { className: 'paged-body' }, loading());
  const problem = h('div', { className: 'paged-problem' });
  const more = button('Load more', { kind: 'secondary', size: 'small' });
  const pager = h('nav', { className: 'pager', 'aria-label': `More ${label}`, hidden: true }, more);
  const element = h('div', { className: 'paged' }, body, problem, pager);

  let items = [];
  let nextCursor = null;

  async function load(cursor) {
    body.setAttribute('aria-busy', 'true');
    more.disabled = true;
    problem.replaceChildren();
    try {
      const page = await fetchPage(cursor);
      items = [...items, ...page.items];
      nextCursor = page.nextCursor;
      body.replaceChildren(items.length === 0 ? emptyState(emptyText) : render(items));
      pager.hidden = !nextCursor;
    } catch (error) {
      if (cursor === null) body.replaceChildren(errorBox(error));
      else problem.replaceChildren(errorBox(error));
    } finally {
      body.removeAttribute('aria-busy');
      more.disabled = false;
    }
  }

  more.addEventListener('click', () => load(nextCursor));
  load(null);
  return { element };
}

/**
 * A secret the server hands over once (an API token, a webhook's signing
 * secret), read-only with a Copy button. `title` says what was created;
 * `detail`, if any, what the secret is for.
 */
export function revealSecret({ title, label, value, detail }) {
  const id = uid('secret');
  const field = h('input', {
    id,
    type: 'text',
    readonly: true,
    value,
    className: 'secret-value',
    spellcheck: 'false',
    autocomplete: 'off',
  });
  const status = h('span', { className: 'muted', role: 'status' });
  const copy = button('Copy', {
    kind: 'secondary',
    size: 'small',
    on: {
      click: async () => {
        try {
          await navigator.clipboard.writeText(value);
          status.textContent = 'Copied.';
        } catch {
          field.select();
          status.textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
        }
      },
    },
  });
  field.addEventListener('focus', () => field.select());
  const element = h(
    'div',
    { className: 'secret-reveal' },
    h('p', {}, h('strong', {}, title), ' Copy it now: it is not shown again.'),
    detail ? h('p', {}, detail) : null,
    h('label', { for: id, className: 'sr-only' }, label),
    h('div', { className: 'secret-row' }, field, copy, status),
  );
  return { element, focus: () => field.focus() };
}

/**
 * A modal <dialog> holding `content`: focus stays inside it and Escape
 * closes it (returnValue ''). It leaves the page once closed, and `closed`
 * resolves with its returnValue.
 */
export function openDialog({ title, content, className = '' }) {
  const titleId = uid('dialog-title');
  const dialog = h(
    'dialog',
    { className: `dialog ${className}`.trim(), 'aria-labelledby': titleId },
    h('h2', { id: titleId, className: 'dialog-title' }, title),
    content,
  );
  const closed = new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue);
    });
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, closed, close: (value = '') => dialog.close(value) };
}

/**
 * Resolves true when staff confirm. Cancel has the focus, so a stray Enter
 * never releases a machine or freezes an account.
 */
export async function confirmAction({ title, message, confirmLabel, isDangerous = true }) {
  const cancel = button('Cancel', { kind: 'secondary', autofocus: true });
  const confirm = button(confirmLabel, { kind: isDangerous ? 'danger' : 'primary' });
  const { closed, close } = openDialog({
    title,
    content: [h('div', { className: 'dialog-body' }, message), h('div', { className: 'dialog-actions' }, cancel, confirm)],
  });
  cancel.addEventListener('click', () => close('cancel'));
  confirm.addEventListener('click', () => close('confirm'));
  return (await closed) === 'confirm';
}
