import { ApiError } from './api.mjs';
import { h, setChildren, uid } from './dom.mjs';
import { errorBox } from './ui.mjs';

/**
 * Labelled fields and the forms made of them. A field reads its typed value
 * (`read()`), or throws a FieldProblem for what the page can tell without
 * asking (a number that is not one); everything else is the server's to
 * judge, and its 422 messages are shown beside the field they name.
 */

class FieldProblem extends Error {}

/**
 * The hint and error lines of a field, tied to `target` (the control, or a
 * group's fieldset) by aria-describedby so a screen reader reads them with it.
 */
function fieldFeedback({ id, hint, target }) {
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  if (hintId) target.setAttribute('aria-describedby', hintId);
  const error = h('p', { className: 'field-error', id: errorId, hidden: true });
  return {
    hint: hint ? h('p', { className: 'hint', id: hintId }, hint) : null,
    error,
    showError(messages) {
      error.replaceChildren(...messages.flatMap((message, index) => (index === 0 ? [message] : [h('br'), message])));
      error.hidden = false;
      target.setAttribute('aria-invalid', 'true');
      target.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
    },
    clearError() {
      error.replaceChildren();
      error.hidden = true;
      target.removeAttribute('aria-invalid');
      if (hintId) target.setAttribute('aria-describedby', hintId);
      else target.removeAttribute('aria-describedby');
    },
  };
}

function fieldShell({ name, label, hint, control }) {
  const id = uid(`field-${name}`);
  control.id = id;
  control.name = name;
  const feedback = fieldFeedback({ id, hint, target: control });
  const element = h('div', { className: 'field' }, h('label', { for: id }, label), control, feedback.hint, feedback.error);
  return { element, control, showError: feedback.showError, clearError: feedback.clearError };
}

/** Text, email, password or date. Passwords are read as typed; other text is trimmed. */
export function textField({ name, label, type = 'text', value = '', hint, required, autocomplete, maxlength }) {
  const control = h('input', { type, value, required, autocomplete, maxlength, spellcheck: type === 'text' ? 'false' : undefined });
  const field = fieldShell({ name, label, hint, control });
  return { ...field, name, read: () => (type === 'password' ? control.value : control.value.trim()) };
}

/** A whole number, or null when left empty (`nullable`) — the contract's "null: none" settings. */
export function integerField({ name, label, value = null, hint, min = 0, required }) {
  const control = h('input', { type: 'number', inputmode: 'numeric', step: 1, min, value: value ?? '', required });
  const field = fieldShell({ name, label, hint, control });
  return {
    ...field,
    name,
    read() {
      if (control.validity.badInput) throw new FieldProblem('Enter a whole number.');
      const text = control.value.trim();
      if (text === '') return null;
      const number = Number(text);
      if (!Number.isSafeInteger(number)) throw new FieldProblem('Enter a whole number.');
      return number;
    },
  };
}

/** One entry a line; blank lines are dropped. A server message about `allowedIps[1]` is shown as "Line 2: …". */
export function listField({ name, label, values = [], hint }) {
  const control = h(
    'textarea',
    { rows: Math.min(Math.max(values.length + 1, 3), 10), spellcheck: 'false', autocomplete: 'off' },
    values.join('\n'),
  );
  const field = fieldShell({ name, label, hint, control });
  return {
    ...field,
    name,
    isList: true,
    read: () =>
      control.value
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== ''),
  };
}

export function selectField({ name, label, options, value, hint }) {
  const control = h(
    'select',
    {},
    options.map((option) => h('option', { value: option.value, selected: option.value === value }, option.label)),
  );
  const field = fieldShell({ name, label, hint, control });
  return { ...field, name, read: () => control.value };
}

/**
 * Several choices (`options`: `{ value, label }`, none ticked at first) in a
 * fieldset, read as the checked values in the options' order. `required`
 * refuses none checked here: the page can tell that without asking. Its
 * `control` is the first box, where a problem sends the focus.
 */
