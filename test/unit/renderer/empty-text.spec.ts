import { describe, expect, it } from 'vitest';
import { RUN_STATUSES } from '../../../src/shared/events';
import { NEVER_RECORDED, emptyText } from '../../../src/renderer/src/lib/empty-text';

describe('empty panel text', () => {
  it('promises data only while the run can still produce it', () => {
    const waiting = 'No data yet';
    const says = Object.fromEntries(RUN_STATUSES.map((s) => [s, emptyText(s, waiting)]));
    expect(says).toEqual({
      queued: waiting,
      running: waiting,
      paused: waiting,
      completed: NEVER_RECORDED,
      failed: NEVER_RECORDED,
      cancelled: NEVER_RECORDED,
    });
    expect(emptyText(undefined, waiting)).toBe(waiting);
  });
});
