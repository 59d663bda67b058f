import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../api/app';
import type { Actor } from '../../domain/actors';
import { calendarOf, shippedYears } from '../../lib/calendar-store';
import { addDays, dayInfo, shanghaiDate, shiftWorkingDays, type Calendar } from '../../domain/calendar';
import { RUNG_ACTIONS } from '../../domain/policy';
import type { Db } from '../../lib/db';
import { itemWorkflowId } from '../../workflows/ids';
import { itemQuery } from '../../workflows/messages';
import { leadA, supervisor } from '../support/actors';
import { bearer, dbFingerprint, startApiStack, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { uniqueTaskQueue, type TemporalHandles } from '../support/stack';

/** Issue 16, problem 2: a due date before the next working day is refused; working days are answered with their date; backdated imports send nothing from before them. */
let stack: ApiStack;
let t: TemporalHandles;
let db: Db;
let app: App;
const taskQueue = uniqueTaskQueue('due-dates');
const shipped = calendarOf(shippedYears());

beforeAll(async () => {
  stack = await startApiStack(taskQueue);
  ({ t, db, app } = stack);
});

afterAll(() => stack?.close());

const post = (url: string, actor: Actor, payload: unknown) =>
  app.inject({ method: 'POST', url, headers: bearer(actor), payload: payload as object });
const today = () => shanghaiDate(Date.now());
const item = (extra: Record<string, unknown>) => ({ title: '期限测试事项', leadUnitId: 'unit-a', ...extra });

async function until<T>(fn: () => Promise<T | null | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const started = async () => (await t.client.workflow.count(`TaskQueue = "${taskQueue}"`)).count;

describe('due dates on opening an item', () => {
  it('refuses a past due date, and today, with 400 naming dueDate in Chinese; nothing stored, no workflow started', async () => {
    const first = await post('/api/items', supervisor, item({ dueDate: shiftWorkingDays(shipped, today(), 10).date }));
    expect(first.statusCode, first.body).toBe(201);
    const before = await until(async () => {
      const n = await started();
      return n >= 1 ? n : null;
    });
    const fingerprint = await dbFingerprint(db);
    const earliest = shiftWorkingDays(shipped, today(), 1).date;
    for (const dueDate of ['2026-11-10', addDays(today(), -1), today()]) {
      const res = await post('/api/items', supervisor, item({ dueDate }));
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().fields).toEqual([
        { field: 'body.dueDate', reason: `截止日期不能早于下一个工作日 ${earliest}` },
      ]);
      expect(res.json().message).toBe(`截止日期有误：截止日期不能早于下一个工作日 ${earliest}`);
    }
    // A rest day before the next working day is refused too; the next working day itself is accepted.
    for (let d = addDays(today(), 1); d < earliest; d = addDays(d, 1)) {
      expect(dayInfo(shipped, d).working).toBe(false);
      expect((await post('/api/items', supervisor, item({ dueDate: d }))).statusCode).toBe(400);
    }
    expect(await dbFingerprint(db)).toBe(fingerprint);
    // Neither, both, or a silly number of working days: 400 as well, naming the field.
    const neither = await post('/api/items', supervisor, item({}));
    expect(neither.statusCode).toBe(400);
    expect(neither.json().fields[0].field).toBe('body.dueDate');
    const both = await post('/api/items', supervisor, item({ dueDate: DUE, dueInWorkingDays: 5 }));
    expect(both.json().fields).toEqual([{ field: 'body.dueDate', reason: '截止日期与工作日数只能给出其一' }]);
    for (const n of [0, 251, 2.5, '5'])
      expect((await post('/api/items', supervisor, item({ dueInWorkingDays: n }))).json().fields[0].field).toBe(
        'body.dueInWorkingDays',
      );
    expect(await dbFingerprint(db)).toBe(fingerprint);
    // A later item shows up in Temporal's visibility; the refused ones never did.
    const ok = await post('/api/items', supervisor, item({ dueDate: earliest }));
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().item.dueDate).toBe(earliest);
    await until(async () => (await started()) >= before + 1);
    expect(await started()).toBe(before + 1);
  });

  it('answers dueInWorkingDays with the date it means, across a weekend and a holiday', async () => {
    // Six working days from any day cross a weekend: a rest day lies between today and the date.
    const five = await post('/api/items', supervisor, item({ dueInWorkingDays: 6 }));
    expect(five.statusCode, five.body).toBe(201);
    const fiveDue = shiftWorkingDays(shipped, today(), 6).date;
    expect(five.json().item.dueDate).toBe(fiveDue);
    const between: string[] = [];
    for (let d = addDays(today(), 1); d < fiveDue; d = addDays(d, 1)) between.push(d);
    expect(between.filter((d) => !dayInfo(shipped, d).working).length).toBeGreaterThan(0);
    expect(between.length).toBeGreaterThan(6);
    const state = await t.client.workflow.getHandle(itemWorkflowId(five.json().item.id)).query(itemQuery);
    expect(state.dueDate).toBe(fiveDue);

    // The operator declares the second working day from now a holiday (as a State Council notice would):
    // two working days now end one working day later.
    const before = shiftWorkingDays(shipped, today(), 2).date;
    const year = before.slice(0, 4);
    const base = shippedYears()[year] ?? { holidays: [], workdays: [] };
    await db.calendarYear.upsert({
      where: { year: Number(year) },
      create: {
        year: Number(year),
        holidays: [...base.holidays, { date: before, name: '测试假日' }],
        workdays: base.workdays,
        source: 'test',
        updatedBy: 'u-admin',
      },
      update: {},
    });
    const withHoliday: Calendar = calendarOf({
      ...shippedYears(),
      [year]: { holidays: [...base.holidays, { date: before, name: '测试假日' }], workdays: base.workdays },
    });
    const expected = shiftWorkingDays(withHoliday, today(), 2).date;
    expect(expected).toBe(shiftWorkingDays(shipped, before, 1).date);
    const two = await post('/api/items', supervisor, item({ dueInWorkingDays: 2 }));
    expect(two.statusCode, two.body).toBe(201);
    expect(two.json().item.dueDate).toBe(expected);
    await db.calendarYear.delete({ where: { year: Number(year) } });
  });

  it('refuses an extension to a date before the next working day, even one later than an overdue due date', async () => {
    // An item imported overdue: the workflow alone would accept any later date, yesterday's too.
    const dueDate = shiftWorkingDays(shipped, today(), -10).date;
    const openedOn = shiftWorkingDays(shipped, today(), -30).date;
    const created = await post('/api/items', supervisor, item({ dueDate, backdated: true, openedOn }));
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().item.id as string;
    expect((await post(`/api/items/${id}/sign`, leadA, {})).statusCode).toBe(200);
    const fingerprint = await dbFingerprint(db);
    const yesterday = addDays(today(), -1);
    expect(yesterday > dueDate).toBe(true);
    const res = await post(`/api/items/${id}/requestExtension`, leadA, { dueDate: yesterday, reason: '需要时间' });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().fields).toEqual([
      { field: 'body.dueDate', reason: `截止日期不能早于下一个工作日 ${shiftWorkingDays(shipped, today(), 1).date}` },
    ]);
    expect(await dbFingerprint(db)).toBe(fingerprint);
    const later = shiftWorkingDays(shipped, today(), 10).date;
    const ok = await post(`/api/items/${id}/requestExtension`, leadA, { dueDate: later, reason: '需要时间' });
    expect(ok.statusCode, ok.body).toBe(200);
  });
});

