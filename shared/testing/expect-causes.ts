import assert from 'node:assert/strict';
import type { Response } from 'supertest';
import { FALLBACK_CAUSE, NODE_CAUSES, OVERALL_CAUSES, type NodeCode, type OverallCode } from '#shared/domain/causes';
import { expectResponseMatchesNodeOpenApi } from './node-openapi';

/**
 * Assertions on the contract's failure shape: the status, the codes in order
 * and each exact message, so a test fails on a wrong word, not just a wrong status.
 * Each also checks the answer against the served OpenAPI document (node-openapi.ts).
 */
interface FailureBody {
  result: string;
  overall: Array<{ code: string; message: string; details?: Record<string, string> }>;
  nodes: Array<{ nodeId?: string; machineCode?: string; causes: Array<{ code: string; message: string }> }>;
  unbound?: string[];
}

export function failureOf(response: Response): FailureBody {
  const body = response.body as FailureBody;
  assert.equal(body.result, 'failure', `expected a failure body, got ${JSON.stringify(body)}`);
  return body;
}

export function expectOverall(response: Response, status: number, codes: OverallCode[]): FailureBody {
  assert.equal(response.status, status, JSON.stringify(response.body));
  const body = failureOf(response);
  assert.deepEqual(
    body.overall.map((cause) => cause.code),
    codes,
  );
  body.overall.forEach((cause) => assert.equal(cause.message, OVERALL_CAUSES[cause.code as OverallCode].message));
  assert.deepEqual(body.nodes, [], 'display rule 2: only overall causes when there is one');
  expectResponseMatchesNodeOpenApi(response);
  return body;
}

/** `expected` maps each failing nodeId (or machineCode) to its causes, in table order. */
export function expectNodeCauses(response: Response, status: number, expected: Record<string, NodeCode[]>): FailureBody {
  assert.equal(response.status, status, JSON.stringify(response.body));
  const body = failureOf(response);
  assert.deepEqual(body.overall, []);
  const actual = Object.fromEntries(
    body.nodes.map((node) => [node.nodeId ?? node.machineCode ?? '(no nodeId or machineCode)', node.causes.map((cause) => cause.code)]),
  );
  assert.deepEqual(actual, expected);
  body.nodes.flatMap((node) => node.causes).forEach((cause) => assert.equal(cause.message, NODE_CAUSES[cause.code as NodeCode].message));
  expectResponseMatchesNodeOpenApi(response);
  return body;
}

/** `isDryRun`: the answer of a dry run, which carries `"dryRun": true` besides (contract v1.1). */
export function expectFallback(response: Response, status: number, options: { isDryRun?: boolean } = {}): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.deepEqual(response.body, {
    result: 'failure',
    overall: [{ code: FALLBACK_CAUSE.code, message: FALLBACK_CAUSE.message }],
    nodes: [],
    ...(options.isDryRun === true ? { dryRun: true } : {}),
  });
  assert.match(String(response.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  expectResponseMatchesNodeOpenApi(response);
}
