/**
 * Opening items (issue 20). On the embedded stack, N items opened through the API (POST
 * /api/items, as the lifecycle benchmark opens them) C at a time, each answer confirmed by its row
 * in PostgreSQL; then, in the same run, N bare workflow starts at the same concurrency.
 *
 * The bare counterpart does what our open asks of the engine before it answers, less the
 * product's own work: our open is an update-with-start that returns once the item's creation is
 * recorded (workflows/client/items.ts openItem: first workflow task → record activity → second
 * task completes the Update), so the bare one is an update-with-start whose handler runs one
 * activity that does nothing and answers after it (bench/bare-recorded-workflow.ts, the
 * interaction benchmark's bare+record with no row written). For reference, beside it:
 * an update-with-start answered in the first task (bench/bare-workflow.ts, no activity), and a
 * plain start, which waits for no task.
 */
import { WithStartWorkflowOperation } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createRequire } from 'node:module';
import type { Actor } from '../domain/actors';
import type { EmbeddedStack } from '../dev/embedded-stack';
import { signToken } from '../lib/tokens';
import { bareCreated, bareItemWorkflow } from './bare-workflow';
import { bareRecordedWorkflow, recordedCreated, type BareRecordActivities } from './bare-recorded-workflow';
import { BENCH_SECRET, startOurs } from './ours';
import { pool, summary } from './stats';

const require = createRequire(import.meta.url);

const bareBundles = new Map<string, Promise<WorkflowBundle>>();
const bundleOf = (file: string) => {
  if (!bareBundles.has(file))
    bareBundles.set(
      file,
      bundleWorkflowCode({ workflowsPath: require.resolve(file), logger: new DefaultLogger('WARN') }),
    );
  return bareBundles.get(file)!;
};
// The engine work only: the record activity writes nothing.
const noRecord: BareRecordActivities = { recordRow: async () => {} };

export interface Timed {
  latency: number[];
  seconds: number;
}

/** Runs `fn` over 0…n−1, c at a time, timing each call and the whole; `then` (untimed) gets each answer. */
async function timedPool<T>(
  n: number,
  c: number,
  fn: (i: number) => Promise<T>,
  then?: (out: T) => Promise<void>,
): Promise<Timed> {
  const latency: number[] = [];
  const t0 = performance.now();
  await pool(
    Array.from({ length: n }, (_, i) => i),
    c,
    async (i) => {
      const s = performance.now();
      const out = await fn(i);
      latency.push(performance.now() - s);
      await then?.(out);
    },
  );
  return { latency, seconds: (performance.now() - t0) / 1000 };
}

/**
 * What a bare start waits for: `recorded`, an update-with-start answered after one empty activity
 * (the engine work of our open); `firstTask`, one answered in the workflow's first task; `start`,
 * a plain start.
 */
export type BareStart = 'recorded' | 'firstTask' | 'start';

/**
 * n bare workflow starts, c at a time, on their own task queue with a worker of their own. A few
 * unmeasured starts first, as the measured side gets.
 */
export async function bareStarts(stack: EmbeddedStack, n: number, c: number, kind: BareStart): Promise<Timed> {
  const taskQueue = `bench-bare-starts-${Date.now()}`;
  const worker = await Worker.create({
    connection: stack.nativeConnection,
    taskQueue,
    workflowBundle: await bundleOf(kind === 'recorded' ? './bare-recorded-workflow.ts' : './bare-workflow.ts'),
    activities: noRecord,
  });
  const start = async (workflowId: string): Promise<void> => {
    const options = { workflowId, taskQueue, workflowIdConflictPolicy: 'FAIL' as const };
    if (kind === 'start') await stack.client.workflow.start(bareItemWorkflow, options);
    else if (kind === 'firstTask')
      await stack.client.workflow.executeUpdateWithStart(bareCreated, {
        startWorkflowOperation: new WithStartWorkflowOperation(bareItemWorkflow, options),
      });
    else
      await stack.client.workflow.executeUpdateWithStart(recordedCreated, {
        startWorkflowOperation: new WithStartWorkflowOperation(bareRecordedWorkflow, options),
      });
  };
  return worker.runUntil(async () => {
    await timedPool(Math.min(c, n), c, (i) => start(`${taskQueue}-warm-${i}`));
    return timedPool(n, c, (i) => start(`${taskQueue}-${i}`));
  });
}

