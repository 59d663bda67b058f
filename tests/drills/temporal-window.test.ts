/**
 * Drill: the window between an item's record in PostgreSQL and the saving of the workflow task
 * that decided it (README "PostgreSQL never ahead of Temporal"). Actions stream through the API
 * on many items at once; the Temporal server (the dev server, its data in a file) is killed with
 * SIGKILL in the middle of them. Nobody retries: each request is sent once, a 503 is taken as the
 * answer, and the server comes back only after every request in flight has had its answer. Once
 * the workflows have settled, every event in each item's log must be a step its history accepted,
 * and PostgreSQL must show the sequence number and status the workflow has.
 *
 * DRILL_TEMPORAL_KILLS (default 2; `npm run drills` runs more) sets the rounds of load and kill.
 * DRILL_WORKFLOW_BUNDLE runs the worker on another bundle file (e.g. one built from the code
 * before records moved to an ordinary activity: it fails this drill).
 */
import type { Worker } from '@temporalio/worker';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../api/app';
import { workerOptions } from '../../app/compose';
import { freePort } from '../../dev/ports';
import { startTemporalDevServer, type DevServer } from '../../dev/temporal-dev-server';
import { CREATE_ID } from '../../domain/events';
import type { Db } from '../../lib/db';
import { createWorker } from '../../worker/create';
import { itemWorkflowId, transitionKey } from '../../workflows/ids';
import { itemQuery, recordedSeqQuery } from '../../workflows/messages';
import * as people from '../support/actors';
import { supervisor } from '../support/actors';
import { bearer, seedUnits, seedUsers, testApp } from '../support/api';
import { testConfig } from '../support/config';
import { open } from '../support/items';
import {
  connectTemporal,
  freshDatabase,
  startTestWorker,
  uniqueTaskQueue,
  type TemporalHandles,
} from '../support/stack';
import { waitFor } from '../support/wait';

const KILLS = Number(process.env.DRILL_TEMPORAL_KILLS ?? 2);
const ITEMS = 16;
/** How long the API waits for Temporal before answering 503. */
const TEMPORAL_TIMEOUT_MS = 2_000;

let dir: string;
let port: number;
let metricsPort: number;
let server: DevServer;
let db: Db;
let t: TemporalHandles;
let worker: Worker;
let running: Promise<void>;
let app: App;
const taskQueue = uniqueTaskQueue('temporal-window');

const start = () => startTemporalDevServer({ port, metricsPort, dbFile: path.join(dir, 'temporal.db') });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function drillWorker(): Promise<Worker> {
  const file = process.env.DRILL_WORKFLOW_BUNDLE;
  if (!file) return startTestWorker(t, db, taskQueue);
  const config = testConfig({ TEMPORAL_TASK_QUEUE: taskQueue });
  const workflowBundle = { code: await readFile(file, 'utf8') };
  return createWorker(
    workerOptions(config, { connection: t.nativeConnection, db, temporal: t.client, workflowBundle }),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'duban-drill-window-'));
  port = await freePort();
  metricsPort = await freePort();
  server = await start();
  ({ db } = await freshDatabase());
  await seedUnits(db);
  await seedUsers(db, Object.values(people));
  t = await connectTemporal(server.address);
  worker = await drillWorker();
  running = worker.run();
  app = await testApp(db, t.client, taskQueue, TEMPORAL_TIMEOUT_MS);
}, 120_000);

