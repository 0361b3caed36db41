import { z } from 'zod';
import { FALLBACK_CAUSE, NODE_CAUSES, OVERALL_CAUSES, type OverallCode } from '#shared/domain/causes';
import { REQUEST_SHAPES } from './routes/bodies';
import { KEY_PATTERN } from './routes/idempotency';

/**
 * The node-facing API as OpenAPI 3.1 (contract v1.1, "Machine-readable
 * description"): request bodies from the very zod shapes the routes validate
 * with (bodies.ts), cause codes as enums from the one catalogue (causes.ts).
 * Response schemas never forbid unknown fields: the contract's extensions
 * are additive, and a client must ignore what it does not know.
 */
const jsonSchema = (schema: z.ZodType, io: 'input' | 'output' = 'output') => {
  // The document states its dialect once (OpenAPI 3.1 is JSON Schema 2020-12); each schema need not.
  const rest: Record<string, unknown> = { ...(z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>) };
  delete rest.$schema;
  return rest;
};

const OVERALL_CODES = Object.keys(OVERALL_CAUSES) as [OverallCode, ...OverallCode[]];
const NODE_CODES = Object.keys(NODE_CAUSES) as [keyof typeof NODE_CAUSES, ...Array<keyof typeof NODE_CAUSES>];

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const responseShapes = {
  OverallCode: z.enum(OVERALL_CODES),
  NodeCode: z.enum(NODE_CODES),
  FallbackCode: z.enum([FALLBACK_CAUSE.code]),
  Registered: z.looseObject({
    result: z.literal('success'),
    account: z.string(),
    expiresAt: z.string().meta({ format: 'date' }),
    maxRegistrations: z.number().int(),
    used: z.number().int(),
    nodes: z.array(
      z.looseObject({
        nodeId: z.string(),
        machineCode: z.string(),
        /** Absent on a dry run. */
        token: z.string().optional(),
        /** Signed lease (v1.1), absent on a dry run. */
        lease: z.string().optional(),
      }),
    ),
    dryRun: z.boolean().optional(),
  }),
  Unbound: z.looseObject({
    result: z.literal('success'),
    nodes: z.array(z.looseObject({ nodeId: z.string(), machineCode: z.string() })),
  }),
  Verified: z.looseObject({
    result: z.literal('valid'),
    expiresAt: z.string().meta({ format: 'date' }),
    lease: z.string().optional(),
  }),
  Jwks: z.looseObject({
    keys: z.array(
      z.looseObject({
        kty: z.literal('OKP'),
        crv: z.literal('Ed25519'),
        x: z.string(),
        kid: z.string(),
        alg: z.literal('EdDSA'),
        use: z.literal('sig'),
      }),
    ),
  }),
  Health: z.looseObject({ status: z.literal('ok') }),
  Readiness: z.looseObject({
    status: z.enum(['ready', 'draining']),
    stores: z.looseObject({ redis: z.enum(['up', 'down', 'unknown']), mysql: z.enum(['up', 'down', 'unknown']) }),
  }),
};

const components = {
  ...Object.fromEntries(Object.entries(responseShapes).map(([name, shape]) => [name, jsonSchema(shape)])),
  OverallCause: {
    type: 'object',
    required: ['code', 'message'],
    properties: {
      code: ref('OverallCode'),
      message: { type: 'string' },
      details: { type: 'object', additionalProperties: { type: 'string' } },
    },
  },
  FallbackCause: {
    type: 'object',
    required: ['code', 'message'],
    properties: { code: ref('FallbackCode'), message: { const: FALLBACK_CAUSE.message } },
  },
  NodeCause: { type: 'object', required: ['code', 'message'], properties: { code: ref('NodeCode'), message: { type: 'string' } } },
  NodeFailure: {
    type: 'object',
    required: ['causes'],
    properties: {
      nodeId: { type: 'string' },
      machineCode: { type: 'string' },
      causes: { type: 'array', minItems: 1, items: ref('NodeCause') },
    },
  },
  /** The contract's failure shape, always. */
  Failure: {
    type: 'object',
    required: ['result', 'overall', 'nodes'],
    properties: {
      result: { const: 'failure' },
      overall: { type: 'array', items: { anyOf: [ref('OverallCause'), ref('FallbackCause')] } },
      nodes: { type: 'array', items: ref('NodeFailure') },
      unbound: { type: 'array', items: { type: 'string' } },
      dryRun: { type: 'boolean' },
    },
  },
  /** Display rule 5: exactly one overall cause, the fallback one. */
  Fallback: {
    allOf: [ref('Failure')],
    properties: { overall: { minItems: 1, maxItems: 1, items: ref('FallbackCause') }, nodes: { maxItems: 0 } },
  },
  /** A failure with node causes only. */
  NodeCauses: {
    allOf: [ref('Failure')],
    properties: { overall: { maxItems: 0 }, nodes: { minItems: 1 } },
  },
};

