/**
 * Cursor pagination over rows read newest first by id: the cursor is the
 * last id of a page, opaque to callers (base64url), so a page is one indexed
 * range read however deep it is.
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * One page from `limit + 1` rows read newest first: the extra row only says
 * whether there is a next page, whose cursor is the id of this page's last item.
 */
export function pageOf<T>(rows: readonly T[], limit: number, idOf: (item: T) => number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(idOf(last)) : null };
}

export function encodeCursor(lastId: number): string {
  return Buffer.from(`id:${lastId}`, 'utf8').toString('base64url');
}

/** Undefined for no cursor; a cursor this module did not make is refused by the caller's validation, so it throws here. */
export function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const match = /^id:([1-9]\d{0,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || !Number.isSafeInteger(Number(match[1]))) throw new InvalidCursor();
  return Number(match[1]);
}

export function isCursor(text: string): boolean {
  try {
    return decodeCursor(text) !== undefined;
  } catch {
    return false;
  }
}

export class InvalidCursor extends Error {
  constructor() {
    super('not a cursor of this list');
    this.name = 'InvalidCursor';
  }
}
