/**
 * Field by field, what a change changed, for audit entries and
 * `account.changed`: `changes` is `{ field: { from, to } }` for every field
 * of `now` whose value differs from `was` (compared as JSON, so lists and
 * dates compare by value), and `before`/`after` are the two sides of it.
 * A field set to the value it had is not a change.
 */
export interface FieldChanges {
  changes: Record<string, { from: unknown; to: unknown }>;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

export function fieldChanges(was: Readonly<Record<string, unknown>>, now: Readonly<Record<string, unknown>>): FieldChanges {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of Object.keys(now)) {
    if (JSON.stringify(was[field]) !== JSON.stringify(now[field])) changes[field] = { from: was[field], to: now[field] };
  }
  const side = (pick: 'from' | 'to') => Object.fromEntries(Object.entries(changes).map(([field, change]) => [field, change[pick]]));
  return { changes, before: side('from'), after: side('to') };
}
