import type { AnsweredCauses, AttemptKind, AttemptSubject } from '#shared/domain/attempt';
import { FALLBACK_ANSWERED, answeredCauses, type NamedNodesBody, type Outcome } from '#shared/domain/outcome';
import { requestIdOf } from '#shared/http/request-id';
import type { AttemptWriter } from '#shared/storage/mysql/attempt-writer';
import type { HttpRequest, HttpResponse } from '#shared/http/node-http';
import type { SourceAddresses } from '#shared/http/source-address';

/**
 * One request's attempt, filled in as it runs: the use case reports the
 * account it resolved, the route the answer it sent. Only an answer to an
 * existing account is recorded; a request that never got as far as the
 * password check (bad body, throttled) or named no account leaves nothing.
 */
export interface PendingAttempt<Result> {
  /** For the use case (use-cases/caller.ts). */
  readonly onAccount: (subject: AttemptSubject) => void;
  answered(outcome: Outcome<Result>, status: number): void;
  /** The request threw: the error handler answers the fallback cause with HTTP 500. */
  failed(): void;
}

export interface AttemptRecording<Result> {
  start(req: HttpRequest, res: HttpResponse): PendingAttempt<Result>;
}

export function recordAttempts(
  kind: AttemptKind,
  writer: Pick<AttemptWriter, 'record'>,
  options: { now: () => Date; sourceAddresses: SourceAddresses },
): AttemptRecording<NamedNodesBody> {
  const { now, sourceAddresses } = options;
  return {
    start(req, res) {
      let subject: AttemptSubject | undefined;
      const record = (of: AttemptSubject, answered: AnsweredCauses, status: number) =>
        writer.record({ ...of, ...answered, kind, status, at: now(), sourceAddress: sourceAddresses.of(req), requestId: requestIdOf(res) });
      return {
        onAccount: (resolved) => {
          subject = resolved;
        },
        answered: (outcome, status) => {
          if (subject) record(subject, answeredCauses(outcome), status);
        },
        failed: () => {
          if (subject) record(subject, FALLBACK_ANSWERED, 500);
        },
      };
    },
  };
}
