import assert from 'node:assert/strict';
import { SILENT_LAST_SEEN_SECONDS, SILENT_RELEASE_INTERVAL_SECONDS, lastSeenEverySeconds, silentReleaseDueAt } from './silent-release';

describe('silent-seat release', function () {
  const t0 = 1_800_000_000;

  it('counts silence from the later of the last contact and the setting, never before the unrecorded heartbeats could have come', function () {
    assert.equal(silentReleaseDueAt({ registeredAt: t0, lastSeen: 0, settingSince: t0 - 500 }, 60), t0 + 60);
    assert.equal(
      silentReleaseDueAt({ registeredAt: t0, lastSeen: t0 + 100, settingSince: t0 }, 60),
      t0 + 100 + SILENT_LAST_SEEN_SECONDS + 60,
    );
    assert.equal(silentReleaseDueAt({ registeredAt: t0, lastSeen: t0 + 100, settingSince: t0 + 1_000 }, 60), t0 + 1_060);
  });

  it('never releases a node that sends something every half period, and releases a silent one within 30 s after the period', function () {
    for (const period of [60, 61, 90, 600, 86_400]) {
      const half = Math.floor(period / 2);
      // Worst case for the node: its heartbeat at t was not recorded, the one recorded is recordEvery - 1 older.
      for (let t = t0; t < t0 + 4 * period; t += half) {
        const recorded = t - (SILENT_LAST_SEEN_SECONDS - 1);
        const due = silentReleaseDueAt({ registeredAt: t0, lastSeen: recorded, settingSince: t0 }, period);
        assert.ok(due > t + half, `period ${String(period)}: a node heard at ${String(t)} is still bound at its next heartbeat`);
      }
      // A node silent since t0 + 1 whose last heartbeat was recorded exactly.
      const due = silentReleaseDueAt({ registeredAt: t0, lastSeen: t0 + 1, settingSince: t0 }, period);
      assert.ok(due >= t0 + 1 + period, 'never early');
      assert.ok(due + SILENT_RELEASE_INTERVAL_SECONDS <= t0 + 1 + period + 30, 'within 30 s after the period, job interval included');
    }
  });

  it('records last-seen more often only for accounts that release silent seats', function () {
    assert.equal(lastSeenEverySeconds(null), 0);
    assert.equal(lastSeenEverySeconds(3600), SILENT_LAST_SEEN_SECONDS);
  });
});
