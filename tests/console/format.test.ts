import { describe, expect, it } from 'vitest';
import { dateTime } from '../../console/src/format';

/**
 * Issue 17's outside try: the item page, the list and the calendar page showed times in the
 * browser's zone (a UTC browser showed 22:43 where the message centre said 06:43 the next day).
 * This process runs in UTC, as such a browser would.
 */
describe('dateTime', () => {
  it('shows an instant in Asia/Shanghai whatever the zone it runs in', () => {
    expect(dateTime('2026-11-27T22:43:00.000Z')).toBe('2026-11-28 06:43');
    expect(dateTime('2026-12-31T16:00:00Z')).toBe('2027-01-01 00:00');
  });
});
