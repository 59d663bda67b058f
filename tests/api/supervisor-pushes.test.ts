/**
 * Issue 18: the supervisor's pushes. 催办 by hand (to the lead unit or named co-units, in the
 * timeline and the units' notices once, counted per unit from the event log), a 约谈 recorded with
 * its minutes, and editing an item before it is signed (recorded with the old values; a new lead
 * unit notified and given its time to sign; the closure deadline moved). Real Temporal,
 * PostgreSQL, the API and an SMTP server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotificationActivities } from '../../activities/notifications';
import type { Actor } from '../../domain/actors';
import { addDays, shanghaiDate, shiftWorkingDays } from '../../domain/calendar';
import { currentCalendar } from '../../lib/calendar-store';
import { createMailer, type Mailer } from '../../lib/mailer';
import { itemWorkflowId } from '../../workflows/ids';
import { coC, leadA, leadB, leader, supervisor } from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { DUE, LATER_DUE } from '../support/dates';
import { attach, pdf } from '../support/files';
import { open } from '../support/items';
import { testSmtp, type TestSmtp } from '../support/smtp';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
let smtp: TestSmtp;
let mailer: Mailer;
const taskQueue = uniqueTaskQueue('pushes');

beforeAll(async () => {
  stack = await startApiStack(taskQueue);
  await stack.db.contact.createMany({
    data: [
      {
        id: 'p-a',
        unitId: 'unit-a',
        role: 'handler',
        name: '张经办',
        email: 'zhang@a.example.gov.cn',
        userId: leadA.userId,
      },
      {
        id: 'p-b',
        unitId: 'unit-b',
        role: 'handler',
        name: '赵经办',
        email: 'zhao@b.example.gov.cn',
        userId: leadB.userId,
      },
      {
        id: 'p-c',
        unitId: 'unit-c',
        role: 'handler',
        name: '钱经办',
        email: 'qian@c.example.gov.cn',
        userId: coC.userId,
      },
    ],
  });
  smtp = await testSmtp();
  mailer = createMailer(smtp.url, { ratePerSecond: 1000, timeoutMs: 2000 });
}, 120_000);

afterAll(async () => {
  mailer?.close();
  await smtp?.stop();
  await stack?.close();
});

const call = (method: 'GET' | 'POST', url: string, actor: Actor, payload?: unknown, key?: string) =>
  stack.app.inject({
    method,
    url,
    headers: {
      ...bearer(actor),
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      ...(key ? { 'idempotency-key': key } : {}),
    },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });

/** Every notice request written so far becomes mail, sent through the SMTP server. */
async function deliverAll(): Promise<void> {
  const outbox = createNotificationActivities(stack.db, mailer, {
    from: '督查督办系统 <duban@example.gov.cn>',
    publicUrl: 'https://duban.example.gov.cn',
    // Office hours, so nothing waits for tomorrow.
    workHours: { start: '00:00', end: '24:00' },
  });
  await outbox.expandRequests();
  await outbox.sendPending();
}

/** The caller's notices in the app about one item, of one kind. */
async function noticesOf(actor: Actor, itemId: string, kind: string) {
  const res = await call('GET', '/api/notifications?limit=200', actor);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().notifications as Array<{ itemId: string; kind: string; subject: string; text: string }>).filter(
    (n) => n.itemId === itemId && n.kind === kind,
  );
}

const detail = async (id: string) => (await call('GET', `/api/items/${id}`, supervisor)).json();
const eventsOf = (id: string, action: string) =>
  stack.db.itemEvent.findMany({ where: { itemId: id, action }, orderBy: { seq: 'asc' } });