afterAll(async () => {
  await app?.close();
  worker?.shutdown();
  await Promise.race([running, sleep(20_000)]);
  await t?.close();
  await db?.$disconnect();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

/** 督办 (urge) is allowed again and again while an item waits to be signed: every request is a transition. */
async function urgeUntil(itemId: string, stopped: () => boolean, answers: Map<number, number>): Promise<void> {
  while (!stopped()) {
    const res = await app.inject({
      method: 'POST',
      url: `/api/items/${itemId}/urge`,
      headers: bearer(supervisor),
      payload: { text: '请尽快签收' },
    });
    answers.set(res.statusCode, (answers.get(res.statusCode) ?? 0) + 1);
  }
}

/** Records handed to the worker in the reply to the task that scheduled them, since the server started. */
async function eagerRecords(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  // Prometheus labels spell '-' as '_'.
  const label = `taskqueue="${taskQueue.replace(/-/g, '_')}"`;
  const line = text.split('\n').find((l) => l.startsWith('activity_eager_execution{') && l.includes(label));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Every workflow has recorded all it decided (a record cut off by the kill is retried by the server). */
async function settled(ids: string[]): Promise<boolean> {
  const seqs = await Promise.all(
    ids.map((id) =>
      t.client.workflow
        .getHandle(itemWorkflowId(id))
        .query(recordedSeqQuery)
        .catch(() => null),
    ),
  );
  return seqs.every((s) => s !== null && s.recordedSeq === s.seq);
}

/** What differs between an item's record in PostgreSQL and its workflow's history and state. */
async function differences(itemId: string): Promise<string[]> {
  const workflowId = itemWorkflowId(itemId);
  const handle = t.client.workflow.getHandle(workflowId);
  const events = (await handle.fetchHistory()).events ?? [];
  const accepted = new Set(
    events.flatMap((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId ?? []),
  );
  accepted.add(CREATE_ID);
  const { seq, recordedSeq } = await handle.query(recordedSeqQuery);
  const state = await handle.query(itemQuery);
  const row = await db.item.findUniqueOrThrow({ where: { id: itemId } });
  const log = await db.itemEvent.findMany({ where: { itemId }, orderBy: { seq: 'asc' } });
  const found: string[] = [];
  for (const e of log) {
    const step = e.key.slice(transitionKey(workflowId, '').length);
    if (!accepted.has(step)) found.push(`${itemId}: event ${e.seq} (${e.action}, ${e.key}) is not in the history`);
  }
  if (recordedSeq !== seq) found.push(`${itemId}: workflow at seq ${seq} has recorded ${recordedSeq}`);
  if (row.seq !== seq) found.push(`${itemId}: PostgreSQL at seq ${row.seq}, the workflow at ${seq}`);
  if (log.length !== seq || log.some((e, i) => e.seq !== i + 1))
    found.push(`${itemId}: the log holds seqs ${log.map((e) => e.seq).join(',')}, the workflow is at ${seq}`);
  if (row.status !== state.status)
    found.push(`${itemId}: PostgreSQL shows ${row.status}, the workflow ${state.status}`);
  return found;
}

describe('the Temporal server killed between a record and the saving of its workflow task', () => {
  it('leaves no step in PostgreSQL that the history did not accept, with no client retry', async () => {
    const ids: string[] = [];
    for (let i = 0; i < ITEMS; i++) ids.push((await open(t.client, taskQueue)).id);
    const answers = new Map<number, number>();
    let eager = 0;

    for (let round = 0; round < KILLS; round++) {
      let stopped = false;
      const load = Promise.all(ids.map((id) => urgeUntil(id, () => stopped, answers)));
      // Somewhere in a stream of actions (once it flows): with 16 in flight, some are always mid-task.
      const before = answers.get(200) ?? 0;
      await waitFor(async () => (answers.get(200) ?? 0) >= before + ITEMS, 30_000);
      await sleep(Math.floor(Math.random() * 300));
      eager += await eagerRecords();
      server.process.kill('SIGKILL');
      await new Promise((r) => server.process.once('exit', r));
      stopped = true;
      // Every request sent has its answer (200, or 503 once the API gives up) before the server is
      // back: none of them can be completed by the SDK's own retry of the same Update.
      await load;
      server = await start();
      // Accepted Updates whose records were cut off finish now (the server times out and retries
      // the task that was lost), with no request waiting for them.
      await waitFor(() => settled(ids), 45_000).catch(() => undefined);
    }

    // The kills were felt, and actions went through between them.
    expect(answers.get(503) ?? 0).toBeGreaterThan(0);
    expect(answers.get(200) ?? 0).toBeGreaterThan(0);
    expect([...answers.keys()].filter((code) => code !== 200 && code !== 503)).toEqual([]);
    const found = (await Promise.all(ids.map(differences))).flat();
    expect(found).toEqual([]);
    // Steps recorded for which nobody got an answer: accepted before a kill, recorded after it.
    // There are some: the kills landed in the middle of actions, not between them.
    const recorded = await db.itemEvent.count({ where: { itemId: { in: ids }, action: 'urge' } });
    expect(recorded).toBeGreaterThan(answers.get(200) ?? 0);
    // The records went to the worker eagerly (the dev server is started with it on).
    expect(eager).toBeGreaterThan(0);
    console.log(
      `temporal-window: ${KILLS} kills, answers ${JSON.stringify(Object.fromEntries(answers))}, ` +
        `${recorded} urges recorded, ${recorded - (answers.get(200) ?? 0)} of them answered by a 503; ` +
        `${eager} records dispatched eagerly before the kills`,
    );
  }, 300_000);
});
