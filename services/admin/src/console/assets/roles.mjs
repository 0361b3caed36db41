/**
 * The contract's role table (admin-contract.md, "Roles") as the actions the
 * console offers. The server enforces it whatever the page shows; this only
 * keeps the page from offering a control the server would refuse.
 */
export const ROLES = ['viewer', 'operator', 'admin'];

const OPERATOR = ['account.status', 'binding.release', 'account.password', 'token.own'];

const ALLOWED = {
  viewer: [],
  operator: OPERATOR,
  admin: [...OPERATOR, 'account.create', 'account.certificate', 'staff.manage', 'token.any', 'webhook.manage'],
};

export function can(session, action) {
  const role = session?.staff.role;
  return Object.hasOwn(ALLOWED, role) && ALLOWED[role].includes(action);
}

/** A token's role is at most its creator's. */
export function rolesUpTo(role) {
  return ROLES.slice(0, ROLES.indexOf(role) + 1);
}
