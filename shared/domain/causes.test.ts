import assert from 'node:assert/strict';
import { FALLBACK_CAUSE, NODE_CAUSES, OVERALL_CAUSES, sortNodeCodes, sortOverallCauses, type OverallCause } from './causes';

/** Copied from the contract's tables (registration-contract.md), in table order. */
const CONTRACT_OVERALL: ReadonlyArray<[code: string, message: string, status: number]> = [
  ['INCORRECT_DATA_FORMAT', 'Incorrect Data Format', 400],
  ['INCORRECT_PARAMETER', 'Incorrect Parameter', 400],
  ['UNAUTHORIZED_ACCOUNT', 'Unauthorized Account and Password', 401],
  ['VERSION_MISMATCH', 'Version Mismatch', 403],
  ['ABNORMAL_ACCOUNT_STATUS', 'Abnormal Account Status', 403],
  ['EXPIRED_CERTIFICATE', 'Expired Certificate', 403],
];

const CONTRACT_NODE: ReadonlyArray<[code: string, message: string]> = [
  ['REDIS_INSERT_FAILED', 'Error occurs when you insert data into the REDIS database.'],
  ['IP_NOT_ALLOWED', 'The IP address is not within the allowed range.'],
  ['DOMAIN_NOT_ALLOWED', 'The domain name is not within the allowed range.'],
  ['APP_NAME_NOT_ALLOWED', 'The app name is not within the allowed range.'],
  ['MYSQL_UPDATE_FAILED', 'Error occurs when you update MySQL database.'],
  ['MAX_AUTHORIZATIONS_REACHED', 'The maximum number of authorizations has been reached.'],
  ['NOT_BOUND', 'This machine is not authorized and does not need to be unbound.'],
];

describe('OVERALL_CAUSES', () => {
  it("holds exactly the contract's overall codes, in table order", () => {
    assert.deepEqual(
      Object.keys(OVERALL_CAUSES),
      CONTRACT_OVERALL.map(([code]) => code),
    );
  });

  for (const [code, message, status] of CONTRACT_OVERALL) {
    it(`gives ${code} the contract's message and HTTP ${status}`, () => {
      assert.deepEqual(OVERALL_CAUSES[code as keyof typeof OVERALL_CAUSES], { message, status });
    });
  }
});

describe('NODE_CAUSES', () => {
  it("holds exactly the contract's node codes, in table order", () => {
    assert.deepEqual(
      Object.keys(NODE_CAUSES),
      CONTRACT_NODE.map(([code]) => code),
    );
  });

  for (const [code, message] of CONTRACT_NODE) {
    it(`gives ${code} the contract's message`, () => {
      assert.equal(NODE_CAUSES[code as keyof typeof NODE_CAUSES].message, message);
    });
  }

  it('marks only the two write failures as store failures (display rule 4, HTTP 503)', () => {
    const storeFailures = Object.entries(NODE_CAUSES)
      .filter(([, cause]) => cause.isStoreFailure)
      .map(([code]) => code);
    assert.deepEqual(storeFailures, ['REDIS_INSERT_FAILED', 'MYSQL_UPDATE_FAILED']);
  });
});

describe('FALLBACK_CAUSE', () => {
  it("is the contract's one cause for every other error (display rule 5)", () => {
    assert.deepEqual(FALLBACK_CAUSE, {
      code: 'LICENSE_FILE_FORMAT_INCORRECT',
      message: 'License file format is incorrect.',
    });
  });
});

describe('sortNodeCodes', () => {
  it('orders codes as the table does', () => {
    assert.deepEqual(sortNodeCodes(['MAX_AUTHORIZATIONS_REACHED', 'APP_NAME_NOT_ALLOWED', 'IP_NOT_ALLOWED', 'DOMAIN_NOT_ALLOWED']), [
      'IP_NOT_ALLOWED',
      'DOMAIN_NOT_ALLOWED',
      'APP_NAME_NOT_ALLOWED',
      'MAX_AUTHORIZATIONS_REACHED',
    ]);
  });

  it('puts REDIS_INSERT_FAILED first and MYSQL_UPDATE_FAILED after the range causes', () => {
    assert.deepEqual(sortNodeCodes(['NOT_BOUND', 'MYSQL_UPDATE_FAILED', 'IP_NOT_ALLOWED', 'REDIS_INSERT_FAILED']), [
      'REDIS_INSERT_FAILED',
      'IP_NOT_ALLOWED',
      'MYSQL_UPDATE_FAILED',
      'NOT_BOUND',
    ]);
  });

  it('lists a repeated code once', () => {
    assert.deepEqual(sortNodeCodes(['IP_NOT_ALLOWED', 'DOMAIN_NOT_ALLOWED', 'IP_NOT_ALLOWED', 'IP_NOT_ALLOWED']), [
      'IP_NOT_ALLOWED',
      'DOMAIN_NOT_ALLOWED',
    ]);
  });

  it('gives nothing for no codes', () => {
    assert.deepEqual(sortNodeCodes([]), []);
  });

  it('accepts any iterable, such as a set', () => {
    assert.deepEqual(sortNodeCodes(new Set(['NOT_BOUND', 'IP_NOT_ALLOWED'] as const)), ['IP_NOT_ALLOWED', 'NOT_BOUND']);
  });
});

describe('sortOverallCauses', () => {
  it('orders causes as the table does and keeps their details', () => {
    const expired: OverallCause = { code: 'EXPIRED_CERTIFICATE', details: { expirationDate: '2019/02/22' } };
    const status: OverallCause = { code: 'ABNORMAL_ACCOUNT_STATUS', details: { status: 'frozen' } };
    const version: OverallCause = { code: 'VERSION_MISMATCH', details: { certifiedVersion: '11.0', localVersion: '10.0' } };
    assert.deepEqual(sortOverallCauses([expired, version, status]), [version, status, expired]);
  });

  it('orders every overall code as the table does', () => {
    const reversed = [...CONTRACT_OVERALL].reverse().map(([code]) => ({ code }) as OverallCause);
    assert.deepEqual(
      sortOverallCauses(reversed).map((cause) => cause.code),
      CONTRACT_OVERALL.map(([code]) => code),
    );
  });

  it('leaves its input untouched', () => {
    const input: OverallCause[] = [{ code: 'EXPIRED_CERTIFICATE' }, { code: 'VERSION_MISMATCH' }];
    sortOverallCauses(input);
    assert.deepEqual(input, [{ code: 'EXPIRED_CERTIFICATE' }, { code: 'VERSION_MISMATCH' }]);
  });

  it('gives nothing for no causes', () => {
    assert.deepEqual(sortOverallCauses([]), []);
  });
});
