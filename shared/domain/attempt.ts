import type { FALLBACK_CAUSE, NodeCode, OverallCode } from './causes';

/**
 * What a node was answered to a registration or an unbinding of a known
 * account, kept for support (admin contract, "Shapes" → attempt): the codes
 * of the answer, never its body (a success's body holds tokens) nor the
 * request's password.
 */
export const ATTEMPT_KINDS = ['registration', 'unbinding'] as const;
export type AttemptKind = (typeof ATTEMPT_KINDS)[number];

/** An answer's overall codes: the contract's, or the fallback cause (HTTP 500, 429). */
export type AnsweredCode = OverallCode | typeof FALLBACK_CAUSE.code;

export interface AttemptNode {
  /** As the answer named the node; null where it did not (never, for registrations and unbindings). */
  nodeId: string | null;
  machineCode: string | null;
  causes: NodeCode[];
}

/** The codes of one answer; a success lists its nodes with no causes. */
export interface AnsweredCauses {
  result: 'success' | 'failure';
  overall: AnsweredCode[];
  nodes: AttemptNode[];
}

/** An attempt in exactly the admin contract's JSON shape. */
export interface Attempt extends AnsweredCauses {
  /** ISO 8601, UTC. */
  at: string;
  kind: AttemptKind;
  /** The HTTP status of the answer. */
  status: number;
  sourceAddress: string;
  /** The `x-request-id` the answer carried. */
  requestId: string;
}

/**
 * Whose attempt an answer was: the existing account the request named and
 * whether its password matched. Retention keeps the two sets of an account
 * apart, so a flood of wrong passwords never pushes out the answers support
 * needs.
 */
export interface AttemptSubject {
  accountId: number;
  hasPassedCredentials: boolean;
}

/** One attempt as it is recorded. */
export interface AttemptRecord extends Omit<Attempt, 'at'>, AttemptSubject {
  at: Date;
}
