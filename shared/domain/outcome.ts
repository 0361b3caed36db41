import type { NodeCode, OverallCause } from './causes';

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
