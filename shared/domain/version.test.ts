import assert from 'node:assert/strict';
import { matchesCertifiedVersion } from './version';

describe('matchesCertifiedVersion', () => {
  const cases: ReadonlyArray<{ certified: string; local: string; matches: boolean; why: string }> = [
    { certified: '11.0', local: '11.0', matches: true, why: 'an equal version' },
    { certified: '11.0', local: '11.0.3', matches: true, why: 'a patch release of the certified version' },
    { certified: '11.0', local: '11.0.3.1', matches: true, why: 'a version extended by several components' },
    { certified: '11', local: '11.0', matches: true, why: 'a minor release of a major-only certificate' },
    { certified: '11', local: '11.5.2', matches: true, why: 'any release under a major-only certificate' },
    { certified: '11.0', local: '10.0', matches: false, why: 'an older major version' },
    { certified: '11.0', local: '11.01', matches: false, why: 'a character prefix that is not a component prefix' },
    { certified: '11.0', local: '11.1', matches: false, why: 'another minor version' },
    { certified: '11.0', local: '11', matches: false, why: 'a shorter version than the certified one' },
    { certified: '11', local: '110', matches: false, why: 'a longer number with the same leading digits' },
    { certified: '11.0', local: '11.0-beta', matches: false, why: 'a suffix that is not a dotted component' },
    { certified: '11.0', local: 'v11.0', matches: false, why: 'a prefixed version' },
    { certified: '11.0', local: '', matches: false, why: 'an empty version' },
  ];

  for (const { certified, local, matches, why } of cases) {
    it(`${matches ? 'matches' : 'does not match'} ${why} (${JSON.stringify(local)} against ${JSON.stringify(certified)})`, () => {
      assert.equal(matchesCertifiedVersion(certified, local), matches);
    });
  }
});
