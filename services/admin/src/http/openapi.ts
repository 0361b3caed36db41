import { z } from 'zod';
import { ADMIN_ERRORS } from './admin-errors';
import { pageOf, queries, requests, responses } from './schemas';

/**
 * The staff API as OpenAPI 3.1, built from the very schemas the routes
 * validate with and the views are typed by (schemas.ts). JSON Schema 2020-12
 * is OpenAPI 3.1's own dialect, so zod's output goes in as it is.
 */
interface Operation {
  summary: string;
  query?: z.ZodObject;
  body?: z.ZodType;
  ok: { status: number; schema?: z.ZodType; description?: string };
  errors: Array<keyof typeof ADMIN_ERRORS>;
}

const jsonSchema = (schema: z.ZodType) => {
  // The document states its dialect once (OpenAPI 3.1 is JSON Schema 2020-12); each schema need not.
  const rest: Record<string, unknown> = { ...(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>) };
  delete rest.$schema;
  return rest;
};

const COMMON: Array<keyof typeof ADMIN_ERRORS> = ['UNAUTHENTICATED', 'FORBIDDEN', 'CSRF_FAILED', 'INTERNAL'];

const OPERATIONS: Record<string, Record<string, Operation>> = {
  '/sessions': {
    post: {
      summary: 'Log in (console session)',
      body: requests.credentials,
      ok: { status: 200, schema: responses.session },
      errors: ['BAD_REQUEST', 'UNAUTHENTICATED', 'VALIDATION_FAILED', 'THROTTLED'],
    },
  },
  '/sessions/current': { delete: { summary: 'Log out', ok: { status: 204 }, errors: COMMON } },
  '/accounts': {
    get: {
      summary: 'List accounts, newest first',
      query: queries.accounts,
      ok: { status: 200, schema: pageOf(responses.account) },
      errors: [...COMMON, 'VALIDATION_FAILED'],
    },
    post: {
      summary: 'Create an account',
      body: requests.newAccount,
      ok: { status: 201, schema: responses.account },
      errors: [...COMMON, 'BAD_REQUEST', 'VALIDATION_FAILED', 'CONFLICT'],
    },
  },
  '/accounts/{name}': {
    get: { summary: 'One account (ETag: its revision)', ok: { status: 200, schema: responses.account }, errors: [...COMMON, 'NOT_FOUND'] },
    patch: {
      summary: 'Change an account (If-Match required)',
      body: requests.accountChange,
      ok: { status: 200, schema: responses.account },
      errors: [...COMMON, 'BAD_REQUEST', 'NOT_FOUND', 'CONFLICT', 'PRECONDITION_FAILED', 'VALIDATION_FAILED', 'PRECONDITION_REQUIRED'],
    },
  },
  '/accounts/{name}/password': {
    post: {
      summary: "Set the customer's password",
      body: requests.newPassword,
      ok: { status: 204 },
      errors: [...COMMON, 'BAD_REQUEST', 'NOT_FOUND', 'VALIDATION_FAILED'],
    },
  },
  '/accounts/{name}/bindings': {
    get: {
      summary: 'Bound machines',
      query: queries.page,
      ok: { status: 200, schema: pageOf(responses.binding) },
      errors: [...COMMON, 'NOT_FOUND', 'VALIDATION_FAILED'],
    },
  },
  '/accounts/{name}/attempts': {
    get: {
      summary: 'Recent registrations and unbindings, newest first',
      query: queries.page,
      ok: { status: 200, schema: pageOf(responses.attempt) },
      errors: [...COMMON, 'NOT_FOUND', 'VALIDATION_FAILED'],
    },
  },
  '/accounts/{name}/bindings/{machineCode}': {
    delete: { summary: 'Release one machine', ok: { status: 204 }, errors: [...COMMON, 'NOT_FOUND'] },
  },
  '/accounts/{name}/releases': {
    post: {
      summary: 'Release several machines at once (one transaction); those not bound are listed',
      body: requests.release,
      ok: { status: 200, schema: responses.released },
      errors: [...COMMON, 'BAD_REQUEST', 'NOT_FOUND', 'VALIDATION_FAILED'],
    },
  },
  '/audit': {
    get: {
      summary: 'The audit trail, newest first (text/csv on request)',
      query: queries.audit,
      ok: { status: 200, schema: pageOf(responses.auditEntry) },
      errors: [...COMMON, 'NOT_FOUND', 'VALIDATION_FAILED'],
    },
  },
  '/staff': {
    get: { summary: 'Staff members', query: queries.page, ok: { status: 200, schema: pageOf(responses.staff) }, errors: COMMON },
    post: {
      summary: 'Create a staff member',
      body: requests.newStaff,
      ok: { status: 201, schema: responses.staff },
      errors: [...COMMON, 'BAD_REQUEST', 'VALIDATION_FAILED', 'CONFLICT'],
    },
  },
  '/staff/{email}': {
    patch: {
      summary: 'Change role or disable',
      body: requests.staffChange,
      ok: { status: 200, schema: responses.staff },
      errors: [...COMMON, 'BAD_REQUEST', 'NOT_FOUND', 'VALIDATION_FAILED'],
    },
  },
  '/tokens': {
    get: {
      summary: 'API tokens (an operator sees their own)',
      query: queries.page,
      ok: { status: 200, schema: pageOf(responses.token) },
      errors: COMMON,
    },
    post: {
      summary: 'Create an API token (its secret is shown once)',
      body: requests.newToken,
      ok: { status: 201, schema: responses.tokenCreated },
      errors: [...COMMON, 'BAD_REQUEST', 'VALIDATION_FAILED'],
    },
  },
  '/tokens/{id}': { delete: { summary: 'Revoke an API token', ok: { status: 204 }, errors: [...COMMON, 'NOT_FOUND'] } },
  '/webhooks': {
    get: {
      summary: 'Webhook endpoints (admins)',
      query: queries.page,
      ok: { status: 200, schema: pageOf(responses.webhook) },
      errors: COMMON,
    },
    post: {
      summary: 'Subscribe an endpoint (its signing secret is shown once)',
      body: requests.newWebhook,
      ok: { status: 201, schema: responses.webhookCreated },
      errors: [...COMMON, 'BAD_REQUEST', 'VALIDATION_FAILED'],
    },
  },
  '/webhooks/{id}': {
    patch: {
      summary: 'Change the event types, disable or enable again',
      body: requests.webhookChange,
      ok: { status: 200, schema: responses.webhook },
      errors: [...COMMON, 'BAD_REQUEST', 'NOT_FOUND', 'VALIDATION_FAILED'],
    },
    delete: { summary: 'Remove an endpoint and its deliveries', ok: { status: 204 }, errors: [...COMMON, 'NOT_FOUND'] },
  },
  '/webhooks/{id}/deliveries': {
    get: {
      summary: 'Deliveries of an endpoint, newest first',
      query: queries.deliveries,
      ok: { status: 200, schema: pageOf(responses.delivery) },
      errors: [...COMMON, 'NOT_FOUND', 'VALIDATION_FAILED'],
    },
  },
  '/webhooks/{id}/deliveries/{eventId}/retry': {
    post: { summary: 'One more attempt now, whatever the status', ok: { status: 202 }, errors: [...COMMON, 'NOT_FOUND'] },
  },
  '/openapi.json': {
    get: { summary: 'This document', ok: { status: 200, description: 'OpenAPI 3.1' }, errors: ['UNAUTHENTICATED', 'INTERNAL'] },
  },
};

