/**
 * Responses are written by fast-json-stringify compiled from the routes' zod schemas
 * (api/contract.ts): the same bytes zod's parse and JSON.stringify wrote, nothing the schema
 * has dropped (nulls, optional fields, records, unknown payloads), what it does not have left out.
 */
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ErrorBody, responseSerializerCompiler } from '../../api/contract';
import { ItemDetail, ItemPage } from '../../api/routes/items.schemas';

const route = (schema: z.ZodType) => ({ schema, method: 'GET', url: '/api/x', httpStatus: '200' });
const both = (schema: z.ZodType) => ({
  fast: responseSerializerCompiler(route(schema)) as (d: unknown) => string,
  zod: zodSerializerCompiler(route(schema) as never) as (d: unknown) => string,
});

const actor = { userId: 'u1', name: '张三', role: 'supervisor', unitId: null };
const clock = {
  step: 'closure',
  epoch: 1,
  start: '2026-11-02',
  deadline: '2026-11-30',
  dueAt: 1,
  state: 'running',
  left: null,
  calendarVersion: 'v1',
  heldOn: 'dropped: not in the view',
};
const item = (deadlines: unknown, extra: Record<string, unknown> = {}) => ({
  number: '督〔2026〕1号',
  id: 'I1',
  title: '标题 "引号" \\ 与换行\n',
  description: '',
  category: 'inspection',
  priority: 'normal',
  source: '',
  problemListId: null,
  leadUnitId: 'unit-a',
  coParts: [{ unitId: 'unit-b', state: 'signed', reports: 2 }],
  dueDate: '2026-11-30',
  createdAt: '2026-11-01T00:00:00.000Z',
  createdBy: { ...actor, jurisdiction: ['dropped'] },
  updatedAt: '2026-11-01T00:00:00.000Z',
  seq: 3,
  declines: [],
  ownerRuled: false,
  returnCount: 0,
  relapseCount: 0,
  extensions: [{ requestedDueDate: '2026-12-01', reason: 'r', requestedBy: 'u', requestedAt: 'a' }],
  plan: null,
  progressReports: 0,
  deadlines,
  status: 'signed',
  statusLabel: '已签收',
  deadlineDate: '2026-11-30',
  light: 'green',
  calendarWarning: false,
  closedLateWorkingDays: null,
  overdue: false,
  holdingUp: [],
  allowedActions: ['urge'],
  blockedActions: [{ action: 'verifyPass', label: '通过', reason: '配合单位未办结', openCoUnits: ['unit-b'] }],
  instructions: [],
  initials: [],
  accountabilityDecisions: [],
  resumeTo: undefined,
  internal: 'dropped: not in the schema',
  ...extra,
});
export const deadlinesSample = {
  policy: null,
  calendarVersion: 'v1',
  clocks: { closure: clock, plan: { ...clock, step: 'plan', left: 3.5 } },
  fired: [],
  pauses: [{ from: '2026-11-03', to: null }],
  light: 'yellow',
  unknownYears: [],
  assignedOn: '2026-11-02',
  signedOn: null,
};

describe('responses serialised from their schemas', () => {
  it('writes an item page exactly as zod did: nulls, records, optional fields, unknown payloads', () => {
    const { fast, zod } = both(ItemDetail);
    const policy = z.toJSONSchema(ItemDetail, { io: 'output' }) as { properties: Record<string, unknown> };
    expect(policy.properties.item).toBeDefined();
    for (const d of [null]) {
      for (const extra of [{}, { urges: [], reason: '挂起', resumeTo: 'signed', closedAt: 'x', number: undefined }]) {
        const body = {
          item: item(d, extra),
          attention: d ? { reason: 'db down', since: null } : null,
          timeline: [
            {
              seq: 1,
              action: 'create',
              actionLabel: '立项交办',
              fromStatus: null,
              toStatus: 'assigned',
              actor: { ...actor, role: 'system', roleLabel: '系统', system: true, extra: 1 },
              at: '2026-11-01T00:00:00.000Z',
              payload: { text: '意见', nested: { a: [1, null, '二'] }, n: 1.5 },
              attachments: [],
            },
            {
              seq: 2,
              action: 'x',
              actionLabel: 'y',
              fromStatus: 'a',
              toStatus: 'b',
              actor: { ...actor, roleLabel: '督查', system: false },
              at: 'z',
              payload: null,
              attachments: [],
            },
          ],
        };
        expect(fast(body)).toBe(zod(body));
      }
    }
  });

  it('writes a list page and an error body exactly as zod did', () => {
    const page = both(ItemPage);
    const row = {
      id: 'I1',
      number: '督〔2026〕1号',
      title: 't',
      category: 'c',
      priority: 'p',
      status: 'closed',
      statusLabel: '已办结',
      leadUnitId: 'u',
      coUnitIds: ['a', 'b'],
      dueDate: '2026-01-01',
      deadlineDate: null,
      light: 'red',
      calendarWarning: true,
      closedLateWorkingDays: 0,
      attention: null,
      declineCount: 0,
      returnCount: 2,
      problemListId: null,
      createdAt: 'c',
      updatedAt: 'u',
      overdue: false,
      overdueWorkingDays: 0,
      sourceCode: 'zicha',
      selfFound: true,
      commonality: 'common',
      domainCode: null,
      tags: ['夜市', '占道'],
    };
    const body = { total: 1, page: 1, pageSize: 20, items: [row, { ...row, deadlineDate: '2026-02-01', x: 1 }] };
    expect(page.fast(body)).toBe(page.zod(body));
    const error = both(ErrorBody);
    for (const e of [
      { error: 'conflict', message: '当前状态为“已签收”', state: 'signed', allowedActions: [], other: 1 },
      { error: 'bad_request', message: '参数有误', fields: [{ field: 'title', reason: '必填' }] },
    ])
      expect(error.fast(e)).toBe(error.zod(e));
  });
});
