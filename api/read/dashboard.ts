import type { Actor } from '../../domain/actors';
import { addDays } from '../../domain/calendar';
import { STATUS_LABELS, STATUSES } from '../../domain/item';
import { LIGHTS } from '../../domain/policy';
import { loadUnitLabels } from '../../lib/unit-names';
import { today as todayOf, type Services } from '../services';
import { itemsVisibleSql } from '../visibility';

const TREND_WEEKS = 12;

/** Monday of the week a date falls in (weeks as 督查 reports count them). */
function mondayOf(date: string): string {
  const dow = (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;
  return addDays(date, -dow);
}

/**
 * The supervisor's overview: items by status and light, overdue items by lead unit, and the
 * weekly trend of items opened and closed. Four aggregate queries, whatever the number of items.
 */
export async function dashboard(s: Services, actor: Actor) {
  const today = todayOf(s);
  const vis = itemsVisibleSql(actor);
  const firstWeek = addDays(mondayOf(today), -7 * (TREND_WEEKS - 1));
  const since = new Date(`${firstWeek}T00:00:00+08:00`);
  const [counts, overdueRows, opened, closed, [attention], labels] = await Promise.all([
    s.db.$queryRaw<Array<{ status: string; light: string; overdue: boolean; n: number }>>`
      SELECT status, light, (status NOT IN ('closed', 'withdrawn') AND due_date < ${today}) AS overdue, count(*)::int AS n
      FROM items WHERE ${vis} GROUP BY 1, 2, 3`,
    s.db.$queryRaw<Array<{ unit_id: string; name: string | null; n: number; worst: string }>>`
      SELECT i.lead_unit_id AS unit_id, u.name, count(*)::int AS n, min(i.due_date) AS worst
      FROM items i LEFT JOIN units u ON u.id = i.lead_unit_id
      WHERE ${vis} AND i.status NOT IN ('closed', 'withdrawn') AND i.due_date < ${today}
      GROUP BY 1, 2 ORDER BY n DESC, unit_id LIMIT 15`,
    s.db.$queryRaw<Array<{ week: string; n: number }>>`
      SELECT to_char(date_trunc('week', created_at AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD') AS week, count(*)::int AS n
      FROM items WHERE ${vis} AND created_at >= ${since} GROUP BY 1`,
    s.db.$queryRaw<Array<{ week: string; n: number }>>`
      SELECT to_char(date_trunc('week', closed_at AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD') AS week, count(*)::int AS n
      FROM items WHERE ${vis} AND status = 'closed' AND closed_at >= ${since} GROUP BY 1`,
    s.db.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM items WHERE ${vis} AND attention IS NOT NULL`,
    loadUnitLabels(s.db),
  ]);

  const byStatus = new Map<string, number>();
  const byLight = new Map<string, number>(LIGHTS.map((l) => [l, 0]));
  let total = 0;
  let open = 0;
  let overdue = 0;
  for (const r of counts) {
    total += r.n;
    byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + r.n);
    if (r.status === 'closed' || r.status === 'withdrawn') continue;
    open += r.n;
    byLight.set(r.light, (byLight.get(r.light) ?? 0) + r.n);
    if (r.overdue) overdue += r.n;
  }
  const weeks = Array.from({ length: TREND_WEEKS }, (_, i) => addDays(firstWeek, 7 * i));
  const openedBy = new Map(opened.map((r) => [r.week, r.n]));
  const closedBy = new Map(closed.map((r) => [r.week, r.n]));
  const closedCount = byStatus.get('closed') ?? 0;
  return {
    today,
    total,
    open,
    overdue,
    closed: closedCount,
    /** Items whose writes failed past their attempt limit and are being retried on a timer. */
    attention: attention?.n ?? 0,
    closureRate: total === 0 ? null : closedCount / total,
    byStatus: STATUSES.map((status) => ({ status, label: STATUS_LABELS[status], count: byStatus.get(status) ?? 0 })),
    byLight: LIGHTS.map((light) => ({ light, count: byLight.get(light) ?? 0 })),
    overdueByUnit: overdueRows.map((r) => ({
      unitId: r.unit_id,
      // Qualified by its parent's name where another unit bears the same name.
      unitName: labels.get(r.unit_id) ?? r.name ?? r.unit_id,
      count: r.n,
      earliestDue: r.worst,
    })),
    trend: weeks.map((week) => ({ week, opened: openedBy.get(week) ?? 0, closed: closedBy.get(week) ?? 0 })),
  };
}
