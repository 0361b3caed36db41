import type { AnsweredCauses } from './attempt';
import { FALLBACK_CAUSE, type NodeCode, type OverallCause } from './causes';

/**
 * What a use case answers, as data. `shared/http/respond.ts` alone turns an
 * outcome into an HTTP status and the contract's body.
 */
export interface NodeRefusal {
  /** Registration and unbinding name nodes by nodeId (and machineCode); verification by machineCode. */
  nodeId?: string;
  machineCode?: string;
  causes: NodeCode[];
}

export interface Refused {
  kind: 'refused';
  overall: OverallCause[];
  nodes: NodeRefusal[];
  /** Unbinding only: the nodeIds that were unbound although others were not. */
  unbound?: string[];
  /** A registration's dry run: the answer says so (contract v1.1). */
  isDryRun?: boolean;
}

export interface Throttled {
  kind: 'throttled';
  retryAfterSeconds: number;
  /** A registration's dry run: the answer says so (contract v1.1). */
  isDryRun?: boolean;
}

export interface Succeeded<Body> {
  kind: 'succeeded';
  body: Body;
}

export type Outcome<Body> = Succeeded<Body> | Refused | Throttled;

export function refuseOverall(...overall: OverallCause[]): Refused {
  return { kind: 'refused', overall, nodes: [] };
}

export function refuseNodes(nodes: NodeRefusal[], unbound?: string[]): Refused {
  return unbound === undefined ? { kind: 'refused', overall: [], nodes } : { kind: 'refused', overall: [], nodes, unbound };
}

/** Display rule 2: with any overall cause, only overall causes are shown. */
export function shownNodes(refused: Refused): NodeRefusal[] {
  return refused.overall.length > 0 ? [] : refused.nodes;
}

/** What the fallback answer (HTTP 500, 429) tells a node, as codes. */
export const FALLBACK_ANSWERED: Readonly<AnsweredCauses> = Object.freeze({ result: 'failure', overall: [FALLBACK_CAUSE.code], nodes: [] });

/** The success body of a route that keeps attempts: it names its nodes. */
export interface NamedNodesBody {
  nodes: ReadonlyArray<{ nodeId: string; machineCode: string }>;
}

/**
 * The codes an outcome's answer tells the node, for the attempts support
 * reads (shared/domain/attempt.ts). A success keeps only its nodes' names:
 * nothing else of its body (tokens) is copied.
 */
export function answeredCauses(outcome: Outcome<NamedNodesBody>): AnsweredCauses {
  switch (outcome.kind) {
    case 'succeeded':
      return {
        result: 'success',
        overall: [],
        nodes: outcome.body.nodes.map(({ nodeId, machineCode }) => ({ nodeId, machineCode, causes: [] })),
      };
    case 'refused':
      return {
        result: 'failure',
        overall: outcome.overall.map((cause) => cause.code),
        nodes: shownNodes(outcome).map(({ nodeId, machineCode, causes }) => ({
          nodeId: nodeId ?? null,
          machineCode: machineCode ?? null,
          causes,
        })),
      };
    case 'throttled':
      return FALLBACK_ANSWERED;
  }
}
