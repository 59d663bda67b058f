/**
 * Interaction latency: one action that must be confirmed (签收, an Update through the API) with
 * 1, 10 and 50 users acting at once; p50/p95/p99. Baseline, same run and concurrency: the same
 * Update on bare workflows, no API, no database.
 */
import { type Client, WithStartWorkflowOperation } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { createRequire } from 'node:module';
import type { Actor } from '../domain/actors';
import { DEFAULT_POLICY } from '../domain/policy';
import type { EmbeddedStack } from '../dev/embedded-stack';
import { openItem } from '../workflows/client/items';
import { signToken } from '../lib/tokens';
import { BENCH_SECRET, startOurs } from './ours';
import { localRecordBundle } from './before';
import { bareAct, bareCreated, bareItemWorkflow } from './bare-workflow';
import { bareRecordedWorkflow, recordedAct, recordedCreated } from './bare-recorded-workflow';
import { bareRecordActivities, bareRecorded } from './bare-record-activities';
import { percentile, pool } from './stats';

const require = createRequire(import.meta.url);
const supervisor: Actor = { userId: 'i-sup', name: '督查', role: 'supervisor', unitId: 'dcs' };
const handler: Actor = { userId: 'i-a', name: '经办', role: 'unit_handler', unitId: 'unit-a' };

/**
 * `before`: also the workflow code from before the record-after-accept guarantee (issue 19's
 * comparison). Always: the bare Update, and the bare Update whose handler first records one row
 * by an ordinary activity — the engine's floor for an action recorded after Temporal accepts it.
 */
/**
 * `n` items opened straight through Temporal (no API request, not measured), assigned to unit-a
 * and waiting for its 签收; their ids.
 */
export async function openToSign(
  temporal: Client,
  queue: string,
  prefix: string,
  n: number,
  createdBy: Actor,
): Promise<string[]> {
  const ids: string[] = [];
  await pool(
    Array.from({ length: n }, (_, i) => i),
    20,
    async (i) => {
      const id = `${prefix}-${i}-${Date.now().toString(36)}`;
      await openItem(temporal, queue, {
        id,
        problemListId: null,
        spec: {
          title: `${prefix}测试${i}`,
          description: '',
          category: 'inspection',
          priority: 'normal',
          source: '',
          leadUnitId: 'unit-a',
          coUnitIds: [],
          dueDate: '2026-12-31',
        },
        createdBy,
        config: { maxDeclines: 2 },
        policy: DEFAULT_POLICY,
      });
      ids.push(id);
    },
  );
  return ids;
}

export async function runInteraction(stack: EmbeddedStack, levels: number[], samples: number, before = true) {
  const { db, client, nativeConnection } = stack;
  const recordActivities = await bareRecordActivities(db);

  await db.user.createMany({
    data: [supervisor, handler].map((a) => ({ id: a.userId, name: a.name, role: a.role, unitId: a.unitId })),
    skipDuplicates: true,
  });
  const taskQueue = 'bench-interaction';
  const { client: ours, worker, app, base } = await startOurs(stack, taskQueue);
  // The workflow code from before the record-after-accept guarantee, measured in the same run.
  const beforeQueue = 'bench-interaction-before';
  const old = before ? await startOurs(stack, beforeQueue, { workflowBundle: await localRecordBundle() }) : undefined;
  const recordedWorker = await Worker.create({
    connection: nativeConnection,
    taskQueue: 'bench-interaction-bare-recorded',
    activities: recordActivities,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: require.resolve('./bare-recorded-workflow.ts'),
      logger: new DefaultLogger('WARN'),
    }),
  });
  const bareWorker = await Worker.create({
    connection: nativeConnection,
    taskQueue: 'bench-interaction-bare',
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: require.resolve('./bare-workflow.ts'),
      logger: new DefaultLogger('WARN'),
    }),
  });
  const token = signToken({ userId: handler.userId }, BENCH_SECRET);
  const rows: Array<Record<string, string | number>> = [];
  let failed = 0;
  const stat = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99) };
  };
  /** `samples` items opened beforehand (not measured), then each signed through the API at `at`, `users` at once. */
  async function signAll(temporal: Client, queue: string, at: string, prefix: string, users: number) {
    const ids = await openToSign(temporal, queue, prefix, samples, supervisor);
    const ms: number[] = [];
    await pool(ids, users, async (id) => {
      const t0 = performance.now();
      const res = await fetch(`${at}/api/items/${id}/sign`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      await res.arrayBuffer();
      ms.push(performance.now() - t0);
      if (res.status !== 200) failed++;
    });
    return ms;
  }
  /** `samples` bare workflows started and created (not measured), then each acted on `users` at once. */
  async function bareAll(prefix: string, queue: string, users: number, recorded: boolean) {
    const ids: string[] = [];
    await pool(
      Array.from({ length: samples }, (_, i) => i),
      20,
      async (i) => {
        const workflowId = `${prefix}-${users}-${i}-${Date.now()}`;
        await client.workflow.executeUpdateWithStart(recorded ? recordedCreated : bareCreated, {
          startWorkflowOperation: new WithStartWorkflowOperation(recorded ? bareRecordedWorkflow : bareItemWorkflow, {
            workflowId,
            taskQueue: queue,
            workflowIdConflictPolicy: 'FAIL',
          }),
        });
        ids.push(workflowId);
      },
    );
    const ms: number[] = [];
    await pool(ids, users, async (workflowId) => {
      const t0 = performance.now();
      await client.workflow.getHandle(workflowId).executeUpdate(recorded ? recordedAct : bareAct, { args: ['sign'] });
      ms.push(performance.now() - t0);
    });
    return ms;
  }
  const measureAll = async () => {
    for (const users of levels) {
      const o = stat(await signAll(ours, taskQueue, base, `IX${users}`, users));
      const b = old ? stat(await signAll(old.client, beforeQueue, old.base, `IXB${users}`, users)) : undefined;
      const bare = stat(await bareAll('bare-ix', 'bench-interaction-bare', users, false));
      const rec = stat(await bareAll('bare-rec-ix', 'bench-interaction-bare-recorded', users, true));
      rows.push({
        users,
        'ours p50': o.p50,
        'ours p95': o.p95,
        'ours p99': o.p99,
        ...(b ? { 'before p50': b.p50, 'before p99': b.p99 } : {}),
        'bare p50': bare.p50,
        'bare p95': bare.p95,
        'bare p99': bare.p99,
        'bare+record p50': rec.p50,
        'bare+record p99': rec.p99,
        'p50 ratio': o.p50 / bare.p50,
        'p99 ratio': o.p99 / bare.p99,
        'p50 ÷ bare+record': o.p50 / rec.p50,
        ...(b ? { 'p50 after/before': o.p50 / b.p50 } : {}),
      });
    }
  };
  try {
    await worker.runUntil(() =>
      recordedWorker.runUntil(() => bareWorker.runUntil(() => (old ? old.worker.runUntil(measureAll) : measureAll()))),
    );
  } finally {
    await app.close();
    await old?.app.close();
  }
  const signed = await db.itemEvent.count({ where: { action: 'sign', itemId: { startsWith: 'IX' } } });
  const recorded = await bareRecorded(db, 'bare-rec-ix-', 'sign');
  const correct =
    failed === 0 && signed === (old ? 2 : 1) * levels.length * samples && recorded === levels.length * samples;
  return { rows, correct, json: { levels, samples, rows, failed, signed, correct } };
}
