/**
 * Lifecycle benchmark (issue: the closed loop). On the embedded stack (embedded PostgreSQL, the
 * Temporal dev server with its data in a file, a worker and the API in this process), N items go
 * open → sign → plan → submit → verify(close) over HTTP; then, in the same run, N bare workflows
 * take the same Updates with no API and no database. Prints a table and the ratio, and checks
 * afterwards that every item is closed with exactly one event per transition.
 *
 */
import { WithStartWorkflowOperation } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { createRequire } from 'node:module';
import type { Actor } from '../domain/actors';
import { signToken } from '../lib/tokens';
import { BENCH_SECRET, startOurs } from './ours';
import { localRecordBundle } from './before';
import { bareAct, bareCreated, bareItemWorkflow } from './bare-workflow';
import { bareRecordedWorkflow, recordedAct, recordedCreated } from './bare-recorded-workflow';
import { bareRecordActivities, bareRecorded } from './bare-record-activities';
import type { EmbeddedStack } from '../dev/embedded-stack';
import { pool, summary } from './stats';

const require = createRequire(import.meta.url);

/** Concurrent clients for the knee, each running items through the loop one after another. */
const KNEE_LEVELS = [1, 2, 5, 10, 20, 40, 80];

export interface LifecycleResult {
  rows: Array<Record<string, string | number>>;
  summary: Array<Record<string, string | number>>;
  knee: Array<Record<string, string | number>>;
  kneeAt: number | string;
  correct: boolean;
  json: {
    oursRate: number;
    beforeRate?: number;
    bareRate: number;
    recordedRate: number;
    ratio: number;
    guaranteeCost?: number;
  } & Record<string, unknown>;
}

