import Ajv2020 from 'ajv/dist/2020';
import type { RequestHandler } from 'express';
import { openApiDocument } from '../../src/http/openapi';

/**
 * Every answer the staff API gives in any test, checked against the OpenAPI
 * document it serves: the path, method and status must be described, and a
 * JSON body must match its schema. startTestAdmin puts `openApiChecks` in
 * front of the app and fails its close() on any problem, so each test file
 * of the suite proves the document as it goes.
 */
interface OpenApi {
  components: { schemas: Record<string, unknown> };
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
}

const API = '/admin/api/v1';
const doc = openApiDocument() as OpenApi;
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ $id: 'doc', components: doc.components }, 'doc');
// Literal templates first: `/sessions/current` is not a `/sessions/{id}`.
const templates = Object.keys(doc.paths)
  .sort((a, b) => a.split('{').length - b.split('{').length)
  .map((template) => ({ template, pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));
const validators = new Map<unknown, ReturnType<typeof ajv.compile>>();

function validatorOf(schema: unknown) {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')) as object);
    validators.set(schema, validate);
  }
  return validate;
}

/** What is wrong with one answer, or null; answers on paths the document does not describe (unknown routes) are not its to describe. */
export function answerProblem(answer: { method: string; path: string; status: number; contentType: string; body: string }): string | null {
  const route = templates.find(({ pattern }) => pattern.test(answer.path));
  if (!route) return null;
  const described = `${answer.method} ${route.template} ${answer.status}`;
  const operation = doc.paths[route.template]?.[answer.method.toLowerCase()];
  if (!operation) return answer.status === 404 || answer.status === 405 ? null : `${answer.method} ${route.template} is not described`;
  const response = operation.responses[String(answer.status)];
  if (!response) return `${described} is not described`;
  if (!answer.contentType.startsWith('application/json')) return null;
  const schema = response.content?.['application/json']?.schema;
  if (schema === undefined) return answer.body === '' ? null : `${described} has a body the document does not describe`;
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return `${described}: not JSON`;
  }
  const validate = validatorOf(schema);
  return validate(body) ? null : `${described}: ${ajv.errorsText(validate.errors)} in ${answer.body.slice(0, 300)}`;
}

/** Records the problem of every staff API answer into `problems`. */
export function openApiChecks(problems: string[]): RequestHandler {
  return (req, res, next) => {
    if (!req.path.startsWith(`${API}/`)) {
      next();
      return;
    }
    const chunks: Buffer[] = [];
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    const keep = (chunk: unknown, encoding: unknown) => {
      if (typeof chunk === 'string') chunks.push(Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
      else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
    };
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      keep(chunk, rest[0]);
      return write(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      keep(chunk, rest[0]);
      return end(chunk, ...rest);
    }) as typeof res.end;
    res.on('finish', () => {
      const problem = answerProblem({
        method: req.method,
        path: req.path.slice(API.length),
        status: res.statusCode,
        contentType: String(res.getHeader('content-type') ?? ''),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (problem) problems.push(problem);
    });
    next();
  };
}
