/**
 * 举一反三 over 2,000 units on the time-skipping server, through the API and the worker on real
 * PostgreSQL: every unit asked once (one child each, in batches of at most 500, a fresh run per
 * batch), the silent ones chased on every rung, 存在 answers opening their items exactly once
 * (a retry, a racing duplicate), a spot-check sample of the configured size drawn and recorded,
 * a late answer still taken, an overturned 不存在 opening its item once; each run's history and
 * pending children within limits, read from the runs' histories.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App, type AppOptions } from '../../api/app';
import { answerFanOut } from '../../api/fan-out-service';
import type { Actor } from '../../domain/actors';
import { ASK_BATCH, fanOutItemId, fanOutWorkflowId, sampleSize } from '../../domain/fan-out';
import type { Db } from '../../lib/db';
import type { FanOutOutcome } from '../../workflows/fan-out';
import { supervisor } from '../support/actors';
import { bearer, holdToContract, seedUsers, testAppOptions } from '../support/api';
import { freshDatabase, uniqueTaskQueue, workflowBundle } from '../support/stack';
import { timeSkippingConfig, timeSkippingEnv } from '../support/time-skipping';
import { workerOptions } from '../../app/compose';
import { createWorker } from '../../worker/create';
import { waitFor } from '../support/wait';

const UNITS = 2000;
const PRESENT = 5;
const ABSENT = 1200;
const SHARE = 0.1;

let env: TestWorkflowEnvironment;
let db: Db;
let worker: Worker;
let running: Promise<void>;
let app: App;
let options: AppOptions;
let clock: number | undefined;

const peer = (i: number) => `town-${String(i).padStart(4, '0')}`;
const handlerOf = (unitId: string): Actor => ({
  userId: `h-${unitId}`,
  name: `${unitId}经办人`,
  role: 'unit_handler',
  unitId,
});

beforeAll(async () => {
  env = await timeSkippingEnv();
  db = (await freshDatabase()).db;
  await db.unit.createMany({
    data: [
      { id: 'city', name: '市人民政府', parentId: null, kind: 'city' },
      { id: 'dcs', name: '市委督查室', parentId: 'city', kind: 'supervision' },
      { id: 'origin-town', name: '源头街道', parentId: 'city', kind: 'township' },
      ...Array.from({ length: UNITS }, (_, i) => ({
        id: peer(i),
        name: `第${i}街道`,
        parentId: 'city',
        kind: 'township',
      })),
    ],
  });
  const speaking = [...Array.from({ length: PRESENT + 2 }, (_, i) => peer(i)), peer(UNITS - 1)];
  await seedUsers(db, [supervisor, ...speaking.map(handlerOf)]);
  const tq = uniqueTaskQueue('fanout');
  // With a workflow cache (this worker is never restarted, so its sticky queue never stalls the
  // test server): without one every child's completion would replay the parent's whole history.
  worker = await createWorker(
    workerOptions(timeSkippingConfig(env, tq, { WORKER_MAX_CACHED_WORKFLOWS: '1000' }), {
      connection: env.nativeConnection,
      db,
      temporal: env.client,
      workflowBundle: await workflowBundle(),
    }),
  );
  running = worker.run();
  // The API's clock is the real one until the test moves it to the test server's (after time skipped).
  options = await testAppOptions(
    timeSkippingConfig(env, tq),
    { db, temporal: env.client },
    { now: () => clock ?? Date.now() },
  );
  app = holdToContract(await buildApp(options));
}, 120_000);

afterAll(async () => {
  await app?.close();
  worker?.shutdown();
  await running;
  await db?.$disconnect();
  await env?.teardown();
});

const post = (actor: Actor, url: string, payload: unknown, key?: string) =>
  app.inject({
    method: 'POST',
    url,
    headers: { ...bearer(actor), ...(key ? { 'idempotency-key': key } : {}) },
    payload: payload as object,
  });

/**
 * Every run of the workflow, first to last, with its history's size, the children it started and
 * the most it had pending at once: walked back from the last run (each run's first event names
 * the run it continues).
 */
