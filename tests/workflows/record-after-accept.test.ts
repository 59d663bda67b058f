/**
 * An item's records are written after Temporal has saved the step (README "PostgreSQL never ahead
 * of Temporal"): by an ordinary activity that the workflow task accepting the Update schedules,
 * and the `recordedSeq` query tells a record still in flight from one that is missing.
 */
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db';
import { itemWorkflowId } from '../../workflows/ids';
import { recordedSeqQuery } from '../../workflows/messages';
import { leadA } from '../support/actors';
import { act, open } from '../support/items';
import {
  connectTemporal,
  freshDatabase,
  startTestWorker,
  uniqueTaskQueue,
  type TemporalHandles,
} from '../support/stack';
import { waitFor } from '../support/wait';

let t: TemporalHandles;
let db: Db;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueTaskQueue('wf-record');

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

describe('records after acceptance', () => {
  it('schedules the record in the workflow task that accepts the Update, and answers once it is written', async () => {
    const item = await open(t.client, taskQueue);
    const signed = await act(t.client, item, 'sign', leadA);
    // Answered 200 means PostgreSQL shows it.
    expect(await db.item.findUniqueOrThrow({ where: { id: item.id } })).toMatchObject({ status: 'signed', seq: 2 });
    expect(signed.seq).toBe(2);

    const events = (await t.client.workflow.getHandle(itemWorkflowId(item.id)).fetchHistory()).events ?? [];
    const accepted = events.find(
      (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'act',
    );
    expect(accepted).toBeDefined();
    // The task that accepted the Update is the one that scheduled the record (one write on the server).
    const taskCompleted = [...events]
      .reverse()
      .find((e) => e.workflowTaskCompletedEventAttributes && Number(e.eventId) < Number(accepted!.eventId));
    const scheduled = events.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordTransition',
    );
    expect(scheduled).toHaveLength(2); // the creation, the sign
    const signRecord = scheduled[1]!;
    expect(Number(signRecord.eventId)).toBeGreaterThan(Number(accepted!.eventId));
    expect(Number(signRecord.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId)).toBe(
      Number(taskCompleted!.eventId),
    );
    // The Update completes only after the activity has.
    const completedAt = events.findIndex(
      (e) =>
        e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId ===
        accepted!.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId,
    );
    const activityDone = events.findIndex(
      (e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(signRecord.eventId),
    );
    expect(activityDone).toBeGreaterThan(0);
    expect(completedAt).toBeGreaterThan(activityDone);
  });

  it('shows a record in flight as recordedSeq behind seq, and equal once written', async () => {
    const item = await open(t.client, taskQueue);
    const handle = t.client.workflow.getHandle(itemWorkflowId(item.id));
    expect(await handle.query(recordedSeqQuery)).toEqual({ seq: 1, recordedSeq: 1 });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    // Hold the item's row: the sign's record waits on it.
    const holding = db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT id FROM items WHERE id = ${item.id} FOR UPDATE`;
        locked();
        await released;
      },
      { timeout: 60_000, maxWait: 10_000 },
    );
    await isLocked;
    const signing = act(t.client, item, 'sign', leadA);
    try {
      // Decided and accepted, not yet recorded: in flight, not missing.
      const inFlight = await waitFor(async () => {
        const s = await handle.query(recordedSeqQuery);
        return s.seq === 2 ? s : null;
      }, 20_000);
      expect(inFlight).toEqual({ seq: 2, recordedSeq: 1 });
      expect((await db.item.findUniqueOrThrow({ where: { id: item.id } })).seq).toBe(1);
    } finally {
      release();
      await holding;
    }
    expect((await signing).status).toBe('signed');
    expect(await handle.query(recordedSeqQuery)).toEqual({ seq: 2, recordedSeq: 2 });
  });
});
