import assert from 'node:assert/strict';
import type { Certificate } from './account';
import type { NodeCode } from './causes';
import {
  nodeFailures,
  nodeRangeCauses,
  registrationAccountCauses,
  unbindingAccountCauses,
  verificationAccountCauses,
  type NodeFacts,
} from './check-registration';
import { certificateFixture, domainPatterns, ipRanges } from './test-fixtures';

const NOW = new Date('2026-06-15T12:00:00.000Z');

const NODE: NodeFacts = { ip: '203.0.113.7', domain: 'report.acme.com', appName: 'webroot' };

/** A certificate whose ranges admit NODE alone. */
const RANGED = certificateFixture({
  allowedIps: ipRanges('203.0.113.0/24'),
  allowedDomains: domainPatterns('*.acme.com'),
  allowedAppNames: ['webroot'],
});

describe('registrationAccountCauses', () => {
  it('gives no cause for an active account with a matching, unexpired certificate', () => {
    assert.deepEqual(registrationAccountCauses(certificateFixture(), '11.0.3', NOW), []);
  });

  it('gives VERSION_MISMATCH with the certified and the local version', () => {
    assert.deepEqual(registrationAccountCauses(certificateFixture(), '10.0', NOW), [
      { code: 'VERSION_MISMATCH', details: { certifiedVersion: '11.0', localVersion: '10.0' } },
    ]);
  });

  for (const status of ['frozen', 'disabled'] as const) {
    it(`gives ABNORMAL_ACCOUNT_STATUS with the status of a ${status} account`, () => {
      assert.deepEqual(registrationAccountCauses(certificateFixture({ status }), '11.0', NOW), [
        { code: 'ABNORMAL_ACCOUNT_STATUS', details: { status } },
      ]);
    });
  }

  it('gives EXPIRED_CERTIFICATE with the expiration date as YYYY/MM/DD', () => {
    assert.deepEqual(registrationAccountCauses(certificateFixture({ expiresAt: '2019-02-22' }), '11.0', NOW), [
      { code: 'EXPIRED_CERTIFICATE', details: { expirationDate: '2019/02/22' } },
    ]);
  });

  it('gives no cause on the last day of the certificate', () => {
    assert.deepEqual(
      registrationAccountCauses(certificateFixture({ expiresAt: '2026-06-15' }), '11.0', new Date('2026-06-15T23:59:59.999Z')),
      [],
    );
  });

  it('lists every overall cause that applies, in table order', () => {
    const causes = registrationAccountCauses(certificateFixture({ status: 'disabled', expiresAt: '2019-02-22' }), '11.01', NOW);
    assert.deepEqual(causes, [
      { code: 'VERSION_MISMATCH', details: { certifiedVersion: '11.0', localVersion: '11.01' } },
      { code: 'ABNORMAL_ACCOUNT_STATUS', details: { status: 'disabled' } },
      { code: 'EXPIRED_CERTIFICATE', details: { expirationDate: '2019/02/22' } },
    ]);
  });

  it('lists status and expiry together without a version cause when the version matches', () => {
    const causes = registrationAccountCauses(certificateFixture({ status: 'frozen', expiresAt: '2026-06-14' }), '11.0.3', NOW);
    assert.deepEqual(
      causes.map((cause) => cause.code),
      ['ABNORMAL_ACCOUNT_STATUS', 'EXPIRED_CERTIFICATE'],
    );
  });

  it('ignores the ranges: they are node causes', () => {
    assert.deepEqual(registrationAccountCauses(certificateFixture({ allowedAppNames: ['other'] }), '11.0', NOW), []);
  });
});

describe('verificationAccountCauses', () => {
  it('gives no cause for an active account with an unexpired certificate', () => {
    assert.deepEqual(verificationAccountCauses(certificateFixture(), NOW), []);
  });

  it('never gives VERSION_MISMATCH: a heartbeat carries no version', () => {
    assert.deepEqual(verificationAccountCauses(certificateFixture({ version: '99.9' }), NOW), []);
  });

  it('gives ABNORMAL_ACCOUNT_STATUS with the status', () => {
    assert.deepEqual(verificationAccountCauses(certificateFixture({ status: 'frozen' }), NOW), [
      { code: 'ABNORMAL_ACCOUNT_STATUS', details: { status: 'frozen' } },
    ]);
  });

  it('gives EXPIRED_CERTIFICATE with the expiration date as YYYY/MM/DD', () => {
    assert.deepEqual(verificationAccountCauses(certificateFixture({ expiresAt: '2026-06-14' }), NOW), [
      { code: 'EXPIRED_CERTIFICATE', details: { expirationDate: '2026/06/14' } },
    ]);
  });

  it('lists status and expiry together, in table order', () => {
    assert.deepEqual(verificationAccountCauses({ status: 'disabled', expiresAt: '2019-02-22' }, NOW), [
      { code: 'ABNORMAL_ACCOUNT_STATUS', details: { status: 'disabled' } },
      { code: 'EXPIRED_CERTIFICATE', details: { expirationDate: '2019/02/22' } },
    ]);
  });
});

