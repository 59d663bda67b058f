import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../api/app';
import type { Actor } from '../../domain/actors';
import { shiftWorkingDays, shanghaiDate } from '../../domain/calendar';
import { overdueWorkingDays } from '../../domain/deadlines';
import { RUNG_ACTIONS } from '../../domain/policy';
import { calendarOf, shippedYears } from '../../lib/calendar-store';
import type { Db } from '../../lib/db';
import { itemWorkflowId } from '../../workflows/ids';
import { itemQuery } from '../../workflows/messages';
import { leadA, supervisor } from '../support/actors';
import { open } from '../support/items';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { uniqueTaskQueue, type TemporalHandles } from '../support/stack';
import { waitFor } from '../support/wait';

let stack: ApiStack;
let t: TemporalHandles;
let db: Db;
let app: App;
const taskQueue = uniqueTaskQueue('deadlines');
const admin: Actor = { userId: 'u-admin', name: '管理员', role: 'admin', unitId: null };
const cal = calendarOf(shippedYears());

beforeAll(async () => {
  stack = await startApiStack(taskQueue);
  ({ t, db, app } = stack);
});

afterAll(() => stack?.close());

async function create(title: string, dueDate: string): Promise<string> {
  // The API refuses a due date before the next working day (issue 16): an item already overdue is
  // opened straight on its workflow, as items opened before that check still run.
  if (dueDate < shiftWorkingDays(cal, shanghaiDate(Date.now()), 1).date)
    return (await open(t.client, taskQueue, { title, dueDate, category: 'other' })).id;
  const res = await app.inject({
    method: 'POST',
    url: '/api/items',
    headers: bearer(supervisor),
    payload: { title, leadUnitId: 'unit-a', dueDate },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().item.id;
}

const list = async (query: string, actor: Actor = supervisor) =>
  (await app.inject({ method: 'GET', url: `/api/items?${query}`, headers: bearer(actor) })).json();

describe('lights and overdue working days through the API', () => {
  it('lists by light and by overdue working days, as the workflows decided', async () => {
    const today = shanghaiDate(Date.now());
    const redDue = shiftWorkingDays(cal, today, -15).date;
    const yellowDue = shiftWorkingDays(cal, today, -1).date;
    const red = await create('逾期很久的问题', redDue);
    const yellow = await create('刚刚逾期的问题', yellowDue);
    const green = await create('未到期的问题', shiftWorkingDays(cal, today, 20).date);
    // Rungs already past fire as soon as the item starts.
    await waitFor(async () => (await db.item.findUniqueOrThrow({ where: { id: red } })).light === 'red', 15_000);
    await waitFor(async () => (await db.item.findUniqueOrThrow({ where: { id: yellow } })).light === 'yellow', 15_000);
    for (const [id, light] of [
      [red, 'red'],
      [yellow, 'yellow'],
      [green, 'green'],
    ] as const) {
      const state = await t.client.workflow.getHandle(itemWorkflowId(id)).query(itemQuery);
      expect(state.deadlines?.light).toBe(light);
    }
    expect((await list('light=red')).items.map((i: { id: string }) => i.id)).toEqual([red]);
    expect((await list('light=yellow,green&sort=dueDate')).items.map((i: { id: string }) => i.id)).toEqual([
      yellow,
      green,
    ]);
    // On a weekend the item due last Friday is overdue, by 0 working days so far.
    const overdue = await list('overdue=true&sort=-overdueDays');
    expect(overdue.items.map((i: { id: string; overdueWorkingDays: number }) => [i.id, i.overdueWorkingDays])).toEqual([
      [red, overdueWorkingDays(cal, redDue, today)],
      [yellow, overdueWorkingDays(cal, yellowDue, today)],
    ]);
    expect(overdueWorkingDays(cal, redDue, today)).toBeGreaterThanOrEqual(14);
    expect((await list('minOverdueDays=10')).items.map((i: { id: string }) => i.id)).toEqual([red]);
    const timeline = (await app.inject({ method: 'GET', url: `/api/items/${red}`, headers: bearer(supervisor) })).json()
      .timeline;
    expect(
      timeline
        .filter((e: { action: string }) => e.action === 'escalate')
        .map((e: { actionLabel: string }) => e.actionLabel),
    ).toEqual([
      // What the system did and to whom (no co-units on this item: none named).
      '到期提醒（已发牵头单位承办人）',
      '催办提醒（已发牵头单位承办人、牵头单位负责人）',
      '红灯预警（已发牵头单位负责人，已报督查室）',
      '约谈提醒（已发牵头单位负责人，已报督查室）',
      '建议通报问责（已报督查室、领导）',
    ]);
    expect(
      await db.notificationRequest.count({
        where: { subjectKind: 'item', subjectId: red, kind: { in: [...RUNG_ACTIONS] } },
      }),
    ).toBe(5);
    expect(
      await db.notificationRequest.count({ where: { subjectKind: 'item', subjectId: red, kind: 'assigned' } }),
    ).toBe(1);
  });

  it('flags a deadline in a year the calendar does not know, warns the supervisor, and lets the operator add the year', async () => {
    const id = await create('跨年度事项', '2031-06-30');
    await waitFor(async () => (await db.item.findUnique({ where: { id } }))?.calendarWarning === true, 15_000);
    const warning = await db.notificationRequest.findFirstOrThrow({
      where: { subjectKind: 'item', subjectId: id, kind: 'calendar_unknown' },
    });
    expect(warning).toMatchObject({ targets: ['supervisor'], payload: { year: '2031' } });

    const year = {
      source: '国务院办公厅通知（测试）',
      holidays: [{ date: '2031-10-01', name: '国庆节' }],
      workdays: [{ date: '2031-09-27', name: '国庆节调休上班' }],
    };
    expect(
      (await app.inject({ method: 'PUT', url: '/api/calendar/2031', headers: bearer(supervisor), payload: year }))
        .statusCode,
    ).toBe(403);
    const bad = await app.inject({
      method: 'PUT',
      url: '/api/calendar/2031',
      headers: bearer(admin),
      payload: { ...year, holidays: [{ date: '2030-10-01', name: 'x' }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().fields[0].field).toBe('body.holidays.0.date');
    // A date that does not parse at all was a 500 (the check threw): now 400 naming it, on both routes.
    for (const [method, url] of [
      ['PUT', '/api/calendar/2031'],
      ['POST', '/api/calendar/2031/impact'],
    ] as const) {
      const malformed = await app.inject({
        method,
        url,
        headers: bearer(admin),
        payload: { ...year, holidays: [{ date: '2031-13-01', name: 'x' }] },
      });
      expect(malformed.statusCode, malformed.body).toBe(400);
      expect(malformed.json().fields[0]).toMatchObject({ field: 'body.holidays.0.date', reason: '日期不存在' });
    }
    const before = (await app.inject({ method: 'GET', url: '/api/calendar', headers: bearer(leadA) })).json().version;
    const ok = await app.inject({ method: 'PUT', url: '/api/calendar/2031', headers: bearer(admin), payload: year });
    expect(ok.statusCode, ok.body).toBe(200);
    const after = (await app.inject({ method: 'GET', url: '/api/calendar', headers: bearer(leadA) })).json();
    expect(after.version).not.toBe(before);
    expect(after.years['2031']).toEqual({ holidays: ['2031-10-01'], workdays: ['2031-09-27'] });
    // A new item due then is computed with the year's data: no warning.
    const later = await create('跨年度事项（日历已补充）', '2031-06-30');
    const state = await t.client.workflow.getHandle(itemWorkflowId(later)).query(itemQuery);
    expect(state.deadlines?.unknownYears).toEqual([]);
  });

  it('keeps policies as versioned data', async () => {
    const policy = {
      id: 'inspection-urgent',
      signDays: 1,
      planDays: 3,
      progressEveryDays: 5,
      reinspectAfterDays: 0,
      workdayEnd: '17:30',
      ladder: [{ key: 'closure-urge', step: 'closure', offset: 0, action: 'urge', targets: ['handler'] }],
    };
    const first = await app.inject({
      method: 'PUT',
      url: '/api/policies/inspection/urgent',
      headers: bearer(admin),
      payload: policy,
    });
    expect(first.json()).toMatchObject({ version: 1 });
    const second = await app.inject({
      method: 'PUT',
      url: '/api/policies/inspection/urgent',
      headers: bearer(admin),
      payload: { ...policy, signDays: 2 },
    });
    expect(second.json()).toMatchObject({ version: 2 });
    const res = await app.inject({
      method: 'POST',
      url: '/api/items',
      headers: bearer(supervisor),
      payload: {
        title: '紧急督查事项',
        leadUnitId: 'unit-a',
        dueDate: DUE,
        category: 'inspection',
        priority: 'urgent',
      },
    });
    expect(res.json().item.deadlines.policy).toMatchObject({
      id: 'inspection-urgent',
      version: 2,
      signDays: 2,
      workdayEnd: '17:30',
    });
    const bad = await app.inject({
      method: 'PUT',
      url: '/api/policies/inspection/urgent',
      headers: bearer(admin),
      payload: { ...policy, workdayEnd: '25:00' },
    });
    expect(bad.statusCode).toBe(400);
  });
});
