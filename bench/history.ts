/**
 * History per item: an item kept open a simulated year (time-skipping server) with monthly
 * progress reports and 20 resubmissions before it closes: events and bytes of its history, and
 * of the largest single payload, against Temporal's limits (50,000 events, 50 MB).
 */
import { DEFAULT_POLICY } from '../domain/policy';
import { parseCommand } from '../domain/commands';
import { addDays, shanghaiDate } from '../domain/calendar';
import type { Actor } from '../domain/actors';
import type { EmbeddedStack } from '../dev/embedded-stack';
import { actOnItem, openItem } from '../workflows/client/items';
import { timeSkippingEnv } from '../dev/time-skipping';
import { itemWorkflowId } from '../workflows/ids';
import { createWorker } from '../worker/create';
import { workerOptions, workflowCode } from '../app/compose';
import { configWith } from '../lib/config';

const supervisor: Actor = { userId: 'h-sup', name: '督查', role: 'supervisor', unitId: 'dcs' };
const lead: Actor = { userId: 'h-a', name: '经办', role: 'unit_handler', unitId: 'unit-a' };
const verifier: Actor = { userId: 'h-v', name: '核查', role: 'verifier', unitId: 'dcs' };

export async function runHistory(stack: EmbeddedStack, resubmissions: number) {
  const env = await timeSkippingEnv();
  try {
    // No workflow cache on the time-skipping server (see dev/time-skipping.ts); its client encrypts nothing.
    const config = configWith({
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      TEMPORAL_TASK_QUEUE: 'bench-history',
      WORKER_MAX_CACHED_WORKFLOWS: '0',
    });
    const worker = await createWorker(
      workerOptions(config, {
        connection: env.nativeConnection,
        db: stack.db,
        temporal: env.client,
        workflowBundle: (await workflowCode(config)).bundle,
      }),
    );
    return await worker.runUntil(async () => {
      const start = shanghaiDate(await env.currentTimeMs());
      const id = `H${Date.now().toString(36)}`;
      await openItem(env.client, 'bench-history', {
        id,
        problemListId: null,
        spec: {
          title: '全年跟踪的整改事项',
          description: '',
          category: 'annual_task',
          priority: 'normal',
          source: '',
          leadUnitId: 'unit-a',
          coUnitIds: [],
          dueDate: addDays(start, 364),
        },
        createdBy: supervisor,
        config: { maxDeclines: 2 },
        policy: { ...DEFAULT_POLICY, id: 'monthly', progressEveryDays: 21 },
      });
      const act = (action: string, actor: Actor, payload: unknown) =>
        actOnItem(env.client, id, parseCommand({ action, payload, actor }));
      await act('sign', lead, {});
      await act('filePlan', lead, { plan: '全年整改方案：按月推进，季度评估' });
      for (let month = 1; month <= 12; month++) {
        await env.sleep('28 days');
        await act('reportProgress', lead, { text: `第${month}月进展：按计划推进`, percent: Math.min(100, month * 8) });
      }
      for (let i = 0; i < resubmissions; i++) {
        await act('submit', lead, { summary: `第${i + 1}次申请销号` });
        await act('verifyReturn', verifier, { reasons: `第${i + 1}次核查：材料不全` });
      }
      await act('submit', lead, { summary: '最终申请销号' });
      await act('verifyPass', verifier, { opinion: '同意销号' });
      await env.client.workflow.getHandle(itemWorkflowId(id)).result();
      const history = await env.client.workflow.getHandle(itemWorkflowId(id)).fetchHistory();
      const events = history.events?.length ?? 0;
      const bytes = Buffer.byteLength(JSON.stringify(history));
      let largest = 0;
      JSON.stringify(history, (_k, v) => {
        if (v && typeof v === 'object' && 'metadata' in v && 'data' in v)
          largest = Math.max(largest, Buffer.byteLength(JSON.stringify(v)));
        return v;
      });
      const recorded = await stack.db.itemEvent.count({ where: { itemId: id } });
      const transitions = 1 + 2 + 12 + resubmissions * 2 + 2;
      const correct = recorded >= transitions;
      const rows = [
        { measure: 'transitions recorded (plus ladder events)', value: recorded, note: `${transitions} transitions` },
        {
          measure: 'history events',
          value: events,
          note: `${((events / 50_000) * 100).toFixed(1)}% of the 50,000-event limit`,
        },
        { measure: 'history size (JSON)', value: bytes, note: `${(bytes / 1024).toFixed(0)} KiB of the 50 MB limit` },
        { measure: 'largest single payload', value: largest, note: 'bytes (JSON of the payload)' },
        {
          measure: 'continue-as-new',
          value: 0,
          note:
            events < 10_000 ? 'not needed: a year of a busy item stays far below the limits' : 'should be considered',
        },
      ];
      return { rows, correct, json: { resubmissions, events, bytes, largestPayload: largest, recorded, correct } };
    });
  } finally {
    await env.teardown();
  }
}