describe('unbindingAccountCauses', () => {
  it('gives no cause for an active account', () => {
    assert.deepEqual(unbindingAccountCauses(certificateFixture(), NOW), []);
  });

  it('gives ABNORMAL_ACCOUNT_STATUS with the status', () => {
    assert.deepEqual(unbindingAccountCauses(certificateFixture({ status: 'disabled' }), NOW), [
      { code: 'ABNORMAL_ACCOUNT_STATUS', details: { status: 'disabled' } },
    ]);
  });

  it('lets an expired certificate unbind: only the status applies', () => {
    assert.deepEqual(unbindingAccountCauses(certificateFixture({ expiresAt: '2019-02-22' }), NOW), []);
  });

  it('gives the status alone for a frozen account with an expired certificate', () => {
    assert.deepEqual(unbindingAccountCauses(certificateFixture({ status: 'frozen', expiresAt: '2019-02-22', version: '1.0' }), NOW), [
      { code: 'ABNORMAL_ACCOUNT_STATUS', details: { status: 'frozen' } },
    ]);
  });
});

describe('nodeRangeCauses', () => {
  const cases: ReadonlyArray<{ why: string; certificate: Certificate; node: NodeFacts; causes: NodeCode[] }> = [
    { why: 'gives nothing when every list is empty', certificate: certificateFixture(), node: NODE, causes: [] },
    { why: 'gives nothing for a node inside every range', certificate: RANGED, node: NODE, causes: [] },
    {
      why: 'gives IP_NOT_ALLOWED for an address outside the IP ranges',
      certificate: RANGED,
      node: { ...NODE, ip: '198.51.100.7' },
      causes: ['IP_NOT_ALLOWED'],
    },
    {
      why: 'gives DOMAIN_NOT_ALLOWED for a name outside the domain ranges',
      certificate: RANGED,
      node: { ...NODE, domain: 'report.other.com' },
      causes: ['DOMAIN_NOT_ALLOWED'],
    },
    {
      why: 'gives DOMAIN_NOT_ALLOWED for a node without a domain against a non-empty list',
      certificate: RANGED,
      node: { ip: NODE.ip, appName: NODE.appName },
      causes: ['DOMAIN_NOT_ALLOWED'],
    },
    {
      why: 'gives nothing for a node without a domain when the domain list is empty',
      certificate: certificateFixture({ allowedIps: RANGED.allowedIps, allowedAppNames: RANGED.allowedAppNames }),
      node: { ip: NODE.ip, domain: undefined, appName: NODE.appName },
      causes: [],
    },
    {
      why: 'gives APP_NAME_NOT_ALLOWED for an app name not listed',
      certificate: RANGED,
      node: { ...NODE, appName: 'other' },
      causes: ['APP_NAME_NOT_ALLOWED'],
    },
    {
      why: 'lists both IP and domain for a node outside both (display rule 1)',
      certificate: RANGED,
      node: { ...NODE, ip: '198.51.100.7', domain: 'report.other.com' },
      causes: ['IP_NOT_ALLOWED', 'DOMAIN_NOT_ALLOWED'],
    },
    {
      why: 'lists all three range causes, in table order, for a node outside every range',
      certificate: RANGED,
      node: { ip: '2001:db8::1', domain: 'acme.com', appName: 'WEBROOT' },
      causes: ['IP_NOT_ALLOWED', 'DOMAIN_NOT_ALLOWED', 'APP_NAME_NOT_ALLOWED'],
    },
  ];

  for (const { why, certificate: cert, node, causes } of cases) {
    it(why, () => {
      assert.deepEqual(nodeRangeCauses(cert, node), causes);
    });
  }
});

describe('nodeFailures', () => {
  it('leaves out every node when no node has a cause', () => {
    assert.deepEqual(nodeFailures([[], [], []], []), []);
  });

  it('keeps the range causes of each node, by request index', () => {
    assert.deepEqual(nodeFailures([[], ['IP_NOT_ALLOWED', 'DOMAIN_NOT_ALLOWED'], [], ['APP_NAME_NOT_ALLOWED']], []), [
      { index: 1, causes: ['IP_NOT_ALLOWED', 'DOMAIN_NOT_ALLOWED'] },
      { index: 3, causes: ['APP_NAME_NOT_ALLOWED'] },
    ]);
  });

  it('gives MAX_AUTHORIZATIONS_REACHED to each overflowing node', () => {
    assert.deepEqual(nodeFailures([[], [], []], [1, 2]), [
      { index: 1, causes: ['MAX_AUTHORIZATIONS_REACHED'] },
      { index: 2, causes: ['MAX_AUTHORIZATIONS_REACHED'] },
    ]);
  });

  it('joins range causes and seat overflow on one node, in table order (display rule 3)', () => {
    assert.deepEqual(nodeFailures([['APP_NAME_NOT_ALLOWED', 'IP_NOT_ALLOWED']], [0]), [
      { index: 0, causes: ['IP_NOT_ALLOWED', 'APP_NAME_NOT_ALLOWED', 'MAX_AUTHORIZATIONS_REACHED'] },
    ]);
  });

  it('mixes nodes with range causes, overflow, both and neither', () => {
    assert.deepEqual(nodeFailures([['DOMAIN_NOT_ALLOWED'], [], ['IP_NOT_ALLOWED'], []], [2, 3]), [
      { index: 0, causes: ['DOMAIN_NOT_ALLOWED'] },
      { index: 2, causes: ['IP_NOT_ALLOWED', 'MAX_AUTHORIZATIONS_REACHED'] },
      { index: 3, causes: ['MAX_AUTHORIZATIONS_REACHED'] },
    ]);
  });
});