/** A failure with overall causes only (display rule 2), among `codes`. */
const overallOnly = (codes: OverallCode[]) => ({
  allOf: [ref('Failure')],
  properties: {
    overall: { minItems: 1, items: { allOf: [ref('OverallCause')], properties: { code: { enum: codes } } } },
    nodes: { maxItems: 0 },
  },
});

const REQUEST_ID = {
  'x-request-id': { description: 'Matches the log lines about the request', schema: { type: 'string', format: 'uuid' } },
};
const RETRY_AFTER = { 'Retry-After': { required: true, schema: { type: 'integer', minimum: 0 } } };

interface Answer {
  description: string;
  schema?: unknown;
  /** application/json unless given. */
  mediaType?: string;
  headers?: Record<string, unknown>;
}

const json = (description: string, schema: unknown, headers: Record<string, unknown> = {}): Answer => ({ description, schema, headers });
const fallback = (description: string, headers: Record<string, unknown> = {}) => json(description, ref('Fallback'), headers);

const NODE_FALLBACKS = {
  405: fallback('Method not allowed (LICENSE_FILE_FORMAT_INCORRECT)', { Allow: { schema: { type: 'string' } } }),
  500: fallback('Unexpected error (LICENSE_FILE_FORMAT_INCORRECT)'),
};
const IDEMPOTENT = {
  422: fallback('Idempotency-Key reused with another body'),
  429: fallback('Throttled: too many failed logins, or the unbinding quota', RETRY_AFTER),
};

const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Kept 24 hours per account and path: the same key and body replay the first final answer (Idempotent-Replayed: true). A bad key is INCORRECT_PARAMETER with field "Idempotency-Key".',
  schema: { type: 'string', pattern: KEY_PATTERN.source },
};

interface Operation {
  summary: string;
  parameters?: unknown[];
  body?: z.ZodType;
  answers: Record<number, Answer>;
}