async function opened(body: Record<string, unknown> = {}): Promise<string> {
  const res = await call('POST', '/api/items', supervisor, {
    title: '督查发现问题',
    leadUnitId: 'unit-a',
    coUnitIds: ['unit-c'],
    dueDate: DUE,
    ...body,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().item.id;
}

describe('催办 by hand', () => {
  it('urges the lead unit of an overdue 待签收 item: once in the timeline, once in its notices, state unchanged', async () => {
    // Opened on its workflow as one already running: three working days past its due date.
    const cal = await currentCalendar(stack.db);
    const due = shiftWorkingDays(cal, shanghaiDate(Date.now()), -3).date;
    const item = await open(stack.t.client, taskQueue, {
      title: '逾期未签收事项',
      coUnitIds: ['unit-c'],
      dueDate: due,
    });
    await stack.t.client.workflow.getHandle(itemWorkflowId(item.id)).executeUpdate('recorded', { args: [] });
    const before = await detail(item.id);
    expect(before.item.status).toBe('assigned');
    expect(before.item.overdue).toBe(true);
    expect(before.item.allowedActions).toEqual(expect.arrayContaining(['urge', 'recordInterview', 'edit']));

    const body = { text: '该事项已逾期，请立即签收并报送整改方案' };
    const urged = await call('POST', `/api/items/${item.id}/urge`, supervisor, body, 'urge-once');
    expect(urged.statusCode, urged.body).toBe(200);
    expect(urged.json().item.status).toBe('assigned');
    // A retry of the same request (a lost answer) urges nothing twice.
    const retried = await call('POST', `/api/items/${item.id}/urge`, supervisor, body, 'urge-once');
    expect(retried.statusCode, retried.body).toBe(200);

    const after = await detail(item.id);
    expect(after.item.status).toBe('assigned');
    const entries = after.timeline.filter((e: { action: string }) => e.action === 'urge');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actionLabel: '催办',
      fromStatus: 'assigned',
      toStatus: 'assigned',
      payload: { text: body.text, unitIds: ['unit-a'] },
    });
    expect(after.item.urges).toMatchObject([{ text: body.text, unitIds: ['unit-a'], by: supervisor.userId }]);
    const ledger = (await call('GET', `/api/items/${item.id}/ledger?format=json`, supervisor)).json();
    expect(ledger.urges).toMatchObject([{ text: body.text, unitIds: ['unit-a'] }]);

    await deliverAll();
    await deliverAll();
    const mine = await noticesOf(leadA, item.id, 'urged');
    expect(mine).toHaveLength(1);
    expect(mine[0]!.subject).toBe('【督查室催办】逾期未签收事项');
    expect(mine[0]!.text).toContain(`催办内容：${body.text}`);
    expect(mine[0]!.text).toMatch(new RegExp(`办理期限：\\d{4}-\\d{2}-\\d{2}（已逾期 \\d+ 个工作日）`));
    // The co-unit was not named: it is not told.
    expect(await noticesOf(coC, item.id, 'urged')).toHaveLength(0);
    expect(smtp.received.filter((m) => m.subject === '【督查室催办】逾期未签收事项')).toHaveLength(1);

    // Now the co-unit by name: it alone is told, once.
    const co = await call('POST', `/api/items/${item.id}/urge`, supervisor, {
      text: '请配合单位同步推进',
      unitIds: ['unit-c'],
    });
    expect(co.statusCode, co.body).toBe(200);
    await deliverAll();
    expect(await noticesOf(coC, item.id, 'urged')).toHaveLength(1);
    expect(await noticesOf(leadA, item.id, 'urged')).toHaveLength(1);

    // Counted per unit from the event log, as the dashboard does.
    const counts = await stack.db.$queryRaw<Array<{ unit: string; n: bigint }>>`
      SELECT u AS unit, count(*) AS n FROM item_events, jsonb_array_elements_text(payload->'unitIds') AS u
      WHERE item_id = ${item.id} AND action = 'urge' GROUP BY u ORDER BY u`;
    expect(counts.map((r) => [r.unit, Number(r.n)])).toEqual([
      ['unit-a', 1],
      ['unit-c', 1],
    ]);
  });

  it('refuses a unit that is not the item’s with a 400 naming unitIds, and records nothing', async () => {
    const id = await opened();
    const seq = (await detail(id)).item.seq;
    const requests = await stack.db.notificationRequest.count({ where: { subjectId: id } });
    const res = await call('POST', `/api/items/${id}/urge`, supervisor, {
      text: '请办理',
      unitIds: ['unit-a', 'unit-x'],
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().fields).toEqual([
      { field: 'body.unitIds', reason: '催办对象须为本事项的牵头单位或配合单位：市教育局' },
    ]);
    const none = await call('POST', `/api/items/${id}/urge`, supervisor, { text: '请办理', unitIds: [] });
    expect(none.statusCode).toBe(400);
    expect(none.json().fields[0].field).toBe('body.unitIds');
    // Not the unit's to take.
    expect((await call('POST', `/api/items/${id}/urge`, leadA, { text: '请办理' })).statusCode).toBe(403);
    expect((await detail(id)).item.seq).toBe(seq);
    expect(await eventsOf(id, 'urge')).toHaveLength(0);
    expect(await stack.db.notificationRequest.count({ where: { subjectId: id } })).toBe(requests);
  });
});

describe('约谈 recorded', () => {
  it('records a 约谈 held, with its minutes attached, by the leader; not one in the future', async () => {
    const id = await opened();
    const minutes = await attach(stack.app, id, leader, [
      { name: '约谈纪要.pdf', content: pdf(`minutes-${id}`), type: 'application/pdf' },
    ]);
    const today = shanghaiDate(Date.now());
    const future = await call('POST', `/api/items/${id}/recordInterview`, supervisor, {
      heldOn: addDays(today, 1),
      attendees: '督查室王督查；市民政局局长',
      summary: '约谈逾期原因',
    });
    expect(future.statusCode).toBe(400);
    expect(future.json().fields[0]).toMatchObject({ field: 'body.heldOn' });
    expect((await call('POST', `/api/items/${id}/recordInterview`, leadA, { heldOn: today })).statusCode).toBe(403);

    const res = await call('POST', `/api/items/${id}/recordInterview`, leader, {
      heldOn: today,
      attendees: '陈领导；市民政局局长',
      summary: '听取未签收原因，要求三日内签收并报送整改方案',
      attachments: minutes,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().item.status).toBe('assigned');
    const entry = (await detail(id)).timeline.find((e: { action: string }) => e.action === 'recordInterview');
    expect(entry).toMatchObject({
      actionLabel: '记录约谈',
      payload: { heldOn: today, attendees: '陈领导；市民政局局长' },
      attachments: [{ name: '约谈纪要.pdf', sha256: minutes[0]!.sha256 }],
    });
    const ledger = (await call('GET', `/api/items/${id}/ledger?format=json`, supervisor)).json();
    expect(ledger.interviews).toMatchObject([{ heldOn: today, by: leader.userId }]);
  });
});

describe('修改事项 before signing', () => {
  it('changes title, due date and lead unit, with the old values; the new lead is told and given its time', async () => {
    const id = await opened({ title: '原标题' });
    const before = await detail(id);
    const res = await call('POST', `/api/items/${id}/edit`, supervisor, {
      title: '修改后的标题',
      dueDate: LATER_DUE,
      leadUnitId: 'unit-b',
      // Unchanged: no change recorded for it.
      coUnitIds: ['unit-c'],
    });
    expect(res.statusCode, res.body).toBe(200);
    const item = res.json().item;
    expect(item).toMatchObject({ title: '修改后的标题', dueDate: LATER_DUE, leadUnitId: 'unit-b', status: 'assigned' });
    const [event] = await eventsOf(id, 'edit');
    expect(event!.payload).toEqual({
      changes: {
        title: { from: '原标题', to: '修改后的标题' },
        dueDate: { from: DUE, to: LATER_DUE },
        leadUnitId: { from: 'unit-a', to: 'unit-b' },
      },
    });
    // Deadlines moved: a new closure deadline and a new signing clock, the old ones on record as replaced by the edit.
    const clocks = item.deadlines.clocks;
    expect(clocks.closure.deadline >= LATER_DUE).toBe(true);
    expect(clocks.closure.epoch).toBe(before.item.deadlines.clocks.closure.epoch + 1);
    expect(clocks.sign.epoch).toBe(before.item.deadlines.clocks.sign.epoch + 1);
    const ledger = (await call('GET', `/api/items/${id}/ledger?format=json`, supervisor)).json();
    expect(
      ledger.deadlines
        .filter((d: { endedBy: string | null }) => d.endedBy === 'edit')
        .map((d: { step: string }) => d.step),
    ).toEqual(expect.arrayContaining(['sign', 'closure']));
    // The items table follows (lists, search).
    expect(await stack.db.item.findUniqueOrThrow({ where: { id } })).toMatchObject({
      title: '修改后的标题',
      leadUnitId: 'unit-b',
      dueDate: LATER_DUE,
    });
    // The new lead unit is handed the item; the old one no longer sees it.
    await deliverAll();
    expect(await noticesOf(leadB, id, 'assigned')).toHaveLength(1);
    expect((await call('GET', `/api/items/${id}`, leadA)).statusCode).toBe(404);

    // Nothing changed: refused in words, nothing recorded.
    const noop = await call('POST', `/api/items/${id}/edit`, supervisor, { title: '修改后的标题' });
    expect(noop.statusCode).toBe(400);
    expect(noop.json().message).toBe('未修改任何内容：请至少修改一项后再保存');
    expect(await eventsOf(id, 'edit')).toHaveLength(1);
    // A due date in the past is refused as at creation.
    const past = await call('POST', `/api/items/${id}/edit`, supervisor, { dueDate: '2020-01-06' });
    expect(past.statusCode).toBe(400);
    expect(past.json().fields[0].field).toBe('body.dueDate');
  });

  it('edits a declined item in place; its lead unit changes by 改派 only', async () => {
    const id = await opened({ title: '被退回的事项' });
    expect((await call('POST', `/api/items/${id}/decline`, leadA, { reason: '不属于本单位职责' })).statusCode).toBe(
      200,
    );
    const lead = await call('POST', `/api/items/${id}/edit`, supervisor, { leadUnitId: 'unit-b' });
    expect(lead.statusCode).toBe(400);
    expect(lead.json().fields).toEqual([
      { field: 'body.leadUnitId', reason: '已退回交办的事项请通过“改派”更换牵头单位' },
    ]);
    const res = await call('POST', `/api/items/${id}/edit`, supervisor, { description: '补充说明问题位置' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().item).toMatchObject({
      status: 'declined',
      description: '补充说明问题位置',
      leadUnitId: 'unit-a',
    });
  });

  it('refuses an edit once the item is signed, and changes nothing', async () => {
    const id = await opened({ title: '已签收事项' });
    expect((await call('POST', `/api/items/${id}/sign`, leadA, {})).statusCode).toBe(200);
    const before = await detail(id);
    expect(before.item.allowedActions).not.toContain('edit');
    const res = await call('POST', `/api/items/${id}/edit`, supervisor, { title: '签收后修改' });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toBe('事项已签收，只能在签收前修改；如需调整请使用改派或延期');
    const after = await detail(id);
    expect(after.item.title).toBe('已签收事项');
    expect(after.item.seq).toBe(before.item.seq);
    expect(await eventsOf(id, 'edit')).toHaveLength(0);
  });
});
