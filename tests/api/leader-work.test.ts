/**
 * Issue 17: the leader had nothing to do. 领导批示 (binding ones confirmed by the unit), 圈阅 and
 * the decision on a proposed 通报问责 are recorded transitions, notified, and waiting in the right
 * 待办; an action the unit cannot take yet says why, and the lead unit can remind its co-units.
 * Real Temporal, PostgreSQL and the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/actors';
import { shanghaiDate, shiftWorkingDays } from '../../domain/calendar';
import { currentCalendar } from '../../lib/calendar-store';
import { itemWorkflowId } from '../../workflows/ids';
import { itemQuery } from '../../workflows/messages';
import { districtLeader, leadA, leader, supervisor } from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { open } from '../support/items';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
const taskQueue = uniqueTaskQueue('leader');

beforeAll(async () => {
  stack = await startApiStack(taskQueue);
});

afterAll(() => stack?.close());

const call = (method: 'GET' | 'POST', url: string, actor: Actor, payload?: unknown) =>
  stack.app.inject({
    method,
    url,
    headers: { ...bearer(actor), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });

async function opened(coUnitIds: string[] = []): Promise<string> {
  const res = await call('POST', '/api/items', supervisor, {
    title: '领导关注事项',
    leadUnitId: 'unit-a',
    coUnitIds,
    dueDate: DUE,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().item.id;
}

const owed = async (actor: Actor, id: string) =>
  (await call('GET', '/api/inbox', actor)).json().entries.find((e: { itemId: string }) => e.itemId === id)?.owes ?? [];

const notices = (id: string, kind: string) =>
  stack.db.notificationRequest.findMany({ where: { subjectKind: 'item', subjectId: id, kind } });

describe('the leader’s work on an item', () => {
  it('批示 binding on the unit, confirmed from its 待办; 圈阅; each in the timeline and notified', async () => {
    const id = await opened();
    const ins = await call('POST', `/api/items/${id}/instruct`, leader, {
      instruction: '请加快整改进度，月底前见成效',
      binding: true,
    });
    expect(ins.statusCode, ins.body).toBe(200);
    expect(ins.json().item.instructions).toMatchObject([{ text: '请加快整改进度，月底前见成效', binding: true }]);
    expect(ins.json().item.status).toBe('assigned');
    // A leader outside the jurisdiction does not see the item at all.
    expect((await call('POST', `/api/items/${id}/initial`, districtLeader, {})).statusCode).toBe(404);
    // The unit owes the confirmation; the supervisor and the unit are told.
    expect(await owed(leadA, id)).toContain('acknowledgeInstruction');
    expect((await notices(id, 'instruction'))[0]).toMatchObject({
      targets: ['supervisor', 'handler', 'unit_leader'],
      payload: expect.objectContaining({ binding: true }),
    });
    const ack = await call('POST', `/api/items/${id}/acknowledgeInstruction`, leadA, { note: '已收悉，将按批示落实' });
    expect(ack.statusCode, ack.body).toBe(200);
    expect(ack.json().item.instructions[0].acknowledged).toMatchObject({ by: leadA.userId });
    expect(await owed(leadA, id)).not.toContain('acknowledgeInstruction');
    // Nothing left to confirm: refused in words.
    const again = await call('POST', `/api/items/${id}/acknowledgeInstruction`, leadA, {});
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toBe('没有待确认的领导批示');

    const initial = await call('POST', `/api/items/${id}/initial`, leader, { note: '阅' });
    expect(initial.statusCode, initial.body).toBe(200);
    expect(initial.json().item.initials).toMatchObject([{ by: leader.userId, note: '阅' }]);
    const timeline = (await call('GET', `/api/items/${id}`, supervisor)).json().timeline;
    expect(timeline.map((e: { actionLabel: string }) => e.actionLabel)).toEqual(
      expect.arrayContaining(['领导批示', '确认领导批示', '圈阅']),
    );
    expect(await notices(id, 'initialled')).toHaveLength(1);
    // Nothing proposed, nothing asked: no "cannot yet" on an ordinary item, for the leader or the unit.
    expect((await call('GET', `/api/items/${id}`, leader)).json().item.blockedActions).toEqual([]);
    expect((await call('GET', `/api/items/${id}`, leadA)).json().item.blockedActions).toEqual([]);
    // Not a leader's to take for anyone else.
    expect((await call('POST', `/api/items/${id}/instruct`, supervisor, { instruction: 'x' })).statusCode).toBe(403);
  });

  it('decides a proposed 通报问责 from the leader’s 待办, once', async () => {
    const id = await opened();
    const none = await call('POST', `/api/items/${id}/decideAccountability`, leader, {
      approved: true,
      reason: '同意',
    });
    expect(none.statusCode).toBe(409);
    expect(none.json().message).toBe('没有待决定的通报问责建议');

    // An item twelve working days past its deadline (opened on its workflow, as one already running):
    // its ladder proposes 通报问责 at once.
    const cal = await currentCalendar(stack.db);
    const late = await open(stack.t.client, taskQueue, {
      title: '长期逾期事项',
      dueDate: shiftWorkingDays(cal, shanghaiDate(Date.now()), -12).date,
    });
    const handle = stack.t.client.workflow.getHandle(itemWorkflowId(late.id));
    const end = Date.now() + 15_000;
    while (!(await handle.query(itemQuery)).deadlines!.fired.some((f) => f.action === 'accountability')) {
      if (Date.now() > end) throw new Error('no accountability rung fired');
      await new Promise((r) => setTimeout(r, 100));
    }
    await handle.executeUpdate('recorded', { args: [] });
    expect(await owed(leader, late.id)).toEqual(['decideAccountability']);
    const decided = await call('POST', `/api/items/${late.id}/decideAccountability`, leader, {
      approved: false,
      reason: '已约谈，暂不通报，继续督促整改',
    });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(decided.json().item.accountabilityDecisions).toMatchObject([
      { key: 'closure-accountability', approved: false, by: leader.userId },
    ]);
    expect(await owed(leader, late.id)).toEqual([]);
    expect((await notices(late.id, 'accountability_decided'))[0]).toMatchObject({
      payload: expect.objectContaining({ approved: false, reason: '已约谈，暂不通报，继续督促整改' }),
    });
  });

  it('says why 申请销号 is not open yet, and lets the lead unit remind the co-unit', async () => {
    const id = await opened(['unit-c']);
    for (const [action, body] of [
      ['sign', {}],
      ['filePlan', { plan: '整改方案' }],
    ] as const)
      expect((await call('POST', `/api/items/${id}/${action}`, leadA, body)).statusCode).toBe(200);
    const item = (await call('GET', `/api/items/${id}`, leadA)).json().item;
    expect(item.allowedActions).not.toContain('submit');
    expect(item.blockedActions).toContainEqual({
      action: 'submit',
      label: '申请销号',
      reason: '配合单位尚未办结：unit-c',
      openCoUnits: ['unit-c'],
    });
    expect(item.allowedActions).toContain('remindCoUnits');
    const remind = await call('POST', `/api/items/${id}/remindCoUnits`, leadA, { note: '请尽快反馈配合情况' });
    expect(remind.statusCode, remind.body).toBe(200);
    expect((await notices(id, 'co_unit_reminder'))[0]).toMatchObject({
      targets: ['co_units'],
      unitIds: ['unit-a', 'unit-c'],
    });
  });
});
