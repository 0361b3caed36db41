import { z } from 'zod';
import type { OverallCause } from '#shared/domain/causes';
import { isStrictIp, normaliseHostName } from '#shared/domain/ranges';
import type { RegistrationNode, RegistrationRequest, UnbindingRequest, VerificationRequest } from '#shared/domain/requests';

/**
 * Request bodies, checked in two stages as the contract orders them: first
 * the shape (types and required fields: INCORRECT_DATA_FORMAT), then the
 * values, field by field in a fixed order (INCORRECT_PARAMETER naming the
 * first invalid field as a path such as `nodes[1].ip`). Unknown fields are
 * dropped, so `__proto__` and friends never reach the use cases.
 */
const text = z.string();
const optionalText = z
  .string()
  .nullish()
  .transform((value) => value ?? undefined);

const registrationShape: z.ZodType<RegistrationRequest> = z.object({
  account: text,
  password: text,
  appVersion: text,
  nodes: z.array(z.object({ nodeId: text, ip: text, domain: optionalText, appName: text, machineCode: text, mac: optionalText })),
  dryRun: z.boolean().optional(),
});

const unbindingShape: z.ZodType<UnbindingRequest> = z.object({
  account: text,
  password: text,
  nodes: z.array(z.object({ nodeId: text, machineCode: text })),
});

const verificationShape: z.ZodType<VerificationRequest> = z.object({ machineCode: text, token: text });

/** The shapes the routes validate with, for the OpenAPI document (services/api/src/openapi-document.ts). */
export const REQUEST_SHAPES = { registration: registrationShape, unbinding: unbindingShape, verification: verificationShape } as const;

export const MAX_NODES = 256;

/**
 * Body limits per route: registrations and unbindings may reach the
 * contract's 1 MiB (256 nodes of long, escaped Unicode fields); a heartbeat
 * is two short strings, a few KiB at most even fully escaped.
 */
export const BODY_LIMITS = {
  registration: 1024 * 1024,
  unbinding: 1024 * 1024,
  verification: 8 * 1024,
} as const;

/**
 * The contract's shapes nest three deep (body, `nodes`, a node); the rest
 * leaves room for unknown fields, which are ignored, holding small values.
 */
export const MAX_BODY_DEPTH = 8;
const MAC_PATTERN = /^(?:[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}|[0-9A-Fa-f]{12})$/;

/** A check of one field: true when the value is acceptable. */
type FieldCheck = [field: string, isValid: boolean];

/** Length in characters (code points), as MySQL's VARCHAR counts them; lone surrogates are never valid. */
function isText(value: string, max: number): boolean {
  if (value.length === 0 || !value.isWellFormed()) return false;
  // eslint-disable-next-line @typescript-eslint/no-misused-spread -- code points are the unit here (MySQL's), not graphemes
  return value.length <= max || [...value].length <= max;
}

function firstInvalid(checks: Iterable<FieldCheck>): string | null {
  for (const [field, isValid] of checks) if (!isValid) return field;
  return null;
}

function* credentialChecks(body: { account: string; password: string }): Generator<FieldCheck> {
  yield ['account', isText(body.account, 128)];
  yield ['password', body.password.length > 0 && body.password.isWellFormed() && Buffer.byteLength(body.password) <= 72];
}

function* nodeListChecks(
  nodes: ReadonlyArray<{ nodeId: string; machineCode: string }>,
  nodeChecks: (index: number) => Iterable<FieldCheck>,
): Generator<FieldCheck> {
  yield ['nodes', nodes.length >= 1 && nodes.length <= MAX_NODES];
  const nodeIds = new Set<string>();
  const machineCodes = new Set<string>();
  for (let index = 0; index < nodes.length; index++) {
    const node = nodes[index] as { nodeId: string; machineCode: string };
    for (const [field, isValid] of nodeChecks(index)) yield [`nodes[${index}].${field}`, isValid];
    yield [`nodes[${index}].nodeId`, !nodeIds.has(node.nodeId)];
    yield [`nodes[${index}].machineCode`, !machineCodes.has(node.machineCode)];
    nodeIds.add(node.nodeId);
    machineCodes.add(node.machineCode);
  }
}

function* registrationChecks(body: RegistrationRequest): Generator<FieldCheck> {
  yield* credentialChecks(body);
  yield ['appVersion', isText(body.appVersion, 32)];
  yield* nodeListChecks(body.nodes, function* (index) {
    const node = body.nodes[index] as RegistrationNode;
    yield ['nodeId', isText(node.nodeId, 128)];
    yield ['ip', isStrictIp(node.ip)];
    yield ['domain', node.domain === undefined || normaliseHostName(node.domain) !== null];
    yield ['appName', isText(node.appName, 128)];
    yield ['machineCode', isText(node.machineCode, 255)];
    yield ['mac', node.mac === undefined || MAC_PATTERN.test(node.mac)];
  });
}

function* unbindingChecks(body: UnbindingRequest): Generator<FieldCheck> {
  yield* credentialChecks(body);
  yield* nodeListChecks(body.nodes, function* (index) {
    const node = body.nodes[index] as UnbindingRequest['nodes'][number];
    yield ['nodeId', isText(node.nodeId, 128)];
    yield ['machineCode', isText(node.machineCode, 255)];
  });
}

function* verificationChecks(body: VerificationRequest): Generator<FieldCheck> {
  yield ['machineCode', isText(body.machineCode, 255)];
  yield ['token', isText(body.token, 256)];
}

export type Parsed<T> = { ok: true; body: T } | { ok: false; cause: OverallCause };

function parseWith<T>(shape: z.ZodType<T>, checks: (body: T) => Iterable<FieldCheck>, raw: unknown): Parsed<T> {
  const parsed = shape.safeParse(raw);
  if (!parsed.success) return { ok: false, cause: { code: 'INCORRECT_DATA_FORMAT' } };
  const field = firstInvalid(checks(parsed.data));
  return field === null ? { ok: true, body: parsed.data } : { ok: false, cause: { code: 'INCORRECT_PARAMETER', details: { field } } };
}

export const parseRegistration = (raw: unknown) => parseWith(registrationShape, registrationChecks, raw);
export const parseUnbinding = (raw: unknown) => parseWith(unbindingShape, unbindingChecks, raw);
export const parseVerification = (raw: unknown) => parseWith(verificationShape, verificationChecks, raw);

/**
 * Whether a registration body asks for a dry run, read before (or without)
 * its parse: a body refused for a parameter still answers as a dry run.
 * A `dryRun` that is not `true` is no dry run (nor, not a boolean, valid).
 */
export function isDryRunBody(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as { dryRun?: unknown }).dryRun === true;
}
