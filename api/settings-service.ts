/** The operator's data: a year of the calendar, a deadline policy. Each is used from then on, no code change. */
import type { Actor } from '../domain/actors';
import { parseItem } from '../domain/item-schema';
import { calendarImpact } from '../domain/ladder';
import type { CalendarYear } from '../domain/calendar';
import { PolicySchema, type Policy } from '../domain/policy';
import type { Prisma } from '../generated/prisma/client';
import { calendarChanged, calendarOf, calendarYears } from '../lib/calendar-store';
import { policiesChanged } from '../lib/policies';
import { calendarRolloutWorkflow } from '../workflows/calendar-rollout';
import { calendarRolloutWorkflowId } from '../workflows/ids';
import { AppError, badRequest, notFound, withTemporal, type FieldError } from './errors';
import type { Services } from './services';
import { officeSettingsView } from './read/settings';

/** A year as the operator sends it: its dates, where they come from, and the impact report it was checked against. */
export type CalendarYearBody = CalendarYear & { source: string; impactVersion?: string | undefined };

/** Each date in the year, none both a holiday and a working day: else 400 naming each. */
export function checkCalendarYear(year: number, { holidays, workdays }: CalendarYear): void {
  const errors: FieldError[] = [];
  holidays.forEach(
    (h, i) =>
      !h.date.startsWith(`${year}-`) && errors.push({ field: `body.holidays.${i}.date`, reason: `不属于 ${year} 年` }),
  );
  workdays.forEach(
    (w, i) =>
      !w.date.startsWith(`${year}-`) && errors.push({ field: `body.workdays.${i}.date`, reason: `不属于 ${year} 年` }),
  );
  const both = holidays.filter((h) => workdays.some((w) => w.date === h.date));
  both.forEach((h) => errors.push({ field: 'body.workdays', reason: `${h.date} 不能既是假日又是调休工作日` }));
  if (errors.length) throw badRequest(errors);
}

/** The calendar in force and the one it would be with `year` as given. */
export async function calendarChange(s: Services, year: number, days: CalendarYear) {
  const years = await calendarYears(s.db);
  const { holidays, workdays } = days;
  return { from: calendarOf(years), to: calendarOf({ ...years, [year]: { holidays, workdays } }) };
}

/**
 * A year's holidays and working weekends, saved, then rolled out to every item still counting
 * deadlines (workflows/calendar-rollout.ts): each recomputes its pending dates and records the
 * change. With `impactVersion` (the impact report's proposed version), refused when the calendar
 * that would result is no longer the one the report was about. When Temporal cannot be reached
 * the year is saved and the answer is 503: the same request again starts the rollout.
 */
export async function saveCalendarYear(s: Services, actor: Actor, year: number, body: CalendarYearBody) {
  checkCalendarYear(year, body);
  const { to } = await calendarChange(s, year, body);
  if (body.impactVersion !== undefined && body.impactVersion !== to.version)
    throw new AppError(409, 'conflict', '日历已有变化，影响报告已过期：请重新查看影响报告后再应用', {
      reason: 'impact_outdated',
    });
  const { holidays, workdays, source } = body;
  const data = {
    holidays: holidays as unknown as Prisma.InputJsonValue,
    workdays: workdays as unknown as Prisma.InputJsonValue,
    source,
    updatedBy: actor.userId,
  };
  await s.db.calendarYear.upsert({
    where: { year },
    create: { year, ...data },
    update: { ...data, updatedAt: new Date() },
  });
  calendarChanged();
  return { version: to.version, year, rolloutWorkflowId: await rollOut(s, to.version) };
}

/**
 * What saving `year` as given would do, changing nothing: every item still counting deadlines
 * whose deadlines, rungs, 回头看, light or unknown years would move, and by how much. Its
 * `versionProposed` is what the save's `impactVersion` is checked against.
 */
export async function calendarImpactReport(s: Services, year: number, days: CalendarYear) {
  checkCalendarYear(year, days);
  const { from, to } = await calendarChange(s, year, days);
  const now = s.now?.() ?? Date.now();
  const rows = await s.db.item.findMany({
    where: {
      OR: [
        { status: { notIn: ['closed', 'withdrawn'] } },
        { status: 'closed', snapshot: { path: ['deadlines', 'reinspection', 'state'], equals: 'scheduled' } },
      ],
    },
    select: { snapshot: true },
    orderBy: { id: 'asc' },
  });
  const items = rows.flatMap((r) => calendarImpact(parseItem(r.snapshot), from, to, now) ?? []);
  return {
    year,
    versionNow: from.version,
    versionProposed: to.version,
    itemsChecked: rows.length,
    itemsAffected: items.length,
    items,
  };
}

/** Starts the rollout of a calendar version (one per version: starting it again is the same rollout). */
async function rollOut(s: Services, version: string): Promise<string> {
  const workflowId = calendarRolloutWorkflowId(version);
  try {
    await withTemporal(s, () =>
      s.temporal.workflow.start(calendarRolloutWorkflow, {
        taskQueue: s.taskQueue,
        workflowId,
        args: [{ version, after: null }],
      }),
    );
  } catch (err) {
    if (!(err instanceof AppError && err.extra.reason === 'already_exists')) throw err;
  }
  return workflowId;
}

/** A new version of the policy for a category and priority (`*` for any); items opened before keep theirs. */
export async function savePolicy<C extends string, P extends string>(
  s: Services,
  actor: Actor,
  category: C,
  priority: P,
  body: Omit<Policy, 'version'>,
) {
  const existing = await s.db.deadlinePolicy.findUnique({ where: { category_priority: { category, priority } } });
  const version = (existing?.version ?? 0) + 1;
  const policy = PolicySchema.parse({ ...body, version });
  await s.db.deadlinePolicy.upsert({
    where: { category_priority: { category, priority } },
    create: {
      category,
      priority,
      version,
      policy: policy as unknown as Prisma.InputJsonValue,
      updatedBy: actor.userId,
    },
    update: {
      version,
      policy: policy as unknown as Prisma.InputJsonValue,
      updatedBy: actor.userId,
      updatedAt: new Date(),
      deletedAt: null,
      deletedBy: null,
    },
  });
  policiesChanged();
  return { category, priority, version, policy };
}

/**
 * Removes the override for a category and priority: items opened from now on get the next most
 * specific policy (in the end the shipped default); items already opened keep theirs. The row is
 * kept, marked removed, so the override's version goes on if it is set again and the record of
 * it stays (the request itself is in the audit log).
 */
export async function deletePolicy<C extends string, P extends string>(
  s: Services,
  actor: Actor,
  category: C,
  priority: P,
) {
  const deletedAt = new Date();
  const removed = await s.db.deadlinePolicy.updateManyAndReturn({
    where: { category, priority, deletedAt: null },
    data: { deletedAt, deletedBy: actor.userId },
  });
  policiesChanged();
  if (removed.length === 0)
    throw notFound(`没有类别为“${category}”、优先级为“${priority}”的覆盖规则（系统默认规则不可删除）`);
  return {
    category,
    priority,
    version: removed[0]!.version,
    deletedBy: actor.userId,
    deletedAt: deletedAt.toISOString(),
  };
}

/** The office's settings as an administrator sets them; the prefix is taken by items opened from then on. */
export async function saveOfficeSettings(
  s: Services,
  actor: Actor,
  body: { numberPrefix: string; officeName: string },
) {
  const data = { ...body, updatedBy: actor.userId, updatedAt: new Date() };
  const row = await s.db.officeSettings.upsert({ where: { id: 1 }, create: { id: 1, ...data }, update: data });
  return officeSettingsView(row);
}
