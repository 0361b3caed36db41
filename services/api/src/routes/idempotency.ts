import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { Logger } from '#shared/log/logger';
import type { HttpAnswer } from '#shared/http/respond';
import type { TokenCodec } from '#shared/security/binding-token';
import type { IdempotencyStore, KeptAnswer } from '#shared/storage/redis/idempotency';

/** What a route that honours Idempotency-Key needs (contract v1.1). */
export interface Idempotency {
  store: IdempotencyStore;
  tokens: TokenCodec;
  logger: Logger;
}

/** 1–255 visible ASCII characters, as the contract fixes the header. */
export const KEY_PATTERN = /^[\x21-\x7E]{1,255}$/;

/** The request's key, absent, or bad (empty, too long, not visible ASCII, or given twice). */
export function readIdempotencyKey(req: IncomingMessage): { ok: true; key: string | undefined } | { ok: false } {
  const values = req.headersDistinct['idempotency-key'];
  if (values === undefined) return { ok: true, key: undefined };
  const [value] = values;
  return values.length === 1 && value !== undefined && KEY_PATTERN.test(value) ? { ok: true, key: value } : { ok: false };
}

/** JSON with every object's keys sorted: whitespace and key order do not make two bodies differ. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Only a hash of the body is kept: the body holds the password. */
export function fingerprintOf(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('base64url');
}

/** The contract keeps final answers only: a success, and a 409 with node causes (a use case's 409 always has them). */
export function isFinal(answer: HttpAnswer): boolean {
  return answer.status === 200 || answer.status === 409;
}

/** A body whose nodes each name their machine; built on the parsed JSON as it is, so key order (and bytes) stay. */
type NodesBody = Record<string, unknown> & { nodes: Array<Record<string, unknown> & { machineCode: string }> };
const nodesBody = z.looseObject({ nodes: z.array(z.looseObject({ machineCode: z.string() })) });
const tokenNodes = z.looseObject({ nodes: z.array(z.looseObject({ machineCode: z.string(), token: z.string() })).min(1) });
const keptBody = z.object({
  body: z.unknown(),
  /** Per node, the nonce its token derives from; tokens themselves are never kept. */
  tokens: z.object({ accountId: z.number().int(), nonces: z.array(z.string()) }).optional(),
});

/** A success's tokens are swapped for what derives them again (account id, nonces). */
export function keep(answer: HttpAnswer, tokens: TokenCodec): KeptAnswer {
  const parsed = tokenNodes.safeParse(answer.body);
  if (!parsed.success) return { status: answer.status, body: { body: answer.body } };
  const body = answer.body as NodesBody & { nodes: Array<{ token: string }> };
  const nonces: string[] = [];
  let accountId: number | undefined;
  for (const node of body.nodes) {
    const token = tokens.parse(node.token, node.machineCode);
    if (!token || (accountId !== undefined && token.accountId !== accountId))
      throw new Error('a success answered tokens of no single account');
    accountId = token.accountId;
    nonces.push(token.nonce);
  }
  return {
    status: answer.status,
    body: { body: { ...body, nodes: body.nodes.map(({ token: _token, ...node }) => node) }, tokens: { accountId, nonces } },
  };
}

/** The first answer again, tokens derived anew, marked as a replay. */
export function replayed(kept: KeptAnswer, tokens: TokenCodec): HttpAnswer {
  const { body, tokens: derivable } = keptBody.parse(kept.body);
  let answered = body;
  if (derivable) {
    nodesBody.parse(body);
    const withNodes = body as NodesBody;
    answered = {
      ...withNodes,
      nodes: withNodes.nodes.map(({ lease, ...node }, index) => {
        const token = tokens.derive(derivable.accountId, derivable.nonces[index] as string, node.machineCode);
        // The token goes back where it was, before the lease: the same bytes as the first answer.
        return lease === undefined ? { ...node, token } : { ...node, token, lease };
      }),
    };
  }
  return { status: kept.status, body: answered, headers: { 'Idempotent-Replayed': 'true' }, codes: [] };
}