function parametersOf(path: string, query: z.ZodObject | undefined) {
  const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((match) => ({
    name: match[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const schema = query ? jsonSchema(query) : { properties: {} };
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return [
    ...inPath,
    ...Object.entries(properties).map(([name, property]) => ({ name, in: 'query', required: required.has(name), schema: property })),
  ];
}

let document: unknown;

export function openApiDocument(): unknown {
  document ??= {
    openapi: '3.1.0',
    info: { title: 'regcloud staff API', version: '1.0.0' },
    servers: [{ url: '/admin/api/v1' }],
    components: {
      securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'regcloud_admin' }, token: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: jsonSchema(responses.error) },
    },
    security: [{ session: [] }, { token: [] }],
    paths: Object.fromEntries(
      Object.entries(OPERATIONS).map(([path, methods]) => [
        path,
        Object.fromEntries(
          Object.entries(methods).map(([method, operation]) => [
            method,
            {
              summary: operation.summary,
              ...(path === '/sessions' ? { security: [] } : {}),
              parameters: parametersOf(path, operation.query),
              ...(operation.body
                ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(operation.body) } } } }
                : {}),
              responses: {
                [operation.ok.status]: {
                  description: operation.ok.description ?? 'OK',
                  ...(operation.ok.schema ? { content: { 'application/json': { schema: jsonSchema(operation.ok.schema) } } } : {}),
                },
                ...Object.fromEntries(
                  operation.errors.map((code) => [
                    String(ADMIN_ERRORS[code].status),
                    { description: code, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
                  ]),
                ),
              },
            },
          ]),
        ),
      ]),
    ),
  };
  return document;
}