export async function runOpening(stack: EmbeddedStack, N: number, C: number) {
  const { db } = stack;
  const supervisor: Actor = { userId: 'b-sup', name: '督查', role: 'supervisor', unitId: 'dcs' };
  await db.user.createMany({
    data: [{ id: supervisor.userId, name: supervisor.name, role: supervisor.role, unitId: supervisor.unitId }],
    skipDuplicates: true,
  });
  const headers = {
    authorization: `Bearer ${signToken(supervisor, BENCH_SECRET)}`,
    'content-type': 'application/json',
  };

  // --- ours: HTTP → API → Temporal (update-with-start) → worker records → PostgreSQL → 200
  const { worker, app, base } = await startOurs(stack, 'bench-opening');
  const ids: string[] = [];
  let unconfirmed = 0;
  const open = async (i: number): Promise<string> => {
    const res = await fetch(`${base}/api/items`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        title: `开办基准${i}`,
        leadUnitId: 'unit-a',
        dueDate: '2026-12-31',
        category: 'inspection',
      }),
    });
    if (!res.ok) throw new Error(`POST /api/items: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { item: { id: string } }).item.id;
  };
  // The guarantee the answer gives: the row is in PostgreSQL once the API has answered.
  const confirm = async (id: string) => {
    ids.push(id);
    if (!(await db.item.findUnique({ where: { id }, select: { id: true } }))) unconfirmed++;
  };
  let ours: Timed;
  try {
    ours = await worker.runUntil(async () => {
      await timedPool(Math.min(C, N), C, open);
      return timedPool(N, C, open, confirm);
    });
  } finally {
    await app.close();
  }

  // Every item exists once with its opening event (seq 1) and nothing else.
  const [check] = await db.$queryRaw<Array<{ items: bigint; events: bigint; opening: bigint }>>`
    SELECT (SELECT count(*) FROM items WHERE id = ANY(${ids})) AS items,
           (SELECT count(*) FROM item_events WHERE item_id = ANY(${ids})) AS events,
           (SELECT count(DISTINCT item_id) FROM item_events WHERE item_id = ANY(${ids}) AND seq = 1) AS opening`;
  const distinct = new Set(ids).size;
  const correct =
    unconfirmed === 0 &&
    distinct === N &&
    Number(check?.items) === N &&
    Number(check?.events) === N &&
    Number(check?.opening) === N;

  // --- bare: the same count of starts at the same concurrency
  const bare = await bareStarts(stack, N, C, 'recorded');
  const firstTask = await bareStarts(stack, N, C, 'firstTask');
  const startOnly = await bareStarts(stack, N, C, 'start');

  const o = summary(ours.latency);
  const b = summary(bare.latency);
  const f = summary(firstTask.latency);
  const s = summary(startOnly.latency);
  const json = {
    N,
    C,
    oursP50: o.p50,
    oursP99: o.p99,
    bareP50: b.p50,
    bareP99: b.p99,
    oursRate: N / ours.seconds,
    bareRate: N / bare.seconds,
    firstTaskP50: f.p50,
    firstTaskRate: N / firstTask.seconds,
    startOnlyP50: s.p50,
    startOnlyRate: N / startOnly.seconds,
    /** bare p50 / ours p50: the target is ≥ 0.5. */
    ratio: b.p50 / o.p50,
    correct,
  };
  const rows = [
    { run: 'ours: POST /api/items, confirmed', ...o, 'items/s': json.oursRate },
    { run: 'bare update-with-start, one activity', ...b, 'items/s': json.bareRate },
    { run: 'bare update-with-start, first task', ...f, 'items/s': json.firstTaskRate },
    { run: 'bare start only (no task)', ...s, 'items/s': json.startOnlyRate },
  ].map((r) => ({
    run: r.run,
    n: r.n,
    'p50 ms': r.p50,
    'p99 ms': r.p99,
    'max ms': r.max,
    'per s': r['items/s'],
    'bare p50 / this p50': b.p50 / r.p50,
    correct: r.run.startsWith('ours') ? (correct ? 'yes' : `NO (${unconfirmed} unconfirmed)`) : '-',
  }));
  return { rows, correct, json };
}
