/** The operator's data: a year of the calendar, a deadline policy. Each is used from then on, no code change. */
import type { Actor } from '../domain/actors';
import type { CalendarYear } from '../domain/calendar';
import { PolicySchema, type Policy } from '../domain/policy';
import type { Prisma } from '../generated/prisma/client';
import { currentCalendar } from '../lib/calendar-store';
import { badRequest, notFound, type FieldError } from './errors';
import type { Services } from './services';

/** A year's holidays and working weekends, each date in that year and none both; answers the calendar's new version. */
export async function saveCalendarYear(
  s: Services,
  actor: Actor,
  year: number,
  { holidays, workdays, source }: CalendarYear & { source: string },
) {
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
  await s.db.calendarYear.upsert({
    where: { year },
    create: {
      year,
      holidays: holidays as unknown as Prisma.InputJsonValue,
      workdays: workdays as unknown as Prisma.InputJsonValue,
      source,
      updatedBy: actor.userId,
    },
    update: {
      holidays: holidays as unknown as Prisma.InputJsonValue,
      workdays: workdays as unknown as Prisma.InputJsonValue,
      source,
      updatedBy: actor.userId,
      updatedAt: new Date(),
    },
  });
  return { version: (await currentCalendar(s.db)).version, year };
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