describe('a backdated import (items that began in an older system)', () => {
  it('accepts a past due date only in that mode, and sends nothing for the rungs passed before it', async () => {
    const openedOn = shiftWorkingDays(shipped, today(), -60).date;
    const dueDate = shiftWorkingDays(shipped, today(), -15).date;
    const fingerprint = await dbFingerprint(db);
    const noMode = await post('/api/items', supervisor, item({ dueDate, openedOn }));
    expect(noMode.json().fields).toEqual([
      { field: 'body.openedOn', reason: '只有补录原系统事项（backdated: true）可以给出立项日期' },
    ]);
    const noDay = await post('/api/items', supervisor, item({ dueDate, backdated: true }));
    expect(noDay.json().fields[0].field).toBe('body.openedOn');
    const future = await post(
      '/api/items',
      supervisor,
      item({ dueDate, backdated: true, openedOn: addDays(today(), 1) }),
    );
    expect(future.json().fields[0].field).toBe('body.openedOn');
    expect((await post('/api/items', leadA, item({ dueDate, backdated: true, openedOn }))).statusCode).toBe(403);
    expect(await dbFingerprint(db)).toBe(fingerprint);

    const res = await post(
      '/api/items',
      supervisor,
      item({ title: '原系统转入的逾期事项', dueDate, backdated: true, openedOn }),
    );
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().item.id as string;
    expect(res.json().item.dueDate).toBe(dueDate);
    // Give any wrongly due rung time to fire: the workflow would have fired them at once.
    const recorded = await until(async () => (await db.item.findUnique({ where: { id } })) ?? null);
    expect(recorded.light).toBe('red');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await db.itemEvent.count({ where: { itemId: id, action: 'escalate' } })).toBe(0);
    expect(
      await db.notificationRequest.count({
        where: { subjectKind: 'item', subjectId: id, kind: { in: [...RUNG_ACTIONS] } },
      }),
    ).toBe(0);
    expect(
      await db.notificationRequest.count({ where: { subjectKind: 'item', subjectId: id, kind: 'assigned' } }),
    ).toBe(1);
    const ledger = (
      await app.inject({ method: 'GET', url: `/api/items/${id}/ledger`, headers: bearer(supervisor) })
    ).json();
    const closure = ledger.rungs.filter((r: { step: string }) => r.step === 'closure');
    expect(closure.map((r: { key: string; status: string }) => [r.key, r.status])).toEqual([
      ['closure-remind', 'not_applicable'],
      ['closure-urge', 'not_applicable'],
      ['closure-red', 'not_applicable'],
      ['closure-interview', 'not_applicable'],
      ['closure-accountability', 'not_applicable'],
    ]);
    expect(closure[0].label).toContain('不适用');
    const detail = (await app.inject({ method: 'GET', url: `/api/items/${id}`, headers: bearer(supervisor) })).json();
    expect(detail.timeline[0]).toMatchObject({ action: 'create', actionLabel: '立项交办（补录原系统事项）' });
    expect(detail.timeline[0].payload.backdated.openedOn).toBe(openedOn);
  });
});

