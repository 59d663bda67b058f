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
import { percentile, pool } from './stats';

const require = createRequire(import.meta.url);
const supervisor: Actor = { userId: 'i-sup', name: '督查', role: 'supervisor', unitId: 'dcs' };
const handler: Actor = { userId: 'i-a', name: '经办', role: 'unit_handler', unitId: 'unit-a' };

export async function runInteraction(stack: EmbeddedStack, levels: number[], samples: number) {
  const { db, client, nativeConnection } = stack;
  await db.user.createMany({
    data: [supervisor, handler].map((a) => ({ id: a.userId, name: a.name, role: a.role, unitId: a.unitId })),
    skipDuplicates: true,
  });
  const taskQueue = 'bench-interaction';
  const { client: ours, worker, app, base } = await startOurs(stack, taskQueue);
  // The workflow code from before the record-after-accept guarantee, measured in the same run.
  const beforeQueue = 'bench-interaction-before';
  const old = await startOurs(stack, beforeQueue, { workflowBundle: await localRecordBundle() });
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
    const ids: string[] = [];
    await pool(
      Array.from({ length: samples }, (_, i) => i),
      20,
      async (i) => {
        const id = `${prefix}-${i}-${Date.now().toString(36)}`;
        await openItem(temporal, queue, {
          id,
          problemListId: null,
          spec: {
            title: `交互测试${i}`,
            description: '',
            category: 'inspection',
            priority: 'normal',
            source: '',
            leadUnitId: 'unit-a',
            coUnitIds: [],
            dueDate: '2026-12-31',
          },
          createdBy: supervisor,
          config: { maxDeclines: 2 },
          policy: DEFAULT_POLICY,
        });
        ids.push(id);
      },
    );
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
  try {
    await worker.runUntil(async () => {
      await old.worker.runUntil(() =>
        bareWorker.runUntil(async () => {
          for (const users of levels) {
            const oursMs = await signAll(ours, taskQueue, base, `IX${users}`, users);
            const beforeMs = await signAll(old.client, beforeQueue, old.base, `IXB${users}`, users);
            const bareIds: string[] = [];
            await pool(
              Array.from({ length: samples }, (_, i) => i),
              20,
              async (i) => {
                const workflowId = `bare-ix-${users}-${i}-${Date.now()}`;
                await client.workflow.executeUpdateWithStart(bareCreated, {
                  startWorkflowOperation: new WithStartWorkflowOperation(bareItemWorkflow, {
                    workflowId,
                    taskQueue: 'bench-interaction-bare',
                    workflowIdConflictPolicy: 'FAIL',
                  }),
                });
                bareIds.push(workflowId);
              },
            );
            const bareMs: number[] = [];
            await pool(bareIds, users, async (workflowId) => {
              const t0 = performance.now();
              await client.workflow.getHandle(workflowId).executeUpdate(bareAct, { args: ['sign'] });
              bareMs.push(performance.now() - t0);
            });
            const o = stat(oursMs);
            const before = stat(beforeMs);
            const b = stat(bareMs);
            rows.push({
              users,
              'ours p50': o.p50,
              'ours p95': o.p95,
              'ours p99': o.p99,
              'before p50': before.p50,
              'before p99': before.p99,
              'bare p50': b.p50,
              'bare p95': b.p95,
              'bare p99': b.p99,
              'p50 ratio': o.p50 / b.p50,
              'p50 after/before': o.p50 / before.p50,
            });
          }
        }),
      );
    });
  } finally {
    await app.close();
    await old.app.close();
  }
  const signed = await db.itemEvent.count({ where: { action: 'sign', itemId: { startsWith: 'IX' } } });
  const correct = failed === 0 && signed === 2 * levels.length * samples;
  return { rows, correct, json: { levels, samples, rows, failed, signed, correct } };
}