async function runs(workflowId: string) {
  const out: Array<{ events: number; peakPending: number; childrenStarted: number }> = [];
  let runId: string | undefined = (await env.client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    let pending = 0;
    let peakPending = 0;
    let childrenStarted = 0;
    for (const e of history.events ?? []) {
      if (e.startChildWorkflowExecutionInitiatedEventAttributes) {
        childrenStarted++;
        peakPending = Math.max(peakPending, ++pending);
      }
      if (
        e.childWorkflowExecutionCompletedEventAttributes ||
        e.childWorkflowExecutionFailedEventAttributes ||
        e.startChildWorkflowExecutionFailedEventAttributes
      )
        pending--;
    }
    out.unshift({ events: history.events?.length ?? 0, peakPending, childrenStarted });
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return out;
}

describe('a fan-out to 2,000 units', () => {
  it('asks each once, chases the silent, opens each 存在 once, and draws a sample of the configured size', async () => {
    const opened = await post(supervisor, '/api/items', {
      title: '农贸市场食品安全风险闭环管控不到位',
      description: '抽检发现问题未闭环整改',
      category: 'inspection',
      leadUnitId: 'origin-town',
      dueInWorkingDays: 20,
    });
    expect(opened.statusCode, opened.body).toBe(201);
    const originId = opened.json().item.id as string;

    const started = Date.now();
    const made = await post(
      supervisor,
      `/api/items/${originId}/fan-outs`,
      {
        units: { kinds: ['township'] },
        requirements: '对照源头问题，排查本辖区农贸市场食品安全风险闭环管控情况。',
        answerDays: 10,
        spotCheckShare: SHARE,
      },
      'fan-out-2000',
    );
    expect(made.statusCode, made.body).toBe(201);
    const fanOut = made.json();
    expect(fanOut.unitCount).toBe(UNITS); // the origin's lead unit is left out
    const id = fanOut.id as string;
    const item = await db.$queryRaw<
      Array<{ commonality: string }>
    >`SELECT commonality FROM items WHERE id = ${originId}`;
    expect(item[0]!.commonality).toBe('common');

    await waitFor(async () => {
      const [r] = await db.$queryRaw<Array<{ status: string }>>`SELECT status FROM fan_outs WHERE id = ${id}`;
      return r!.status === 'answering';
    }, 600_000);
    const allAskedMs = Date.now() - started;

    // 存在 through the API: each opens its item; a retry with the same key gets the same answer.
    for (let i = 0; i < PRESENT; i++) {
      const unit = handlerOf(peer(i));
      const body = { answer: 'present', reason: '本街道两个农贸市场存在同类问题' };
      const first = await post(unit, `/api/fan-outs/${id}/answers`, body, `answer-${i}`);
      expect(first.statusCode, first.body).toBe(200);
      expect(first.json().itemId).toBe(fanOutItemId(id, peer(i)));
      const retry = await post(unit, `/api/fan-outs/${id}/answers`, body, `answer-${i}`);
      expect(retry.json()).toEqual(first.json());
      const again = await post(unit, `/api/fan-outs/${id}/answers`, { answer: 'absent', reason: '改口' });
      expect(again.statusCode).toBe(409);
      expect(again.json().message).toContain('答复不能更改');
    }
    // Two answers of one unit at once: one is taken, the other refused, one item.
    const racing = handlerOf(peer(PRESENT));
    const raced = await Promise.all(
      [1, 2].map(() => post(racing, `/api/fan-outs/${id}/answers`, { answer: 'present', reason: '同时提交' })),
    );
    expect(raced.map((r) => r.statusCode).sort()).toEqual([200, 409]);

    // 不存在 from 1,200 units (through the service: HTTP adds nothing this test needs).
    const absentUnits = Array.from({ length: ABSENT }, (_, i) => peer(PRESENT + 1 + i));
    for (let i = 0; i < absentUnits.length; i += 8)
      await Promise.all(
        absentUnits.slice(i, i + 8).map((u) =>
          answerFanOut(options.services, handlerOf(u), id, {
            answer: 'absent',
            reason: '经排查不存在',
            attachments: [],
          }),
        ),
      );

    const handle = env.client.workflow.getHandle(fanOutWorkflowId(id));
    const outcome = (await handle.result()) as FanOutOutcome;
    const silent = UNITS - PRESENT - 1 - ABSENT;

    expect(outcome.asked).toBe(UNITS);
    expect(outcome.rungsFired).toEqual(['remind', 'chase', 'red']);
    const asks = await db.$queryRaw<Array<{ n: number; units: number }>>`
      SELECT count(*)::int AS n, count(DISTINCT unit_ids[1])::int AS units FROM notification_requests
      WHERE subject_kind = 'fan_out' AND subject_id = ${id} AND kind = 'fan_out_ask'`;
    expect(asks[0]).toEqual({ n: UNITS, units: UNITS });
    const [counts] = await db.$queryRaw<Array<Record<string, number>>>`
      SELECT count(*) FILTER (WHERE asked_at IS NOT NULL)::int AS asked,
             count(*) FILTER (WHERE answer IS NULL AND chased = 3)::int AS "silentChased3",
             count(*) FILTER (WHERE answer IS NOT NULL AND chased = 0)::int AS "answeredUnchased",
             count(*) FILTER (WHERE sampled)::int AS sampled,
             count(*) FILTER (WHERE sampled AND answer = 'absent')::int AS "sampledAbsent",
             count(*) FILTER (WHERE answer = 'present' AND item_id IS NOT NULL)::int AS linked
      FROM fan_out_units WHERE fan_out_id = ${id}`;
    expect(counts).toEqual({
      asked: UNITS,
      silentChased3: silent,
      answeredUnchased: UNITS - silent,
      sampled: sampleSize(SHARE, ABSENT),
      sampledAbsent: sampleSize(SHARE, ABSENT),
      linked: PRESENT + 1,
    });
    expect(sampleSize(SHARE, ABSENT)).toBe(120);
    const chases = await db.$queryRaw<Array<{ kind: string; n: number }>>`
      SELECT kind, count(*)::int AS n FROM notification_requests
      WHERE subject_kind = 'fan_out' AND subject_id = ${id} AND kind <> 'fan_out_ask' GROUP BY kind ORDER BY kind`;
    expect(chases).toEqual([
      { kind: 'fan_out_chase', n: silent },
      { kind: 'fan_out_red', n: silent },
      { kind: 'fan_out_remind', n: silent },
    ]);
    // Each 存在 opened exactly one item, recorded once.
    const items = await db.$queryRaw<Array<{ n: number; creations: number }>>`
      SELECT count(DISTINCT i.id)::int AS n, count(e.*)::int AS creations FROM items i
      JOIN item_events e ON e.item_id = i.id AND e.action = 'create'
      WHERE i.id LIKE ${`fo${id}-%`}`;
    expect(items[0]).toEqual({ n: PRESENT + 1, creations: PRESENT + 1 });
    const opened5 = await db.$queryRaw<Array<{ commonality: string; lead_unit_id: string }>>`
      SELECT commonality, lead_unit_id FROM items WHERE id = ${fanOutItemId(id, peer(0))}`;
    expect(opened5[0]).toEqual({ commonality: 'common', lead_unit_id: peer(0) });

    // Bounded: one run per batch of at most 500 children, then the ladder's run.
    const history = await runs(fanOutWorkflowId(id));
    expect(history.map((r) => r.childrenStarted)).toEqual([500, 500, 500, 500, 0]);
    for (const r of history) {
      expect(r.peakPending).toBeLessThanOrEqual(ASK_BATCH);
      // Temporal warns at 10,240 events a run and refuses at 51,200.
      expect(r.events).toBeLessThan(10_240);
    }
    const total = history.reduce((n, r) => n + r.events, 0);
    console.log(
      `fan-out to ${UNITS} units: all asked in ${allAskedMs} ms; history ${history.map((r) => r.events).join(' + ')} = ${total} events; peak pending children ${Math.max(...history.map((r) => r.peakPending))}`,
    );

    // A late 不存在 is still taken (and drawn on its own); an overturned one opens its item once.
    clock = Number(await env.currentTimeMs());
    const late = await post(handlerOf(peer(UNITS - 1)), `/api/fan-outs/${id}/answers`, {
      answer: 'absent',
      reason: '逾期答复：经排查不存在',
    });
    expect(late.statusCode, late.body).toBe(200);
    expect(late.json().late).toBe(true);
    const [drawn] = await db.$queryRaw<Array<{ unit_id: string }>>`
      SELECT unit_id FROM fan_out_units WHERE fan_out_id = ${id} AND sampled AND answer = 'absent' ORDER BY unit_id LIMIT 1`;
    const check = (decision: string, key: string) =>
      post(
        supervisor,
        `/api/fan-outs/${id}/units/${drawn!.unit_id}/spot-check`,
        { decision, note: '现场核查发现同类问题' },
        key,
      );
    const overturned = await check('overturned', 'check-1');
    expect(overturned.statusCode, overturned.body).toBe(200);
    expect(overturned.json()).toMatchObject({ spotCheck: 'overturned', itemId: fanOutItemId(id, drawn!.unit_id) });
    expect((await check('overturned', 'check-1')).json()).toEqual(overturned.json());
    expect((await check('upheld', 'check-2')).statusCode).toBe(409);
    const board = await app.inject({ url: `/api/items/${originId}/fan-outs`, headers: bearer(supervisor) });
    expect(board.json().fanOuts[0].coverage).toMatchObject({
      asked: UNITS,
      answered: PRESENT + 1 + ABSENT + 1,
      present: PRESENT + 1,
      silent: silent - 1,
      late: 1,
      checked: 1,
      overturned: 1,
      itemsOpened: PRESENT + 2,
    });
  }, 900_000);
});