export function checkboxesField({ name, label, options, hint, required = false }) {
  const id = uid(`field-${name}`);
  const boxes = options.map((option) => h('input', { type: 'checkbox', name, value: option.value }));
  const group = h('fieldset', { id, className: 'field choices' });
  const feedback = fieldFeedback({ id, hint, target: group });
  setChildren(
    group,
    h('legend', {}, label),
    h(
      'div',
      { className: 'choice-list' },
      options.map((option, index) => h('label', { className: 'choice' }, boxes[index], option.label)),
    ),
    feedback.hint,
    feedback.error,
  );
  return {
    element: group,
    control: boxes[0],
    showError: feedback.showError,
    clearError: feedback.clearError,
    name,
    read() {
      const checked = boxes.filter((box) => box.checked).map((box) => box.value);
      if (required && checked.length === 0) throw new FieldProblem('Choose at least one.');
      return checked;
    },
  };
}

/** `allowedIps[1]` → `{ name: 'allowedIps', index: 1 }`; `password` → `{ name: 'password', index: null }`. */
function parseFieldPath(fieldPath) {
  const match = /^([A-Za-z0-9_]+)(?:\[(\d+)\])?/.exec(String(fieldPath));
  return match === null
    ? { name: String(fieldPath), index: null }
    : { name: match[1], index: match[2] === undefined ? null : Number(match[2]) };
}

/**
 * A form of fields with one submit button. `onSubmit(values)` runs with the
 * fields read; whatever it throws is shown: a 422's field messages beside
 * their fields (any the form has no field for above it, with their path),
 * anything else as an error box above the fields. While it runs the button
 * is disabled, so a double click sends once.
 */
export function createForm({ fields, submitLabel, onSubmit, className = '', footer = [] }) {
  const alert = h('div', { className: 'form-alert', tabindex: -1 });
  const submit = h('button', { type: 'submit', className: 'button button-primary' }, submitLabel);
  const byName = new Map(fields.map((field) => [field.name, field]));
  const element = h(
    'form',
    { className: `form ${className}`.trim(), novalidate: true },
    alert,
    h(
      'div',
      { className: 'form-fields' },
      fields.map((field) => field.element),
    ),
    h('div', { className: 'form-actions' }, submit, footer),
  );

  function clear() {
    alert.replaceChildren();
    for (const field of fields) field.clearError();
  }

  /** `problems`: `[{ field, message }]` as in a 422's `details.fields`. */
  function showFieldProblems(problems) {
    const messages = new Map();
    const unplaced = [];
    for (const problem of problems) {
      const { name, index } = parseFieldPath(problem.field);
      const field = byName.get(name);
      if (field === undefined) {
        unplaced.push(`${problem.field}: ${problem.message}`);
        continue;
      }
      const text = field.isList && index !== null ? `Line ${index + 1}: ${problem.message}` : problem.message;
      messages.set(field, [...(messages.get(field) ?? []), text]);
    }
    for (const [field, texts] of messages) field.showError(texts);
    const first = [...messages.keys()][0];
    if (unplaced.length > 0 || first === undefined) {
      alert.replaceChildren(
        h(
          'div',
          { className: 'alert', role: 'alert' },
          h('p', {}, 'Please correct the following:'),
          h(
            'ul',
            {},
            unplaced.map((text) => h('li', {}, text)),
          ),
        ),
      );
    } else {
      alert.replaceChildren(
        h(
          'p',
          { className: 'sr-only', role: 'alert' },
          `${messages.size === 1 ? 'One field needs' : `${messages.size} fields need`} attention.`,
        ),
      );
    }
    (first?.control ?? alert).focus();
  }

  function showError(error) {
    if (
      error instanceof ApiError &&
      error.code === 'VALIDATION_FAILED' &&
      Array.isArray(error.details?.fields) &&
      error.details.fields.length > 0
    ) {
      showFieldProblems(error.details.fields);
      return;
    }
    alert.replaceChildren(errorBox(error));
  }

  element.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    clear();
    const values = {};
    const problems = [];
    for (const field of fields) {
      try {
        values[field.name] = field.read();
      } catch (problem) {
        if (!(problem instanceof FieldProblem)) throw problem;
        problems.push({ field: field.name, message: problem.message });
      }
    }
    if (problems.length > 0) {
      showFieldProblems(problems);
      return;
    }
    submit.disabled = true;
    element.setAttribute('aria-busy', 'true');
    try {
      await onSubmit(values);
    } catch (error) {
      showError(error);
    } finally {
      submit.disabled = false;
      element.removeAttribute('aria-busy');
    }
  });

  return {
    element,
    field: (name) => byName.get(name),
    /** For answers the view explains itself (a 412, a nothing-to-save): any node above the fields. */
    showAlert: (node) => alert.replaceChildren(node),
    showFieldProblems,
  };
}
