/** The working-day calendar and the deadline policies as they stand. */
import type { CATEGORIES, PRIORITIES } from '../../domain/commands';
import { DEFAULT_POLICY, type Policy } from '../../domain/policy';
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
 * The policies as an administrator needs to see them: the shipped default first (in force unless
 * a `*`/`*` override replaces it), then every override in force. Rows are written only by
 * `savePolicy` (settings-service.ts), from checked parameters and a policy PolicySchema parsed;
 * the route's serialiser checks them again on the way out. Removed overrides are not listed.
 */
export async function listPolicies(s: Services) {
  const rows = await s.db.deadlinePolicy.findMany({
    where: { deletedAt: null },
    orderBy: [{ category: 'asc' }, { priority: 'asc' }],
  });
  const overrides = rows.map((p) => ({
    kind: 'override' as const,
    kindLabel: '覆盖规则',
    category: p.category as (typeof CATEGORIES)[number] | '*',
    priority: p.priority as (typeof PRIORITIES)[number] | '*',
    version: p.version,
    policy: p.policy as unknown as Policy,
    inForce: true,
    updatedBy: p.updatedBy,
    updatedAt: p.updatedAt.toISOString(),
  }));
  const shipped = {
    kind: 'default' as const,
    kindLabel: '系统默认',
    category: '*' as const,
    priority: '*' as const,
    version: DEFAULT_POLICY.version,
    policy: DEFAULT_POLICY,
    inForce: !rows.some((p) => p.category === '*' && p.priority === '*'),
    updatedBy: null,
    updatedAt: null,
  };
  return [shipped, ...overrides];
}

/** The office's settings: the 督办编号's prefix and the name printed on its 督办单. */
export function officeSettingsView(row: {
  numberPrefix: string;
  officeName: string;
  updatedBy: string | null;
  updatedAt: Date;
}) {
  return {
    numberPrefix: row.numberPrefix,
    officeName: row.officeName,
    updatedBy: row.updatedBy,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The row the migration inserted; the defaults if it was ever removed. */
export async function officeSettings(s: Services) {
  const row = await s.db.officeSettings.findUnique({ where: { id: 1 } });
  return officeSettingsView(
    row ?? { numberPrefix: '督', officeName: '督查室', updatedBy: null, updatedAt: new Date(0) },
  );
}
