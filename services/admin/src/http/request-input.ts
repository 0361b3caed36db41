import type { Request } from 'express';
import { z } from 'zod';
import { isCursor } from '#shared/storage/mysql/cursor';
import type { FieldProblem } from '#shared/domain/account-settings';
import { validationFailed } from './admin-errors';

/**
 * Bodies and query strings checked against zod schemas. Every problem is
 * listed with its field path (`allowedIps[1]`), unknown body fields
 * included: a staff typo is never silently ignored.
 */
function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text === '' ? String(part) : `${text}.${String(part)}`),
    '',
  );
}

export function fieldProblems(error: z.ZodError): Array<{ field: string; message: string }> {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: pathOf([...issue.path, key]), message: 'unknown field' }))
      : [{ field: pathOf(issue.path) || '(body)', message: issue.message }],
  );
}

export function parseInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationFailed(fieldProblems(parsed.error));
  return parsed.data;
}

export const bodyOf = <T>(schema: z.ZodType<T>, req: Request): T => parseInput(schema, req.body ?? {});

/**
 * `bodyOf` for a body whose fields also have value rules: when its shape is
 * wrong (an unknown field, a wrong type), the answer lists the shape's
 * problems and, with them, `valueProblems` of the fields that do have their
 * type, so that every field problem is listed at once.
 */
export function bodyWithValuesOf<S extends z.ZodObject>(
  schema: S,
  req: Request,
  valueProblems: (wellTyped: Partial<z.infer<S>>) => FieldProblem[],
): z.infer<S> {
  const body: unknown = req.body ?? {};
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const given = typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.entries(body) : [];
  const shape = schema.shape as Record<string, z.ZodType>;
  const wellTyped = Object.fromEntries(
    given.filter(([field, value]) => Object.hasOwn(shape, field) && shape[field]?.safeParse(value).success),
  );
  throw validationFailed([...fieldProblems(parsed.error), ...valueProblems(wellTyped as Partial<z.infer<S>>)]);
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

/** `limit` (default 50, at most 500) and `cursor` of every list. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
  cursor: z.string().refine(isCursor, 'not a cursor of this list').optional(),
};

/**
 * A query string's values: a parameter given twice is refused rather than
 * guessed at, and one given empty (`?status=&limit=`, as a form or the
 * contract's own route templates send them) is the same as one not given.
 */
export function queryOf<T>(schema: z.ZodType<T>, req: Request): T {
  const query = req.query as Record<string, unknown>;
  const repeated = Object.entries(query)
    .filter(([, value]) => typeof value !== 'string')
    .map(([field]) => ({ field, message: 'give it once, as text' }));
  if (repeated.length > 0) throw validationFailed(repeated);
  return parseInput(schema, Object.fromEntries(Object.entries(query).filter(([, value]) => value !== '')));
}
