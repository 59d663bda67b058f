import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CalendarYearSchema } from '../../domain/calendar';
import { PolicySchema, type Policy } from '../../domain/policy';
import { CATEGORIES, PRIORITIES } from '../../domain/commands';
import { currentCalendar, shippedYears } from '../../lib/calendar-store';
import { badRequest, type FieldError } from '../errors';
import type { Services } from '../items-service';
import type { Prisma } from '../../generated/prisma/client';
import {
  CalendarResponse,
  CalendarYearSaved,
  PoliciesResponse,
  PolicySaved,
  type PolicyCategory,
  type PolicyPriority,
} from './settings.schemas';

/** The working-day calendar and the deadline policies: data the operator maintains, no code change. */
export const settingsRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/calendar',
    {
      config: { permission: 'signedIn' },
      schema: { summary: '工作日历（法定节假日与调休）', tags: ['settings'], response: { 200: CalendarResponse } },
    },
    async () => {
      const cal = await currentCalendar(services.db);
      const operator = await services.db.calendarYear.findMany({ orderBy: { year: 'asc' } });
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
    },
  );

  app.put(
    '/api/calendar/:year',
    {
      config: { permission: 'settings.write' },
      schema: {
        summary: '新增或更正一年的节假日安排',
        tags: ['settings'],
        params: z.object({
          year: z
            .string()
            .regex(/^20\d{2}$/, '年份应为 2000 至 2099 之间的四位数字')
            .transform(Number),
        }),
        body: CalendarYearSchema.extend({ source: z.string().trim().min(1).max(200) }),
        response: { 200: CalendarYearSaved },
      },
    },
    async (request) => {
      const { year } = request.params;
      const { holidays, workdays, source } = request.body;
      const errors: FieldError[] = [];
      holidays.forEach(
        (h, i) =>
          !h.date.startsWith(`${year}-`) &&
          errors.push({ field: `body.holidays.${i}.date`, reason: `不属于 ${year} 年` }),
      );
      workdays.forEach(
        (w, i) =>
          !w.date.startsWith(`${year}-`) &&
          errors.push({ field: `body.workdays.${i}.date`, reason: `不属于 ${year} 年` }),
      );
      const both = holidays.filter((h) => workdays.some((w) => w.date === h.date));
      both.forEach((h) => errors.push({ field: 'body.workdays', reason: `${h.date} 不能既是假日又是调休工作日` }));
      if (errors.length) throw badRequest(errors);
      await services.db.calendarYear.upsert({
        where: { year },
        create: {
          year,
          holidays: holidays as unknown as Prisma.InputJsonValue,
          workdays: workdays as unknown as Prisma.InputJsonValue,
          source,
          updatedBy: request.actor.userId,
        },
        update: {
          holidays: holidays as unknown as Prisma.InputJsonValue,
          workdays: workdays as unknown as Prisma.InputJsonValue,
          source,
          updatedBy: request.actor.userId,
          updatedAt: new Date(),
        },
      });
      return { version: (await currentCalendar(services.db)).version, year };
    },
  );

  app.get(
    '/api/policies',
    {
      config: { permission: 'settings.read' },
      schema: { summary: '期限与催办规则', tags: ['settings'], response: { 200: PoliciesResponse } },
    },
    async () => ({
      // Rows are written only by the PUT below, from checked parameters and a policy PolicySchema parsed; the serialiser checks them again on the way out.
      policies: (
        await services.db.deadlinePolicy.findMany({ orderBy: [{ category: 'asc' }, { priority: 'asc' }] })
      ).map((p) => ({
        ...p,
        category: p.category as PolicyCategory,
        priority: p.priority as PolicyPriority,
        policy: p.policy as unknown as Policy,
        updatedAt: p.updatedAt.toISOString(),
      })),
    }),
  );

  app.put(
    '/api/policies/:category/:priority',
    {
      config: { permission: 'settings.write' },
      schema: {
        summary: '设置某类别、优先级的期限与催办规则（新版本只用于此后立项的事项）',
        tags: ['settings'],
        params: z.object({ category: z.enum([...CATEGORIES, '*']), priority: z.enum([...PRIORITIES, '*']) }),
        body: PolicySchema.omit({ version: true }),
        response: { 200: PolicySaved },
      },
    },
    async (request) => {
      const { category, priority } = request.params;
      const existing = await services.db.deadlinePolicy.findUnique({
        where: { category_priority: { category, priority } },
      });
      const version = (existing?.version ?? 0) + 1;
      const policy = PolicySchema.parse({ ...request.body, version });
      await services.db.deadlinePolicy.upsert({
        where: { category_priority: { category, priority } },
        create: {
          category,
          priority,
          version,
          policy: policy as unknown as Prisma.InputJsonValue,
          updatedBy: request.actor.userId,
        },
        update: {
          version,
          policy: policy as unknown as Prisma.InputJsonValue,
          updatedBy: request.actor.userId,
          updatedAt: new Date(),
        },
      });
      return { category, priority, version, policy };
    },
  );
};
