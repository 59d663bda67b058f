import { isUnitRole, type Actor } from '../../domain/actors';
import { byUrgency, inboxEntry, type InboxEntry } from '../../domain/inbox';
import type { Status } from '../../domain/item';
import { parseItem } from '../../domain/item-schema';
import { currentCalendar } from '../../lib/calendar-store';
import { today as todayOf, type Services } from '../services';
import { itemsVisibleSql } from '../visibility';

const UNIT_STATUSES: Status[] = ['assigned', 'signed', 'rectifying'];
// A binding 批示 to confirm and a proposed 通报问责 to decide can wait on an item in any state: matched on the snapshot.
const OVERSIGHT_STATUSES: Status[] = ['declined', 'arbitration', 'verifying'];
const INBOX_CANDIDATES = 500;

/**
 * What the actor owes, most urgent first: for a unit, items to sign, plan, rectify and submit
 * (its part as co-unit too); for oversight, items to reassign, rule on, verify, extensions to
 * decide and re-inspections due. The candidates come from SQL; the owed actions from the same
 * rules the workflow applies.
 */
export async function inbox(s: Services, actor: Actor): Promise<{ entries: InboxEntry[]; truncated: boolean }> {
  const today = todayOf(s);
  const statuses = isUnitRole(actor) ? UNIT_STATUSES : OVERSIGHT_STATUSES;
  const rows = await s.db.$queryRaw<Array<{ snapshot: unknown; number: string }>>`
    SELECT snapshot, number FROM items
    WHERE ${itemsVisibleSql(actor)} AND (
      status = ANY(${statuses}::text[])
      OR (status IN ('signed', 'rectifying') AND jsonb_path_exists(snapshot, '$.extensions[*] ? (!exists(@.decision))'))
      OR (status = 'closed' AND snapshot #>> '{deadlines,reinspection,state}' = 'due')
      OR (status <> 'withdrawn' AND jsonb_path_exists(snapshot, '$.instructions[*] ? (@.binding == true && !exists(@.acknowledged))'))
      OR (status <> 'withdrawn' AND jsonb_path_exists(snapshot, '$.deadlines.fired[*] ? (@.action == "accountability")')))
    ORDER BY coalesce(deadline_date, due_date), id
    LIMIT ${INBOX_CANDIDATES + 1}`;
  const truncated = rows.length > INBOX_CANDIDATES;
  // Each candidate is read as an Item (its co-parts, extensions, deadlines): parsed, not cast.
  const items = rows.slice(0, INBOX_CANDIDATES).map((r) => parseItem(r.snapshot));
  const returned = items.filter((i) => i.returnCount > 0).map((i) => i.id);
  const reasons = returned.length
    ? await s.db.$queryRaw<Array<{ item_id: string; reasons: string }>>`
        SELECT DISTINCT ON (item_id) item_id, payload->>'reasons' AS reasons FROM item_events
        WHERE item_id = ANY(${returned}::text[]) AND action = 'verifyReturn' ORDER BY item_id, seq DESC`
    : [];
  const lastReturn = new Map(reasons.map((r) => [r.item_id, r.reasons]));
  const cal = await currentCalendar(s.db);
  const numbers = new Map(rows.map((r, i) => [items[i]?.id, r.number]));
  const entries = items.flatMap((item) => {
    const entry = inboxEntry(item, actor, cal, today, lastReturn.get(item.id) ?? null);
    return entry ? [{ ...entry, number: numbers.get(item.id) }] : [];
  });
  return { entries: entries.sort(byUrgency), truncated };
}
