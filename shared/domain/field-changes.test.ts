import { strict as assert } from 'node:assert';
import { fieldChanges } from './field-changes';

describe('fieldChanges', () => {
  it('lists only the fields whose value moved, with both sides', () => {
    const result = fieldChanges({ role: 'viewer', disabled: false }, { role: 'admin', disabled: false });
    assert.deepEqual(result, { changes: { role: { from: 'viewer', to: 'admin' } }, before: { role: 'viewer' }, after: { role: 'admin' } });
  });

  it('compares lists by value, so an equal list is no change', () => {
    assert.deepEqual(fieldChanges({ allowedIps: ['10.0.0.0/8'] }, { allowedIps: ['10.0.0.0/8'] }).changes, {});
    assert.deepEqual(fieldChanges({ allowedIps: ['10.0.0.0/8'] }, { allowedIps: [] }).after, { allowedIps: [] });
  });

  it('reads a field missing before as undefined', () => {
    assert.deepEqual(fieldChanges({}, { disabled: true }).changes, { disabled: { from: undefined, to: true } });
  });
});
