/**
 * 举一反三 to N units (2,000 by default) on the embedded stack's dev server: how long until every
 * unit is asked (one child workflow each, batches of 500, continue-as-new between them), each run's
 * history and the most children pending at once (read from the histories), then every unit
 * answers 不存在 at once (as the API writes answers: rows, then the signal) and the draw closes it.
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from '../domain/actors';
import { DEFAULT_FAN_OUT_LADDER, fanOutWorkflowId, sampleSize } from '../domain/fan-out';
import type { EmbeddedStack } from '../dev/embedded-stack';
import { openItem } from '../workflows/client/items';
import { fanOutAnsweredSignal, fanOutWorkflow, type FanOutOutcome } from '../workflows/fan-out';
import { startOurs } from './ours';

const supervisor: Actor = { userId: 'b-sup', name: '督查', role: 'supervisor', unitId: 'dcs' };

export async function runFanOutUnits(stack: EmbeddedStack, units: number) {
  const { db } = stack;
  const tag = randomUUID().slice(0, 6);
  const unitIds = Array.from({ length: units }, (_, i) => `fo-${tag}-${String(i).padStart(5, '0')}`);
  await db.unit.createMany({
    data: unitIds.map((id, i) => ({ id, name: `举一反三单位${tag}-${i}`, parentId: null, kind: 'township' })),
  });
  const taskQueue = `bench-fan-out-${tag}`;
  const { client, worker, app } = await startOurs(stack, taskQueue, { startsItems: true });
  const running = worker.run();
  try {
    const origin = await openItem(client, taskQueue, {
      id: `FOB${tag}`,
      problemListId: null,
      spec: {
        title: '农贸市场食品安全风险闭环管控不到位',
        description: '',
        category: 'inspection',
        priority: 'normal',
        source: '',
        leadUnitId: 'dcs',
        coUnitIds: [],
        dueDate: '2099-12-31',
      },
      createdBy: supervisor,
      config: { maxDeclines: 2 },
    });
    const id = `FOB${tag}`;
    // As the API's transaction writes them (api/fan-out-service.ts), due far ahead: no rung fires while this runs.
    await db.$executeRaw`
      INSERT INTO fan_outs (id, origin_item_id, requirements, selection, answer_days, answer_due, item_due_days,
                            spot_check_share, ladder, unit_count, status, created_by, created_by_name, created_at)
      VALUES (${id}, ${origin.id}, '排查同类问题', '{"kinds":["township"]}', 10, '2099-12-31', 20, 0.2,
              ${JSON.stringify(DEFAULT_FAN_OUT_LADDER)}::jsonb, ${units}, 'asking', ${supervisor.userId}, ${supervisor.name}, now())`;
    await db.$executeRaw`INSERT INTO fan_out_units (fan_out_id, unit_id) SELECT ${id}, unnest(${unitIds}::text[])`;

    const t0 = performance.now();
    const handle = await client.workflow.start(fanOutWorkflow, {
      workflowId: fanOutWorkflowId(id),
      taskQueue,
      args: [{ fanOutId: id }],
    });
    for (;;) {
      const [r] = await db.$queryRaw<Array<{ status: string }>>`SELECT status FROM fan_outs WHERE id = ${id}`;
      if (r?.status === 'answering') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const askedMs = performance.now() - t0;
    await db.$executeRaw`
      UPDATE fan_out_units SET answer = 'absent', reason = '经排查不存在', answered_by = 'bench', answered_by_name = '基准',
             answered_at = now() WHERE fan_out_id = ${id}`;
    const t1 = performance.now();
    await handle.signal(fanOutAnsweredSignal);
    const outcome = (await handle.result()) as FanOutOutcome;
    const closeMs = performance.now() - t1;

    // Each run, walked back from the last (a run's first event names the run it continues).
    const runs: Array<{ events: number; children: number; peakPending: number; bytes: number }> = [];
    let runId: string | undefined = (await handle.describe()).runId;
    while (runId) {
      const history = await client.workflow.getHandle(fanOutWorkflowId(id), runId).fetchHistory();
      let pending = 0;
      let peakPending = 0;
      let children = 0;
      for (const e of history.events ?? []) {
        if (e.startChildWorkflowExecutionInitiatedEventAttributes) {
          children++;
          peakPending = Math.max(peakPending, ++pending);
        }
        if (e.childWorkflowExecutionCompletedEventAttributes || e.childWorkflowExecutionFailedEventAttributes)
          pending--;
      }
      runs.unshift({
        events: history.events?.length ?? 0,
        children,
        peakPending,
        bytes: JSON.stringify(history).length,
      });
      runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    }
    const [check] = await db.$queryRaw<Array<{ asked: number; sampled: number; notices: number }>>`
      SELECT count(*) FILTER (WHERE asked_at IS NOT NULL)::int AS asked, count(*) FILTER (WHERE sampled)::int AS sampled,
             (SELECT count(*)::int FROM notification_requests WHERE subject_kind = 'fan_out' AND subject_id = ${id} AND kind = 'fan_out_ask') AS notices
      FROM fan_out_units WHERE fan_out_id = ${id}`;
    const totalEvents = runs.reduce((n, r) => n + r.events, 0);
    const peakPending = Math.max(...runs.map((r) => r.peakPending));
    const correct =
      outcome.asked === units &&
      check!.asked === units &&
      check!.notices === units &&
      check!.sampled === sampleSize(0.2, units) &&
      peakPending <= 500;
    const rows = runs.map((r, i) => ({
      run: i + 1,
      children: r.children,
      'peak pending': r.peakPending,
      events: r.events,
      'history KiB': Math.round(r.bytes / 1024),
    }));
    return {
      correct,
      rows,
      json: { units, askedMs, closeMs, runs, totalEvents, peakPending, sampled: check!.sampled },
    };
  } finally {
    await app.close();
    worker.shutdown();
    await running;
  }
}
