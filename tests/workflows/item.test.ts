import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db';
import { itemWorkflowId } from '../../workflows/ids';
import { itemQuery } from '../../workflows/messages';
import { DueDateKey } from '../../workflows/search-attributes';
import { openProblemList } from '../../workflows/client/items';
import { coC, leadA, leadB, supervisor, verifier } from '../support/actors';
import { dueIn } from '../support/dates';
import { act, newItemId, open, spec } from '../support/items';
import {
  connectTemporal,
  freshDatabase,
  startTestWorker,
  uniqueTaskQueue,
  type TemporalHandles,
} from '../support/stack';

let t: TemporalHandles;
let db: Db;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueTaskQueue('wf-item');

beforeAll(async () => {
  t = await connectTemporal();
  db = (await freshDatabase()).db;
  worker = await startTestWorker(t, db, taskQueue);
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await db?.$disconnect();
  await t?.close();
});

async function events(itemId: string) {
  return db.itemEvent.findMany({ where: { itemId }, orderBy: { seq: 'asc' } });
}

async function expectRefused(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause as { type?: string; details?: Array<{ code: string }> };
  expect(cause.type).toBe('ActionRefused');
  expect(cause.details?.[0]?.code).toBe(code);
}

describe('item workflow on a real Temporal server', () => {
  it('runs the full loop with two return rounds and records one event per transition', async () => {
    const item = await open(t.client, taskQueue);
    await act(t.client, item, 'sign', leadA);
    await act(t.client, item, 'filePlan', leadA);
    await act(t.client, item, 'reportProgress', leadA);
    for (let round = 0; round < 2; round++) {
      await act(t.client, item, 'submit', leadA);
      const returned = await act(t.client, item, 'verifyReturn', verifier, { reasons: `第${round + 1}轮：照片不清晰` });
      expect(returned).toMatchObject({ status: 'rectifying', returnCount: round + 1 });
    }
    await act(t.client, item, 'submit', leadA);
    const closed = await act(t.client, item, 'verifyPass', verifier);
    expect(closed.status).toBe('closed');

    const handle = t.client.workflow.getHandle(itemWorkflowId(item.id));
    expect((await handle.result()).status).toBe('closed');
    const log = await events(item.id);
    expect(log.map((e) => e.action)).toEqual([
      'create',
      'sign',
      'filePlan',
      'reportProgress',
      'submit',
      'verifyReturn',
      'submit',
      'verifyReturn',
      'submit',
      'verifyPass',
    ]);
    expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i + 1));
    expect(log[5]).toMatchObject({
      actorUserId: verifier.userId,
      actorRole: 'verifier',
      fromStatus: 'verifying',
      toStatus: 'rectifying',
    });
    const row = await db.item.findUniqueOrThrow({ where: { id: item.id } });
    expect(row).toMatchObject({ status: 'closed', returnCount: 2, seq: 10 });
    expect(row.closedAt).not.toBeNull();
  });

  it('refuses an illegal transition in the validator: nothing enters history or the log', async () => {
    const item = await open(t.client, taskQueue);
    await expectRefused(act(t.client, item, 'submit', leadA), 'not_allowed_in_state');
    await expectRefused(act(t.client, item, 'sign', leadB), 'forbidden');
    const history = await t.client.workflow.getHandle(itemWorkflowId(item.id)).fetchHistory();
    const accepted =
      history.events?.filter(
        (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'act',
      ) ?? [];
    expect(accepted).toHaveLength(0);
    expect((await events(item.id)).map((e) => e.action)).toEqual(['create']);
  });

  it('applies the same update id once', async () => {
    const item = await open(t.client, taskQueue);
    await act(t.client, item, 'sign', leadA, undefined, 'key-1');
    const again = await act(t.client, item, 'sign', leadA, undefined, 'key-1');
    expect(again.seq).toBe(2);
    expect((await events(item.id)).map((e) => e.action)).toEqual(['create', 'sign']);
  });

  it('moves the due date on an approved extension, in the read model and the search attributes', async () => {
    const item = await open(t.client, taskQueue);
    // Both later than the item's due date (`spec()`'s, some weeks from today).
    const [extended, again] = [dueIn(120), dueIn(150)];
    await act(t.client, item, 'sign', leadA);
    await act(t.client, item, 'requestExtension', leadA, { dueDate: extended, reason: '需协调资金' });
    await expectRefused(
      act(t.client, item, 'requestExtension', leadA, { dueDate: again, reason: '再延' }),
      'precondition_failed',
    );
    const decided = await act(t.client, item, 'decideExtension', supervisor, { approved: true, opinion: '同意延期' });
    expect(decided.dueDate).toBe(extended);
    expect((await db.item.findUniqueOrThrow({ where: { id: item.id } })).dueDate).toBe(extended);
    const desc = await t.client.workflow.getHandle(itemWorkflowId(item.id)).describe();
    expect(desc.typedSearchAttributes.get(DueDateKey)).toEqual(new Date(`${extended}T23:59:59+08:00`));
  });

  it('suspends and resumes where it was', async () => {
    const item = await open(t.client, taskQueue);
    await act(t.client, item, 'sign', leadA);
    await act(t.client, item, 'filePlan', leadA);
    const suspended = await act(t.client, item, 'suspend', supervisor);
    expect(suspended).toMatchObject({ status: 'suspended', resumeTo: 'rectifying' });
    await expectRefused(act(t.client, item, 'reportProgress', leadA), 'not_allowed_in_state');
    expect((await act(t.client, item, 'resume', supervisor)).status).toBe('rectifying');
  });

  it('takes a declined assignment back to the supervisor, who reassigns it', async () => {
    const item = await open(t.client, taskQueue);
    const declined = await act(t.client, item, 'decline', leadA, { reason: '该事项属于B单位职责' });
    expect(declined).toMatchObject({ status: 'declined', declinedBy: 'unit-a' });
    await act(t.client, item, 'reassign', supervisor, { leadUnitId: 'unit-b' });
    await expectRefused(act(t.client, item, 'sign', leadA), 'forbidden');
    expect((await act(t.client, item, 'sign', leadB)).status).toBe('signed');
    const row = await db.item.findUniqueOrThrow({ where: { id: item.id } });
    expect(row).toMatchObject({ leadUnitId: 'unit-b', declineCount: 1, status: 'signed' });
  });

  it('sends the third decline to arbitration; the ruled unit can no longer decline', async () => {
    const item = await open(t.client, taskQueue);
    await act(t.client, item, 'decline', leadA, { reason: '非本单位职责' });
    await act(t.client, item, 'reassign', supervisor, { leadUnitId: 'unit-b' });
    await act(t.client, item, 'decline', leadB, { reason: '非本单位职责' });
    await act(t.client, item, 'reassign', supervisor, { leadUnitId: 'unit-a' });
    const third = await act(t.client, item, 'decline', leadA, { reason: '仍非本单位职责' });
    expect(third.status).toBe('arbitration');
    await expectRefused(act(t.client, item, 'reassign', supervisor, { leadUnitId: 'unit-b' }), 'not_allowed_in_state');
    await act(t.client, item, 'arbitrate', supervisor, { unitId: 'unit-a', ruling: '按“三定”方案由A单位牵头' });
    await expectRefused(act(t.client, item, 'decline', leadA, { reason: '再退' }), 'precondition_failed');
    expect((await act(t.client, item, 'sign', leadA)).status).toBe('signed');
    const log = await events(item.id);
    expect(log.filter((e) => e.action === 'decline').map((e) => e.actorUnitId)).toEqual(['unit-a', 'unit-b', 'unit-a']);
    expect(log.find((e) => e.action === 'arbitrate')?.payload).toMatchObject({ unitId: 'unit-a' });
  });

  it('holds closure while a co-unit part is open and says whose', async () => {
    const item = await open(t.client, taskQueue, { coUnitIds: ['unit-c'] });
    await act(t.client, item, 'coSign', coC);
    await act(t.client, item, 'sign', leadA);
    await act(t.client, item, 'filePlan', leadA);
    await act(t.client, item, 'coReport', coC);
    await expectRefused(act(t.client, item, 'submit', leadA), 'precondition_failed');
    const state = await t.client.workflow.getHandle(itemWorkflowId(item.id)).query(itemQuery);
    expect(state.coParts).toEqual([{ unitId: 'unit-c', state: 'signed', reports: 1 }]);
    await act(t.client, item, 'coComplete', coC);
    expect((await act(t.client, item, 'submit', leadA)).status).toBe('verifying');
    const coEvents = (await events(item.id)).filter((e) => e.actorUnitId === 'unit-c').map((e) => e.action);
    expect(coEvents).toEqual(['coSign', 'coReport', 'coComplete']);
  });

  it('withdraws an item and finishes its workflow', async () => {
    const item = await open(t.client, taskQueue);
    await act(t.client, item, 'withdraw', supervisor, { reason: '与另一事项重复' });
    const result = await t.client.workflow.getHandle(itemWorkflowId(item.id)).result();
    expect(result).toMatchObject({ status: 'withdrawn', reason: '与另一事项重复' });
  });

  it('is findable by search attributes', async () => {
    const item = await open(t.client, taskQueue, { leadUnitId: 'unit-sa' });
    await act(t.client, item, 'sign', { ...leadA, unitId: 'unit-sa' });
    const query = `ItemStatus = "signed" AND LeadUnit = "unit-sa" AND WorkflowId = "${itemWorkflowId(item.id)}"`;
    let found = 0;
    for (let i = 0; i < 50 && found === 0; i++) {
      found = 0;
      for await (const _ of t.client.workflow.list({ query })) found++;
      if (found === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(found).toBe(1);
  });

  it('opens a problem list as one batch of item workflows', async () => {
    const listId = newItemId();
    const ids = [newItemId(), newItemId(), newItemId()];
    const result = await openProblemList(t.client, taskQueue, {
      listId,
      title: '2026年消防安全专项督查问题清单',
      source: '专项督查',
      createdBy: supervisor,
      config: { maxDeclines: 2 },
      items: ids.map((id, i) => ({ id, spec: spec({ title: `问题${i + 1}` }) })),
    });
    expect(result.itemIds).toEqual(ids);
    expect(await db.problemList.findUniqueOrThrow({ where: { id: listId } })).toMatchObject({ total: 3 });
    for (const id of ids) {
      const state = await t.client.workflow.getHandle(itemWorkflowId(id)).query(itemQuery);
      expect(state).toMatchObject({ problemListId: listId, status: 'assigned' });
    }
  });
});
