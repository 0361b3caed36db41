import assert from 'node:assert/strict';
import { actionForAccountChange, isAllowed, isStaffEmail, lowerRole, PERMISSIONS, STAFF_ROLES, type StaffAction } from './staff';

describe('staff roles', function () {
  const expected: Record<StaffAction, readonly string[]> = {
    read: ['viewer', 'operator', 'admin'],
    'account.status': ['operator', 'admin'],
    'binding.release': ['operator', 'admin'],
    'account.password': ['operator', 'admin'],
    'token.own': ['operator', 'admin'],
    'account.create': ['admin'],
    'account.edit': ['admin'],
    'staff.manage': ['admin'],
    'token.any': ['admin'],
    'webhook.manage': ['admin'],
  };

  for (const action of Object.keys(PERMISSIONS) as StaffAction[]) {
    it(`lets exactly ${expected[action].join(', ')} ${action}`, function () {
      assert.deepEqual(
        STAFF_ROLES.filter((role) => isAllowed(role, action)),
        expected[action],
      );
    });
  }

  it('acts a token with the lower of two roles', function () {
    assert.equal(lowerRole('admin', 'viewer'), 'viewer');
    assert.equal(lowerRole('operator', 'admin'), 'operator');
  });

  it('asks an admin for any account field but status', function () {
    assert.equal(actionForAccountChange(['status']), 'account.status');
    assert.equal(actionForAccountChange(['status', 'version']), 'account.edit');
    assert.equal(actionForAccountChange(['allowedIps']), 'account.edit');
  });

  it('takes plausible emails only', function () {
    assert.ok(isStaffEmail('ops@vendor.example'));
    for (const bad of ['', 'ops', 'ops@vendor', 'o ps@vendor.example', `${'a'.repeat(250)}@v.example`]) assert.ok(!isStaffEmail(bad), bad);
  });
});