const OPERATIONS: Record<string, Record<string, Operation>> = {
  '/v1/registrations': {
    post: {
      summary: 'Register every node of a cluster, or none (dryRun: check only)',
      parameters: [IDEMPOTENCY_KEY],
      body: REQUEST_SHAPES.registration,
      answers: {
        200: json('Every node bound (or, on a dry run, would be)', ref('Registered'), {
          'Idempotent-Replayed': { schema: { const: 'true' } },
        }),
        400: json('Format or parameter', overallOnly(['INCORRECT_DATA_FORMAT', 'INCORRECT_PARAMETER'])),
        401: json('Credentials', overallOnly(['UNAUTHORIZED_ACCOUNT'])),
        403: json('Account causes', overallOnly(['VERSION_MISMATCH', 'ABNORMAL_ACCOUNT_STATUS', 'EXPIRED_CERTIFICATE'])),
        409: json('Range or seat causes; or the Idempotency-Key is in flight (fallback)', { anyOf: [ref('NodeCauses'), ref('Fallback')] }),
        503: json('A store write failed (REDIS_INSERT_FAILED, MYSQL_UPDATE_FAILED)', ref('NodeCauses')),
        ...IDEMPOTENT,
        ...NODE_FALLBACKS,
      },
    },
  },
  '/v1/unbindings': {
    post: {
      summary: 'Unbind each node on its own',
      parameters: [IDEMPOTENCY_KEY],
      body: REQUEST_SHAPES.unbinding,
      answers: {
        200: json('Every node unbound', ref('Unbound'), { 'Idempotent-Replayed': { schema: { const: 'true' } } }),
        400: json('Format or parameter', overallOnly(['INCORRECT_DATA_FORMAT', 'INCORRECT_PARAMETER'])),
        401: json('Credentials', overallOnly(['UNAUTHORIZED_ACCOUNT'])),
        403: json('Account status', overallOnly(['ABNORMAL_ACCOUNT_STATUS'])),
        409: json('NOT_BOUND nodes (the others listed in unbound); or the Idempotency-Key is in flight (fallback)', {
          anyOf: [ref('NodeCauses'), ref('Fallback')],
        }),
        503: json('A store write failed (REDIS_INSERT_FAILED, MYSQL_UPDATE_FAILED)', ref('NodeCauses')),
        ...IDEMPOTENT,
        ...NODE_FALLBACKS,
      },
    },
  },
  '/v1/verifications': {
    post: {
      summary: 'Heartbeat of a bound node',
      body: REQUEST_SHAPES.verification,
      answers: {
        200: json('The binding is valid', ref('Verified')),
        400: json('Format or parameter', overallOnly(['INCORRECT_DATA_FORMAT', 'INCORRECT_PARAMETER'])),
        403: json('Account causes', overallOnly(['ABNORMAL_ACCOUNT_STATUS', 'EXPIRED_CERTIFICATE'])),
        409: json('NOT_BOUND: a machine or token the service does not know', ref('NodeCauses')),
        ...NODE_FALLBACKS,
      },
    },
  },
  '/v1/keys': {
    get: {
      summary: 'Lease verification keys (JWKS): the current one, and the previous one during a rotation',
      answers: { 200: json('JWKS', ref('Jwks')), ...NODE_FALLBACKS },
    },
  },
  '/v1/openapi.json': {
    get: { summary: 'This document', answers: { 200: json('OpenAPI 3.1', { type: 'object' }), ...NODE_FALLBACKS } },
  },
  '/healthz': { get: { summary: 'Liveness', answers: { 200: json('Process up', ref('Health')) } } },
  '/readyz': {
    get: {
      summary: 'Readiness: this process can serve (started, migrated, not draining); store outages do not change it',
      answers: {
        200: json('Ready; `stores` reports the last pings, informative only', ref('Readiness')),
        503: json('Draining: the process received SIGTERM and is about to stop', ref('Readiness')),
      },
    },
  },
  '/metrics': {
    get: {
      summary: 'Prometheus metrics (absent here when METRICS_PORT serves them)',
      answers: { 200: { description: 'Prometheus text format', mediaType: 'text/plain', schema: { type: 'string' } } },
    },
  },
};

function responseOf(answer: Answer) {
  const mediaType = answer.mediaType ?? 'application/json';
  return {
    description: answer.description,
    headers: { ...REQUEST_ID, ...answer.headers },
    ...(answer.schema === undefined ? {} : { content: { [mediaType]: { schema: answer.schema } } }),
  };
}

function operationOf(operation: Operation) {
  return {
    summary: operation.summary,
    ...(operation.parameters ? { parameters: operation.parameters } : {}),
    ...(operation.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(operation.body, 'input') } } } }
      : {}),
    responses: Object.fromEntries(Object.entries(operation.answers).map(([status, answer]) => [status, responseOf(answer)])),
  };
}

let document: unknown;

export function nodeOpenApiDocument(): unknown {
  document ??= {
    openapi: '3.1.0',
    info: {
      title: 'regcloud public cloud registration API',
      version: '1.1.0',
      description:
        'Unknown routes answer 404 with the fallback cause (components/schemas/Fallback). Unknown request fields are ignored; clients must ignore unknown response fields.',
    },
    components: { schemas: components },
    paths: Object.fromEntries(
      Object.entries(OPERATIONS).map(([path, methods]) => [
        path,
        Object.fromEntries(Object.entries(methods).map(([method, operation]) => [method, operationOf(operation)])),
      ]),
    ),
  };
  return document;
}
