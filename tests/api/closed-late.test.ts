/**
 * Issue 16, problem 6: an item closed working days after its deadline showed `overdue: false`,
 * `overdueWorkingDays: 0`, and its pending rungs vanished from its ledger. A closed item now keeps
 * its lateness (`closedLateWorkingDays`) and the rung plan as it stood at closure; lists filter
 * `closedLate`, the dashboard counts it. Real Temporal, PostgreSQL and the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/actors';
import { shanghaiDate, shiftWorkingDays } from '../../domain/calendar';
import { overdueWorkingDays } from '../../domain/deadlines';
import type { Item } from '../../domain/item';
import { currentCalendar } from '../../lib/calendar-store';
import { leadA, supervisor, verifier } from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { act, open } from '../support/items';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
const taskQueue = uniqueTaskQueue('closed-late');

beforeAll(async () => {
  stack = await startApiStack(taskQueue);
});

afterAll(() => stack?.close());

async function closeNow(item: Item): Promise<void> {
  await act(stack.t.client, item, 'sign', leadA);
  await act(stack.t.client, item, 'filePlan', leadA);
  await act(stack.t.client, item, 'submit', leadA);
  await act(stack.t.client, item, 'verifyPass', verifier);
  const end = Date.now() + 15_000;
  while ((await stack.db.item.findUniqueOrThrow({ where: { id: item.id } })).status !== 'closed') {
    if (Date.now() > end) throw new Error('not closed in the read model');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const get = async (url: string, actor: Actor = supervisor) =>
  (await stack.app.inject({ method: 'GET', url, headers: bearer(actor) })).json();

describe('an item closed after its deadline', () => {
  it('keeps its lateness in working days, lists and counts as closed late, and keeps its rung plan', async () => {
    const cal = await currentCalendar(stack.db);
    const today = shanghaiDate(Date.now());
    // Opened on its workflow, as an item already running would be (the API refuses a past due date).
    const dueDate = shiftWorkingDays(cal, today, -4).date;
    const late = await open(stack.t.client, taskQueue, { title: '超期办结的事项', dueDate });
    const onTime = await open(stack.t.client, taskQueue, { title: '按期办结的事项', dueDate: DUE });
    await closeNow(late);
    await closeNow(onTime);
    const expected = overdueWorkingDays(cal, dueDate, today);
    expect(expected).toBeGreaterThanOrEqual(3);

    const view = (await get(`/api/items/${late.id}`)).item;
    expect(view).toMatchObject({ status: 'closed', overdue: false, closedLateWorkingDays: expected });
    expect((await get(`/api/items/${onTime.id}`)).item.closedLateWorkingDays).toBe(0);

    const ids = (page: { items: Array<{ id: string }> }) => page.items.map((i) => i.id);
    expect(ids(await get('/api/items?closedLate=true'))).toEqual([late.id]);
    expect(ids(await get('/api/items?closedLate=false'))).toEqual([onTime.id]);
    const rows = (await get('/api/items?status=closed')).items;
    expect(rows.find((r: { id: string }) => r.id === late.id).closedLateWorkingDays).toBe(expected);
    expect((await get('/api/dashboard')).closedLate).toBe(1);

    const ledger = await get(`/api/items/${late.id}/ledger`);
    expect(ledger.closedLateWorkingDays).toBe(expected);
    expect(ledger.closing).toMatchObject({ deadline: dueDate, handedInOn: today, lateWorkingDays: expected });
    const notReached = ledger.rungs.filter((r: { status: string }) => r.status === 'not_reached');
    expect(notReached.map((r: { key: string }) => r.key)).toContain('closure-accountability');
    for (const r of notReached) expect(Date.parse(r.dueAt)).toBeGreaterThan(Date.parse(view.closedAt));
  });
});
