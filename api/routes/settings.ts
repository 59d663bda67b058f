import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CalendarYearSchema } from '../../domain/calendar';
import { PolicySchema } from '../../domain/policy';
import { CATEGORIES, PRIORITIES } from '../../domain/commands';
import { calendarView, listPolicies, officeSettings } from '../read/settings';
import { isWholeTreeSupervisor, type Actor } from '../../domain/actors';
import { forbidden } from '../errors';
import type { Services } from '../services';
import {
  calendarImpactReport,
  deletePolicy,
  saveCalendarYear,
  saveOfficeSettings,
  savePolicy,
} from '../settings-service';
import {
  CalendarImpactResponse,
  CalendarResponse,
  CalendarYearSaved,
  OfficeSettingsBody,
  OfficeSettingsResponse,
  PoliciesResponse,
  PolicyDeleted,
  PolicySaved,
} from './settings.schemas';

/**
 * Rules apply to every unit, so among supervisors only one whose jurisdiction is the whole tree
 * may change them ("authorised supervisor"); a district's supervisor is refused. The role table
 * (`rules.manage`) has already let the caller in.
 */
export function assertRulesAuthority(actor: Actor): void {
  if (actor.role === 'supervisor' && !isWholeTreeSupervisor(actor))
    throw forbidden('只有管辖全部单位的督查专员可以修改规则，区县督查专员无此权限');
}

const YearParams = z.object({
  year: z
    .string()
    .regex(/^20\d{2}$/, '年份应为 2000 至 2099 之间的四位数字')
    .transform(Number),
});

/** The working-day calendar and the deadline policies: data the operator maintains, no code change. */
export const settingsRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/calendar',
    {
      config: { permission: 'signedIn' },
      schema: { summary: '工作日历（法定节假日与调休）', tags: ['settings'], response: { 200: CalendarResponse } },
    },
    async () => calendarView(services),
  );

  app.put(
    '/api/calendar/:year',
    {
      config: { permission: 'settings.write' },
      schema: {
        summary: '新增或更正一年的节假日安排',
        tags: ['settings'],
        params: YearParams,
        body: CalendarYearSchema.extend({
          source: z.string().trim().min(1).max(200),
          impactVersion: z.string().max(64).optional().describe('所看影响报告的 versionProposed'),
        }),
        response: { 200: CalendarYearSaved },
      },
    },
    async (request) => saveCalendarYear(services, request.actor, request.params.year, request.body),
  );

  app.post(
    '/api/calendar/:year/impact',
    {
      config: { permission: 'settings.write' },
      schema: {
        summary: '预览一年节假日安排变更对在办事项的影响（不作修改）',
        tags: ['settings'],
        params: YearParams,
        body: CalendarYearSchema.extend({ source: z.string().trim().max(200).optional() }),
        response: { 200: CalendarImpactResponse },
      },
    },
    async (request) => calendarImpactReport(services, request.params.year, request.body),
  );

  app.get(
    '/api/policies',
    {
      config: { permission: 'settings.read' },
      schema: { summary: '期限与催办规则', tags: ['settings'], response: { 200: PoliciesResponse } },
    },
    async () => ({ policies: await listPolicies(services) }),
  );

  app.put(
    '/api/policies/:category/:priority',
    {
      config: { permission: 'rules.manage' },
      schema: {
        summary: '设置某类别、优先级的期限与催办规则（新版本只用于此后立项的事项）',
        tags: ['settings'],
        params: z.object({ category: z.enum([...CATEGORIES, '*']), priority: z.enum([...PRIORITIES, '*']) }),
        body: PolicySchema.omit({ version: true }),
        response: { 200: PolicySaved },
      },
    },
    async (request) => {
      assertRulesAuthority(request.actor);
      return savePolicy(services, request.actor, request.params.category, request.params.priority, request.body);
    },
  );

  app.delete(
    '/api/policies/:category/:priority',
    {
      config: { permission: 'rules.manage' },
      schema: {
        summary: '删除某类别、优先级的覆盖规则（此后立项的事项改用次具体的规则或系统默认规则）',
        tags: ['settings'],
        params: z.object({ category: z.enum([...CATEGORIES, '*']), priority: z.enum([...PRIORITIES, '*']) }),
        response: { 200: PolicyDeleted },
      },
    },
    async (request) => {
      assertRulesAuthority(request.actor);
      return deletePolicy(services, request.actor, request.params.category, request.params.priority);
    },
  );

  app.get(
    '/api/office-settings',
    {
      config: { permission: 'signedIn' },
      schema: {
        summary: '督查室设置（督办编号前缀、督办单抬头）',
        tags: ['settings'],
        response: { 200: OfficeSettingsResponse },
      },
    },
    async () => officeSettings(services),
  );

  app.put(
    '/api/office-settings',
    {
      config: { permission: 'settings.write' },
      schema: {
        summary: '修改督查室设置（新的编号前缀只用于此后立项的事项）',
        tags: ['settings'],
        body: OfficeSettingsBody,
        response: { 200: OfficeSettingsResponse },
      },
    },
    async (request) => saveOfficeSettings(services, request.actor, request.body),
  );
};
