import { describeForCommandLine } from '#shared/domain/account-settings';
import { toAccountJson, toBindingJson } from './account-view';
import { createAccount, listAccounts, showAccount, updateAccount } from './commands/accounts';
import { listAudit } from './commands/audit';
import { releaseBinding } from './commands/bindings';
import { createStaffMember } from './commands/staff';
import type { Applied } from './commands/publish-change';
import type { Invocation } from './command-line';
import type { AdminDeps } from './deps';

/**
 * Runs one invocation's use case and says what the CLI is to print and how it
 * exits: 0 done; 1 refused by the stores' state, or done but not fully
 * propagated (warnings); 2 a value the rules refuse.
 */
export interface Report {
  exitCode: 0 | 1 | 2;
  /** Printed as JSON on stdout. */
  output?: unknown;
  /** Printed one per line on stderr, each starting with `error:` or `warning:`. */
  messages: string[];
}

function refused(exitCode: 1 | 2, ...errors: string[]): Report {
  return { exitCode, messages: errors.map((error) => `error: ${error}`) };
}

/** A committed change is always shown; a follow-up that failed still makes the exit status 1. */
function applied<T>(outcome: Applied<T>, output: unknown = outcome.value): Report {
  return { exitCode: outcome.warnings.length > 0 ? 1 : 0, output, messages: outcome.warnings.map((warning) => `warning: ${warning}`) };
}

const noAccount = (name: string) => `no account named ${JSON.stringify(name)}`;

export async function runCommand(deps: AdminDeps, invocation: Exclude<Invocation, { command: 'help' }>): Promise<Report> {
  switch (invocation.command) {
    case 'accounts:create': {
      const outcome = await createAccount(deps, invocation.input);
      if (outcome.kind === 'invalid') return refused(2, ...outcome.problems.map(describeForCommandLine));
      if (outcome.kind === 'name-taken') return refused(1, `an account named ${JSON.stringify(invocation.input.name)} already exists`);
      return applied(outcome, toAccountJson(outcome.value.record, outcome.value.used));
    }
    case 'accounts:update': {
      const outcome = await updateAccount(deps, invocation.input);
      switch (outcome.kind) {
        case 'invalid':
          return refused(2, ...outcome.problems.map(describeForCommandLine));
        case 'not-found':
          return refused(1, noAccount(invocation.input.name));
        case 'revision-mismatch':
          return refused(
            1,
            `account ${JSON.stringify(invocation.input.name)} changed meanwhile (it is at revision ${outcome.revision}): nothing was changed`,
          );
        case 'seats-below-bound':
          return refused(
            1,
            `${outcome.used} machines are bound: release ${outcome.used - outcome.requested} before lowering max-registrations to ${outcome.requested}`,
          );
        case 'applied':
          return applied(outcome, toAccountJson(outcome.value.record, outcome.value.used));
      }
      break;
    }
    case 'accounts:show': {
      const account = await showAccount(deps, invocation.input.name);
      if (!account) return refused(1, noAccount(invocation.input.name));
      const bindings = await deps.bindings.list(account.record.certificate.id);
      return {
        exitCode: 0,
        output: { ...toAccountJson(account.record, bindings.length), bindings: bindings.map(toBindingJson) },
        messages: [],
      };
    }
    case 'accounts:list':
      return { exitCode: 0, output: (await listAccounts(deps)).map(({ record, used }) => toAccountJson(record, used)), messages: [] };
    case 'bindings:release': {
      const { name, machineCode } = invocation.input;
      const outcome = await releaseBinding(deps, invocation.input);
      if (outcome.kind === 'not-found') return refused(1, noAccount(name));
      if (outcome.kind === 'not-bound')
        return refused(1, `machine ${JSON.stringify(machineCode)} is not bound to account ${JSON.stringify(name)}`);
      return applied(outcome);
    }
    case 'staff:create': {
      const { email, role, password } = invocation.input;
      const outcome = await createStaffMember(
        { staff: deps.staff, actor: deps.actor, passwords: { hash: (text) => deps.hashPassword(text) } },
        { email, role, password: password ?? '' },
      );
      if (outcome.kind === 'invalid') return refused(2, ...outcome.problems.map(describeForCommandLine));
      if (outcome.kind === 'email-taken') return refused(2, `email: a staff member with ${JSON.stringify(email)} exists`);
      return { exitCode: 0, output: { email: outcome.staff.email, role: outcome.staff.role }, messages: [] };
    }
    case 'keys:rotate': {
      if (deps.isLeaseKeyGiven)
        return refused(2, 'LEASE_SIGNING_KEY is set: processes with it sign with that key alone; change it in their environment instead');
      return { exitCode: 0, output: await deps.rotateLeaseKey(), messages: [] };
    }
    case 'audit:list': {
      const outcome = await listAudit(deps, invocation.input);
      if (outcome.kind === 'not-found') return refused(1, noAccount(invocation.input.name ?? ''));
      return { exitCode: 0, output: outcome.entries, messages: [] };
    }
  }
}