/** `before`: also the workflow code from before the record-after-accept guarantee (issue 19's comparison). */
export async function runLifecycle(
  stack: EmbeddedStack,
  N: number,
  CONCURRENCY: number,
  before = true,
): Promise<LifecycleResult> {
  const { db, client, nativeConnection } = stack;
  const supervisor: Actor = { userId: 'b-sup', name: '督查', role: 'supervisor', unitId: 'dcs' };
  const handler: Actor = { userId: 'b-a', name: '经办', role: 'unit_handler', unitId: 'unit-a' };
  const verifier: Actor = { userId: 'b-v', name: '核查', role: 'verifier', unitId: 'dcs' };
  const auth = (a: Actor) => ({
    authorization: `Bearer ${signToken(a, BENCH_SECRET)}`,
    'content-type': 'application/json',
  });

  // --- ours: HTTP → API → Temporal → worker → PostgreSQL
  const ourQueue = 'bench-items';
  // As the product runs: payloads encrypted, users in the database, limits lifted for the load.
  await db.user.createMany({
    data: [supervisor, handler, verifier].map((a) => ({ id: a.userId, name: a.name, role: a.role, unitId: a.unitId })),
    skipDuplicates: true,
  });
  const { worker, app, base } = await startOurs(stack, ourQueue);
  const afterIds: string[] = [];

  const STEPS: Array<[string, Actor, unknown]> = [
    ['sign', handler, {}],
    ['filePlan', handler, { plan: '整改方案' }],
    ['submit', handler, { summary: '申请销号' }],
    ['verifyPass', verifier, { opinion: '通过' }],
  ];
  const latency: Record<string, number[]> = { create: [], ...Object.fromEntries(STEPS.map(([a]) => [a, []])) };

  async function timed<T>(bucket: number[], fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const out = await fn();
    bucket.push(performance.now() - t0);
    return out;
  }

  async function post(at: string, url: string, actor: Actor, body: unknown): Promise<{ item: { id: string } }> {
    const res = await fetch(`${at}${url}`, { method: 'POST', headers: auth(actor), body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { item: { id: string } };
  }

  /** n items through the whole loop, c at a time, on the API at `at`; every item's id kept in `ids` for the checks after. */
  function loop(n: number, c: number, into: Record<string, number[]>, at = base, ids = afterIds) {
    return pool(
      Array.from({ length: n }, (_, i) => i),
      c,
      async (i) => {
        const { item } = await timed(into.create!, () =>
          post(at, '/api/items', supervisor, {
            title: `基准事项${i}`,
            leadUnitId: 'unit-a',
            dueDate: '2026-12-31',
            category: 'inspection',
          }),
        );
        ids.push(item.id);
        for (const [action, actor, body] of STEPS)
          await timed(into[action]!, () => post(at, `/api/items/${item.id}/${action}`, actor, body));
      },
    );
  }
  const fresh = (): Record<string, number[]> => ({ create: [], ...Object.fromEntries(STEPS.map(([a]) => [a, []])) });

  // The knee: the same loop at rising concurrency, a few items per client, until latency climbs
  // while throughput stops growing.
  const knee: Array<Record<string, string | number>> = [];
  let oursSeconds = 0;
  await worker.runUntil(async () => {
    for (const c of KNEE_LEVELS) {
      const lat = fresh();
      const n = Math.max(30, c * 4);
      const t0 = performance.now();
      await loop(n, c, lat);
      const seconds = (performance.now() - t0) / 1000;
      const confirmed = summary(Object.values(lat).flat());
      knee.push({
        concurrency: c,
        items: n,
        'items/s': n / seconds,
        'step p50 ms': confirmed.p50,
        'step p99 ms': confirmed.p99,
      });
    }
    const oursStart = performance.now();
    await loop(N, CONCURRENCY, latency);
    oursSeconds = (performance.now() - oursStart) / 1000;
  });
  const base1 = Number(knee[0]?.['step p50 ms'] ?? 1);
  const kneeAt =
    knee.find((k) => Number(k['step p50 ms']) > 2 * base1)?.concurrency ?? `> ${KNEE_LEVELS[KNEE_LEVELS.length - 1]}`;

  // Correctness after the run: every item closed, one event per transition, nothing twice.
  async function check(ids: string[]) {
    const closed = await db.item.count({ where: { id: { in: ids }, status: 'closed' } });
    const events = await db.itemEvent.count({ where: { itemId: { in: ids } } });
    const perItem = await db.$queryRaw<Array<{ bad: bigint }>>`
    SELECT count(*) AS bad FROM (SELECT item_id FROM item_events WHERE item_id = ANY(${ids}) GROUP BY item_id
    HAVING count(*) <> ${STEPS.length + 1} OR max(seq) <> ${STEPS.length + 1}) x`;
    const ok =
      closed === ids.length && events === ids.length * (STEPS.length + 1) && Number(perItem[0]?.bad ?? 1) === 0;
    return ok ? 'yes' : `NO (closed ${closed}/${ids.length}, events ${events})`;
  }
  const afterCheck = await check(afterIds);

  // --- the same loop on the workflow code from before the guarantee (a local activity wrote each
  // transition inside the accepting workflow task): the guarantee's cost, measured in this run.
  const beforeIds: string[] = [];
  const beforeLatency = fresh();
  let beforeSeconds = NaN;
  let beforeCheck = 'yes';
  if (before) {
    const old = await startOurs(stack, 'bench-items-before', { workflowBundle: await localRecordBundle() });
    const beforeStart = performance.now();
    await old.worker.runUntil(() => loop(N, CONCURRENCY, beforeLatency, old.base, beforeIds));
    beforeSeconds = (performance.now() - beforeStart) / 1000;
    await old.app.close();
    beforeCheck = await check(beforeIds);
  }

  // --- baselines: bare workflows, the same Updates, no API; plain (no database), then each
  // Update answered after one activity writing a row (the engine's floor for the guarantee)
  async function bareLoop(recorded: boolean): Promise<{ latency: number[]; seconds: number }> {
    const queue = recorded ? 'bench-bare-recorded' : 'bench-bare';
    const bareWorker = await Worker.create({
      connection: nativeConnection,
      taskQueue: queue,
      ...(recorded ? { activities: await bareRecordActivities(db) } : {}),
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: require.resolve(recorded ? './bare-recorded-workflow.ts' : './bare-workflow.ts'),
        logger: new DefaultLogger('WARN'),
      }),
    });
    const latency: number[] = [];
    const start = performance.now();
    await bareWorker.runUntil(
      pool(
        Array.from({ length: N }, (_, i) => i),
        CONCURRENCY,
        async (i) => {
          const workflowId = `${queue}-${i}-${Date.now()}`;
          await timed(latency, () =>
            client.workflow.executeUpdateWithStart(recorded ? recordedCreated : bareCreated, {
              startWorkflowOperation: new WithStartWorkflowOperation(
                recorded ? bareRecordedWorkflow : bareItemWorkflow,
                {
                  workflowId,
                  taskQueue: queue,
                  workflowIdConflictPolicy: 'FAIL',
                },
              ),
            }),
          );
          const handle = client.workflow.getHandle(workflowId);
          for (const [action] of STEPS)
            await timed(latency, () => handle.executeUpdate(recorded ? recordedAct : bareAct, { args: [action] }));
        },
      ),
    );
    return { latency, seconds: (performance.now() - start) / 1000 };
  }
  const { latency: bareLatency, seconds: bareSeconds } = await bareLoop(false);
  const { latency: recordedLatency, seconds: recordedSeconds } = await bareLoop(true);
  const recordedRows = await bareRecorded(db, 'bench-bare-recorded-', 'verifyPass');
  const correct = afterCheck === 'yes' && beforeCheck === 'yes' && recordedRows === N;

  const oursRate = N / oursSeconds;
  const beforeRate = N / beforeSeconds;
  const bareRate = N / bareSeconds;
  const recordedRate = N / recordedSeconds;
  const rows = [
    ...Object.entries(latency).map(([action, samples]) => ({ run: 'ours (HTTP+API+PG)', action, ...summary(samples) })),
    ...(before
      ? Object.entries(beforeLatency).map(([action, samples]) => ({
          run: 'ours before (local-activity record)',
          action,
          ...summary(samples),
        }))
      : []),
    { run: 'bare Temporal', action: 'every update', ...summary(bareLatency) },
    { run: 'bare + record activity', action: 'every update', ...summary(recordedLatency) },
  ].map((r) => ({ run: r.run, action: r.action, n: r.n, 'p50 ms': r.p50, 'p99 ms': r.p99, 'max ms': r.max }));

  await app.close();
  const summaryRows = [
    {
      run: 'ours (HTTP+API+PG)',
      'items/s': oursRate,
      seconds: oursSeconds,
      correct: afterCheck,
    },
    ...(before
      ? [
          {
            run: 'ours before (local-activity record)',
            'items/s': beforeRate,
            seconds: beforeSeconds,
            correct: beforeCheck,
          },
          {
            run: 'cost of the guarantee (after/before)',
            'items/s': oursRate / beforeRate,
            seconds: oursSeconds / beforeSeconds,
            correct: '',
          },
        ]
      : []),
    { run: 'bare Temporal', 'items/s': bareRate, seconds: bareSeconds, correct: '-' },
    { run: 'ratio ours/bare', 'items/s': oursRate / bareRate, seconds: oursSeconds / bareSeconds, correct: '' },
    {
      run: 'bare + record activity',
      'items/s': recordedRate,
      seconds: recordedSeconds,
      correct: recordedRows === N ? 'yes' : `NO (${recordedRows}/${N} recorded)`,
    },
    {
      run: 'ratio ours/(bare + record)',
      'items/s': oursRate / recordedRate,
      seconds: oursSeconds / recordedSeconds,
      correct: '',
    },
  ];
  return {
    rows,
    summary: summaryRows,
    knee,
    kneeAt,
    correct,
    json: {
      N,
      CONCURRENCY,
      oursRate,
      ...(before ? { beforeRate, guaranteeCost: oursRate / beforeRate } : {}),
      bareRate,
      ratio: oursRate / bareRate,
      recordedRate,
      recordedRatio: recordedRate / bareRate,
      kneeAt,
      knee,
      correct,
      rows,
    },
  };
}
