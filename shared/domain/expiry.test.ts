import assert from 'node:assert/strict';
import { formatExpirationDate, isCalendarDate, isExpired } from './expiry';

describe('isExpired', () => {
  const cases: ReadonlyArray<{ now: string; expired: boolean; why: string }> = [
    { now: '2026-02-21T12:00:00.000Z', expired: false, why: 'the day before' },
    { now: '2026-02-22T00:00:00.000Z', expired: false, why: 'the first instant of the day' },
    { now: '2026-02-22T12:00:00.000Z', expired: false, why: 'midday on the day' },
    { now: '2026-02-22T23:59:59.999Z', expired: false, why: 'the last millisecond of the day, UTC' },
    { now: '2026-02-23T00:00:00.000Z', expired: true, why: 'the first instant of the next day, UTC' },
    { now: '2026-02-23T01:00:00.000+02:00', expired: false, why: 'the next day in a zone east of UTC while still the day in UTC' },
    { now: '2026-02-22T20:00:00.000-05:00', expired: true, why: 'the day in a zone west of UTC once UTC has moved to the next day' },
    { now: '2027-01-01T00:00:00.000Z', expired: true, why: 'a later year' },
  ];

  for (const { now, expired, why } of cases) {
    it(`${expired ? 'is expired' : 'is not expired'} at ${why} (${now}) for a certificate valid through 2026-02-22`, () => {
      assert.equal(isExpired('2026-02-22', new Date(now)), expired);
    });
  }

  it('counts the end of a year through its last millisecond', () => {
    assert.equal(isExpired('2026-12-31', new Date('2026-12-31T23:59:59.999Z')), false);
    assert.equal(isExpired('2026-12-31', new Date('2027-01-01T00:00:00.000Z')), true);
  });

  it('counts 29 February of a leap year as a whole day', () => {
    assert.equal(isExpired('2028-02-29', new Date('2028-02-29T23:59:59.999Z')), false);
    assert.equal(isExpired('2028-02-29', new Date('2028-03-01T00:00:00.000Z')), true);
  });
});

describe('isCalendarDate', () => {
  const cases: ReadonlyArray<{ text: string; valid: boolean; why: string }> = [
    { text: '2026-02-22', valid: true, why: 'an ordinary date' },
    { text: '2028-02-29', valid: true, why: '29 February of a leap year' },
    { text: '2000-02-29', valid: true, why: '29 February of a year divisible by 400' },
    { text: '2026-12-31', valid: true, why: 'the last day of a year' },
    { text: '2026-02-30', valid: false, why: 'a day that February never has' },
    { text: '2026-02-29', valid: false, why: '29 February of a common year' },
    { text: '1900-02-29', valid: false, why: '29 February of a century year not divisible by 400' },
    { text: '2026-04-31', valid: false, why: '31 April' },
    { text: '2026-13-01', valid: false, why: 'a thirteenth month' },
    { text: '2026-00-10', valid: false, why: 'month zero' },
    { text: '2026-01-00', valid: false, why: 'day zero' },
    { text: '2026-1-1', valid: false, why: 'unpadded month and day' },
    { text: '26-01-01', valid: false, why: 'a two-digit year' },
    { text: '2026/01/01', valid: false, why: 'slashes instead of dashes' },
    { text: '2026-01-01T00:00:00Z', valid: false, why: 'a timestamp instead of a date' },
    { text: ' 2026-01-01', valid: false, why: 'surrounding space' },
    { text: '', valid: false, why: 'an empty string' },
  ];

  for (const { text, valid, why } of cases) {
    it(`${valid ? 'accepts' : 'rejects'} ${why} (${JSON.stringify(text)})`, () => {
      assert.equal(isCalendarDate(text), valid);
    });
  }
});

describe('formatExpirationDate', () => {
  it('shows a date as the product page does, YYYY/MM/DD', () => {
    assert.equal(formatExpirationDate('2019-02-22'), '2019/02/22');
  });

  it('keeps leading zeros of month and day', () => {
    assert.equal(formatExpirationDate('2026-01-05'), '2026/01/05');
  });
});
