import assert from 'node:assert/strict';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { nodeOpenApiDocument } from '../../services/api/src/openapi-document';

/**
 * Checks an answer of the node-facing API against its OpenAPI document (the
 * one `GET /v1/openapi.json` serves): the status must be described for the
 * path and method, and the body must validate against that status's schema.
 * Called by the cause assertions (expect-causes.ts), so every test that
 * asserts a cause also checks the answer against the document.
 */
interface MediaType {
  schema?: unknown;
}
interface Operation {
  responses: Record<string, { content?: Record<string, MediaType> }>;
}
interface NodeOpenApi {
  openapi: string;
  components: { schemas: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
}

/** What the check needs of a supertest response. */
export interface Answered {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text?: string;
}

const DOCUMENT_ID = 'node-openapi';
let ajv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();

export function nodeOpenApi(): NodeOpenApi {
  return nodeOpenApiDocument() as NodeOpenApi;
}

function validatorFor(key: string, schema: unknown): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) {
    if (!ajv) {
      ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false, logger: false });
      ajv.addSchema({ $id: DOCUMENT_ID, components: nodeOpenApi().components }, DOCUMENT_ID);
    }
    const resolved = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${DOCUMENT_ID}#/components/`)) as object;
    validate = ajv.compile(resolved);
    validators.set(key, validate);
  }
  return validate;
}

/**
 * The schema an answer must meet: the operation's for its status; for an
 * unknown route (404) or a method the path does not have (404, or 405 where
 * the path's operations describe it), the fallback cause.
 */
function describedSchema(method: string, path: string, status: number): { mediaType: string; schema: unknown } {
  const doc = nodeOpenApi();
  const item = doc.paths[path];
  const operation = item?.[method === 'head' ? 'get' : method];
  if (!item || !operation) {
    const label = item ? `${method.toUpperCase()} ${path} (no such method)` : `${path} (no such route)`;
    if (status === 404) return { mediaType: 'application/json', schema: { $ref: '#/components/schemas/Fallback' } };
    assert.equal(status, 405, `${label} answers 404 or 405, not ${status}`);
    const described = Object.values(item ?? {}).find((candidate) => candidate.responses['405']);
    assert.ok(described, `${label}: 405 is described for the path`);
    return { mediaType: 'application/json', schema: described.responses['405']?.content?.['application/json']?.schema };
  }
  const response = operation.responses[String(status)];
  assert.ok(response, `${method.toUpperCase()} ${path} ${status} is described in the OpenAPI document`);
  const [mediaType, content] = Object.entries(response.content ?? {})[0] ?? ['none', {}];
  return { mediaType, schema: content.schema };
}

export function expectMatchesNodeOpenApi(method: string, path: string, response: Answered): void {
  const verb = method.toLowerCase();
  const route = path.split('?')[0] ?? path;
  const label = `${verb.toUpperCase()} ${route} ${response.status}`;
  const { mediaType, schema } = describedSchema(verb, route, response.status);
  if (verb === 'head' || schema === undefined) return;
  const contentType = String(response.headers['content-type'] ?? '');
  assert.ok(contentType.startsWith(mediaType), `${label}: content type ${contentType}, described as ${mediaType}`);
  const body: unknown = mediaType === 'application/json' ? response.body : response.text;
  const validate = validatorFor(`${verb} ${route} ${response.status} ${mediaType}`, schema);
  const errors = () => (ajv ? ajv.errorsText(validate.errors) : '');
  assert.ok(validate(body), `${label} does not match the OpenAPI document: ${errors()} in ${JSON.stringify(body)}`);
}

/** The same, taking method and path from the supertest request that got the response. */
export function expectResponseMatchesNodeOpenApi(response: Answered & { request: { method: string; url: string } }): void {
  const { method, url } = response.request;
  expectMatchesNodeOpenApi(method, new URL(url, 'http://localhost').pathname, response);
}
