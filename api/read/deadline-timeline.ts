import type { Actor } from '../../domain/actors';
import { deadlineTimeline } from '../../domain/deadline-timeline';
import { currentCalendar } from '../../lib/calendar-store';
import { withSpan } from '../../lib/tracing';
import { today, type Services } from '../services';
import { loadItem } from './items';

/** "Why is it red": the deadline timeline of an item the caller may see (else 404), counted with today's calendar. */
export async function itemDeadlineTimeline(s: Services, actor: Actor, id: string) {
  const item = await loadItem(s, actor, id);
  const events = await withSpan('stage timeline', {}, () =>
    s.db.itemEvent.findMany({
      where: { itemId: id },
      orderBy: { seq: 'asc' },
      select: { action: true, at: true, actorUserId: true, actorName: true },
    }),
  );
  return deadlineTimeline(
    item,
    await currentCalendar(s.db),
    today(s),
    events.map((e) => ({ ...e, at: e.at.toISOString() })),
  );
}
