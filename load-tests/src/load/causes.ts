import { z } from 'zod';

/**
 * Names why a response was not the expected one, for the error counts: the
 * HTTP status with the contract's cause codes from the failure body
 * (`409 NOT_BOUND`, `503 REDIS_INSERT_FAILED`, `500 LICENSE_FILE_FORMAT_INCORRECT`).
 */
const cause = z.object({ code: z.string() });
const failureBody = z.object({
  overall: z.array(cause).optional(),
  nodes: z.array(z.object({ causes: z.array(cause) })).optional(),
});

export function causeOf(status: number, body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `${status} (not JSON)`;
  }
  const failure = failureBody.safeParse(parsed);
  if (!failure.success) return `${status} (not the failure shape)`;
  const codes = new Set([
    ...(failure.data.overall ?? []).map((c) => c.code),
    ...(failure.data.nodes ?? []).flatMap((node) => node.causes.map((c) => c.code)),
  ]);
  return codes.size === 0 ? `${status}` : `${status} ${[...codes].sort().join('+')}`;
}

/** Transport-level failures autocannon reports (timeouts, refused or reset connections). */
export function transportCause(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return typeof code === 'string' ? `transport ${code}` : `transport ${error.message}`;
  }
  return `transport ${String(error)}`;
}

export function increment(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}
