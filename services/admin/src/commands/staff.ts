import type { FieldProblem } from '#shared/domain/account-settings';
import { isStaffEmail, type StaffRole } from '#shared/domain/staff';
import type { StaffDirectory, StaffRecord } from '#shared/storage/mysql/staff';
import { passwordProblems } from '../account-input';
import type { Origin } from './accounts';

/** Creating a staff member, for the command line (`staff:create`, the first admin) and the staff API alike. */
export type CreateStaffOutcome =
  { kind: 'created'; staff: StaffRecord } | { kind: 'invalid'; problems: FieldProblem[] } | { kind: 'email-taken' };

/**
 * Staff passwords guard every customer, so they have a floor a customer's
 * lacks: NIST SP 800-63B's 8 characters for a chosen secret. The contract
 * sets none, so it is the common floor a first admin's password will meet.
 */
const MIN_STAFF_PASSWORD = 8;

export async function createStaffMember(
  deps: { staff: StaffDirectory; actor: string; passwords: { hash(password: string): Promise<string> } },
  input: { email: string; role: StaffRole; password: string } & Origin,
): Promise<CreateStaffOutcome> {
  const problems: FieldProblem[] = [
    ...(isStaffEmail(input.email) ? [] : [{ field: 'email', message: 'an email address of at most 254 characters' }]),
    ...passwordProblems(input.password),
    ...(Array.from(input.password).length >= MIN_STAFF_PASSWORD
      ? []
      : [{ field: 'password', message: `at least ${MIN_STAFF_PASSWORD} characters` }]),
  ];
  if (problems.length > 0) return { kind: 'invalid', problems };
  const staff = await deps.staff.create(
    { email: input.email, role: input.role, passwordHash: await deps.passwords.hash(input.password) },
    {
      actor: deps.actor,
      action: 'staff.create',
      details: { email: input.email, role: input.role },
      before: null,
      after: { email: input.email, role: input.role },
      sourceAddress: input.sourceAddress ?? null,
      requestId: input.requestId ?? null,
    },
  );
  return staff ? { kind: 'created', staff } : { kind: 'email-taken' };
}