describe('due dates in problem-list imports', () => {
  it('refuses a JSON row with a past due date, names its field, imports nothing', async () => {
    const fingerprint = await dbFingerprint(db);
    const res = await post('/api/problem-lists', supervisor, {
      title: '期限有误的清单',
      items: [item({ dueInWorkingDays: 10 }), item({ dueDate: '2026-11-10' })],
    });
    expect(res.statusCode, res.body).toBe(400);
    const fields = res.json().fields as Array<{ field: string; reason: string }>;
    expect(fields).toHaveLength(1);
    expect(fields[0]!.field).toMatch(/items.*1.*dueDate/);
    expect(fields[0]!.reason).toContain('截止日期不能早于下一个工作日');
    expect(await dbFingerprint(db)).toBe(fingerprint);
  });

  it('reads 完成时限 written as “15个工作日” in a CSV and answers with the dates', async () => {
    const csv = [
      '标题,牵头单位,完成时限',
      '问题一,unit-a,15个工作日',
      `问题二,unit-a,${shiftWorkingDays(shipped, today(), 3).date}`,
    ].join('\n');
    const res = await app.inject({
      method: 'POST',
      url: `/api/problem-lists/csv?title=${encodeURIComponent('按工作日的清单')}`,
      headers: { ...bearer(supervisor), 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(res.statusCode, res.body).toBe(201);
    const listId = res.json().id as string;
    const items = await until(async () => {
      const rows = await db.item.findMany({ where: { problemListId: listId }, orderBy: { id: 'asc' } });
      return rows.length === 2 ? rows : null;
    });
    expect(items.map((i) => i.dueDate)).toEqual([
      shiftWorkingDays(shipped, today(), 15).date,
      shiftWorkingDays(shipped, today(), 3).date,
    ]);
  });
});
