/** The working-day calendar and the deadline policies as they stand. */
import type { CATEGORIES, PRIORITIES } from '../../domain/commands';
import type { Policy } from '../../domain/policy';
import { currentCalendar, shippedYears } from '../../lib/calendar-store';
import type { Services } from '../services';

/** The calendar in force: the shipped years, the operator's corrections, and its version. */
export async function calendarView(s: Services) {
  const cal = await currentCalendar(s.db);
  const operator = await s.db.calendarYear.findMany({ orderBy: { year: 'asc' } });
  return {
    version: cal.version,
    shippedYears: Object.keys(shippedYears()).sort(),
    operatorYears: operator.map((r) => ({
      year: r.year,
      source: r.source,
      updatedBy: r.updatedBy,
      updatedAt: r.updatedAt.toISOString(),
    })),
    years: cal.years,
  };
}

/**
 * Every policy row. Rows are written only by `savePolicy` (settings-service.ts), from checked
 * parameters and a policy PolicySchema parsed; the route's serialiser checks them again on the way out.
 */
export async function listPolicies(s: Services) {
  return (await s.db.deadlinePolicy.findMany({ orderBy: [{ category: 'asc' }, { priority: 'asc' }] })).map((p) => ({
    ...p,
    category: p.category as (typeof CATEGORIES)[number] | '*',
    priority: p.priority as (typeof PRIORITIES)[number] | '*',
    policy: p.policy as unknown as Policy,
    updatedAt: p.updatedAt.toISOString(),
  }));
}
