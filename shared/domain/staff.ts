/**
 * Staff roles and what each may do (admin contract, "Roles"), as data: one
 * table of action → the lowest role allowed, checked in one place by the
 * staff service and walked whole by its tests.
 */
export const STAFF_ROLES = ['viewer', 'operator', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

const RANK: Record<StaffRole, number> = { viewer: 0, operator: 1, admin: 2 };

export const PERMISSIONS = {
  read: 'viewer',
  'account.status': 'operator',
  'binding.release': 'operator',
  'account.password': 'operator',
  'token.own': 'operator',
  'account.create': 'admin',
  'account.edit': 'admin',
  'staff.manage': 'admin',
  'token.any': 'admin',
  'webhook.manage': 'admin',
} as const satisfies Record<string, StaffRole>;

export type StaffAction = keyof typeof PERMISSIONS;

export function isAllowed(role: StaffRole, action: StaffAction): boolean {
  return RANK[role] >= RANK[PERMISSIONS[action]];
}

export function isRoleAtMost(role: StaffRole, ceiling: StaffRole): boolean {
  return RANK[role] <= RANK[ceiling];
}

/** A token acts with the lower of its own role and its creator's current one. */
export function lowerRole(a: StaffRole, b: StaffRole): StaffRole {
  return RANK[a] <= RANK[b] ? a : b;
}

/** Of an account's fields, only `status` is an operator's to change; the rest are an admin's. */
export function actionForAccountChange(fields: readonly string[]): StaffAction {
  return fields.every((field) => field === 'status') ? 'account.status' : 'account.edit';
}

/** Loose on purpose (RFC 5321 allows much): one @, no spaces, a dot in the domain, at most 254 characters. */
export function isStaffEmail(text: string): boolean {
  return text.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text);
}
