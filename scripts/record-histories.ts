/**
 * Records the histories of the main item paths, as fixtures for the replay test
 * (tests/replay). Run it when a workflow change is meant to be incompatible and is released
 * behind a patch, or to add a path: `npm run record-histories`.
 *
 * `npm run record-histories -- --crossing-from <commit> <name>` also records an item that a
 * running item's life crosses a patch with: begun on the workflow code of <commit>, finished on
 * the current code (crossing-<name>.json).
 */
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { startEmbeddedStack } from '../dev/embedded-stack';
import path from 'node:path';
import { openItem, openProblemList } from '../workflows/client/items';
import { DEFAULT_POLICY } from '../domain/policy';
import { ROOT } from '../lib/root';
import { toolPath } from '../dev/tools';
import { itemWorkflowId, problemListWorkflowId } from '../workflows/ids';
import { calendarSignal } from '../workflows/messages';
import { bundleWorkflows, createWorker } from '../worker/create';
import { coC, leadA, leadB, leader, supervisor, verifier } from '../tests/support/actors';
import { act, newItemId, open, spec } from '../tests/support/items';
import { PlanSchema } from '../domain/monitoring';
import { savePlan } from '../lib/plans';
import { monitoringCycleWorkflow } from '../workflows/monitoring-cycle';
import { DEFAULT_FAN_OUT_LADDER, fanOutWorkflowId } from '../domain/fan-out';
import { fanOutAnsweredSignal, fanOutWorkflow } from '../workflows/fan-out';

const { db, client, nativeConnection, temporalAddress, stop } = await startEmbeddedStack();
const taskQueue = 'record';
const worker = await createWorker({
  connection: nativeConnection,
  taskQueue,
  db,
  workflowBundle: await bundleWorkflows(),
  temporal: client,
});
await db.unit.createMany({
  data: [{ id: 'unit-b', name: '市财政局', parentId: null, kind: 'bureau' }],
  skipDuplicates: true,
});
const out = path.join(ROOT, 'tests', 'replay', 'histories');

/** Exported with the Temporal CLI, the format the SDK's replayer reads (historyFromJSON). */
async function save(name: string, workflowId: string): Promise<void> {
  // Recorded histories stand for items already running: keep them, add new paths beside them.
  if (existsSync(path.join(out, `${name}.json`)) && !process.argv.includes('--force'))
    return console.log(`kept ${name}`);
  const { stdout } = await promisify(execFile)(
    toolPath('temporal'),
    ['workflow', 'show', '--address', temporalAddress, '--workflow-id', workflowId, '--output', 'json'],
    { maxBuffer: 64 << 20 },
  );
  const history = JSON.parse(stdout) as { events: unknown[] };
  await writeFile(path.join(out, `${name}.json`), JSON.stringify(history, null, 1) + '\n');
  console.log(`recorded ${name} (${history.events.length} events)`);
}

async function waitForEvents(itemId: string, n: number): Promise<void> {
  while ((await db.itemEvent.count({ where: { itemId } })) < n) await new Promise((r) => setTimeout(r, 100));
}

await worker.runUntil(async () => {
  {
    const item = await open(client, taskQueue, { coUnitIds: ['unit-c'] });
    await act(client, item, 'coSign', coC);
    await act(client, item, 'sign', leadA);
    await act(client, item, 'filePlan', leadA);
    await act(client, item, 'reportProgress', leadA);
    await act(client, item, 'coComplete', coC);
    await act(client, item, 'submit', leadA);
    await act(client, item, 'verifyReturn', verifier, { reasons: '材料不全' });
    await act(client, item, 'submit', leadA);
    await act(client, item, 'verifyReturn', verifier, { reasons: '照片不清晰' });
    await act(client, item, 'submit', leadA);
    await act(client, item, 'verifyPass', verifier);
    await client.workflow.getHandle(itemWorkflowId(item.id)).result();
    await save('full-loop-two-returns', itemWorkflowId(item.id));
  }
  {
    const item = await open(client, taskQueue);
    await act(client, item, 'decline', leadA, { reason: '非本单位职责' });
    await act(client, item, 'reassign', supervisor, { leadUnitId: 'unit-b' });
    await act(client, item, 'decline', leadB, { reason: '非本单位职责' });
    await act(client, item, 'reassign', supervisor, { leadUnitId: 'unit-a' });
    await act(client, item, 'decline', leadA, { reason: '仍非本单位职责' });
    await act(client, item, 'arbitrate', supervisor, { unitId: 'unit-a', ruling: '由A单位牵头' });
    await act(client, item, 'sign', leadA);
    await act(client, item, 'withdraw', supervisor, { reason: '合并办理' });
    await client.workflow.getHandle(itemWorkflowId(item.id)).result();
    await save('decline-arbitration-withdraw', itemWorkflowId(item.id));
  }
  {
    const item = await open(client, taskQueue);
    await act(client, item, 'sign', leadA);
    await act(client, item, 'requestExtension', leadA, { dueDate: '2027-03-31', reason: '需协调资金' });
    await act(client, item, 'decideExtension', supervisor, { approved: true, opinion: '同意' });
    await act(client, item, 'suspend', supervisor, { reason: '等待政策' });
    await act(client, item, 'resume', supervisor);
    await act(client, item, 'filePlan', leadA);
    await save('extension-suspend-open', itemWorkflowId(item.id));
  }
  {
    // Overdue from the start: the closure rungs fire at once; then handled and closed, with a
    // 回头看 scheduled by policy that finds the problem back and reopens the item.
    const policy = { ...DEFAULT_POLICY, id: 'record', reinspectAfterDays: 20 };
    const item = await openItem(client, taskQueue, {
      id: newItemId(),
      problemListId: null,
      spec: spec({ dueDate: '2026-01-30' }),
      createdBy: supervisor,
      config: { maxDeclines: 2 },
      policy,
    });
    await waitForEvents(item.id, 6);
    await act(client, item, 'sign', leadA);
    await act(client, item, 'filePlan', leadA);
    await act(client, item, 'submit', leadA);
    await act(client, item, 'verifyPass', verifier);
    await act(client, item, 'reinspect', verifier, { relapsed: true, findings: '问题反弹', dueDate: '2027-06-30' });
    await act(client, item, 'submit', leadA);
    await act(client, item, 'verifyPass', verifier);
    await act(client, item, 'reinspect', verifier, { relapsed: false, findings: '巩固' });
    await client.workflow.getHandle(itemWorkflowId(item.id)).result();
    await save('overdue-ladder-reinspection', itemWorkflowId(item.id));
  }
  {
    // A backdated import (issue 16): the rungs passed before it are recorded as not applicable,
    // none fired; then signed and withdrawn.
    const item = await openItem(client, taskQueue, {
      id: newItemId(),
      problemListId: null,
      spec: spec({ dueDate: '2026-01-30' }),
      createdBy: supervisor,
      config: { maxDeclines: 2 },
      policy: DEFAULT_POLICY,
      backdated: { openedOn: '2025-12-01' },
    });
    await act(client, item, 'sign', leadA);
    await act(client, item, 'withdraw', supervisor, { reason: '已在原系统办结' });
    await client.workflow.getHandle(itemWorkflowId(item.id)).result();
    await save('backdated-import', itemWorkflowId(item.id));
  }
  {
    // A calendar change applied to a running item (issue 16): due 24 December 2026, its last rungs
    // counted into 2027; the year added with a holiday, the item signalled and recomputed; withdrawn.
    const item = await open(client, taskQueue, { dueDate: '2026-12-24' });
    await db.calendarYear.create({
      data: {
        year: 2027,
        holidays: [{ date: '2027-01-01', name: '元旦' }],
        workdays: [],
        source: 'record-histories',
        updatedBy: 'record',
      },
    });
    try {
      await client.workflow.getHandle(itemWorkflowId(item.id)).signal(calendarSignal);
      await waitForEvents(item.id, 2);
    } finally {
      await db.calendarYear.delete({ where: { year: 2027 } });
    }
    await act(client, item, 'withdraw', supervisor, { reason: '重复立项' });
    await client.workflow.getHandle(itemWorkflowId(item.id)).result();
    await save('calendar-change', itemWorkflowId(item.id));
  }
  {
    // The supervisor's pushes (issue 18): edited before signing (title, due date, lead unit),
    // urged by hand, a 约谈 recorded by the leader; signed by the new lead, urged again, withdrawn.
    const item = await open(client, taskQueue, { coUnitIds: ['unit-c'] });
    await act(client, item, 'edit', supervisor, { title: '修改后的标题', dueDate: '2027-02-26', leadUnitId: 'unit-b' });
    await act(client, item, 'urge', supervisor, { text: '请尽快签收', unitIds: ['unit-b', 'unit-c'] });
    await act(client, item, 'recordInterview', leader, {
      heldOn: '2026-01-05',
      attendees: '督查室；B单位负责人',
      summary: '约谈未签收原因',
    });
    await act(client, item, 'sign', leadB);
    await act(client, item, 'urge', supervisor, { text: '请报送整改方案' });
    await act(client, item, 'withdraw', supervisor, { reason: '合并办理' });
    await client.workflow.getHandle(itemWorkflowId(item.id)).result();
    await save('supervisor-pushes', itemWorkflowId(item.id));
  }
  {
    const listId = newItemId();
    await openProblemList(client, taskQueue, {
      listId,
      title: '问题清单',
      source: '专项督查',
      createdBy: supervisor,
      config: { maxDeclines: 2 },
      items: [1, 2, 3].map((i) => ({ id: `${listId}-${i}`, spec: spec({ title: `问题${i}` }) })),
    });
    await save('problem-list', problemListWorkflowId(listId));
  }
  {
    // A monitoring cycle past its due date: one unit reported ahead, the other never (red → item).
    const plan = PlanSchema.parse({
      id: 'record-plan',
      year: 2026,
      title: '监测计划',
      indicators: [
        { code: 'R1', name: '甲', ownerUnitId: 'unit-a', baseline: 0, target: 100 },
        { code: 'R2', name: '乙', ownerUnitId: 'unit-b', baseline: 0, target: 100 },
      ],
    });
    await savePlan(db, plan, supervisor.userId);
    await db.indicatorValue.create({
      data: {
        planId: plan.id,
        code: 'R1',
        period: '2026-09',
        value: 80,
        note: '',
        attachments: [],
        source: 'report',
        submittedBy: leadA.userId,
        submittedAt: new Date(),
      },
    });
    await client.workflow.execute(monitoringCycleWorkflow, {
      workflowId: 'record-cycle',
      taskQueue,
      args: [{ planId: plan.id, openedOn: '2026-10-09' }],
    });
    await save('monitoring-cycle', 'record-cycle');
  }
  {
    // 举一反三 to two units (issue 21): both asked by a child each, both answer 不存在 at once,
    // the API's signal wakes the ladder, which closes and draws the spot-check sample.
    const origin = await open(client, taskQueue);
    const fanOutId = 'FORECORD';
    await db.$executeRaw`
      INSERT INTO fan_outs (id, origin_item_id, requirements, selection, answer_days, answer_due, item_due_days,
                            spot_check_share, ladder, unit_count, status, created_by, created_by_name, created_at)
      VALUES (${fanOutId}, ${origin.id}, '排查同类问题', '{"unitIds":["unit-b","unit-c"]}', 10, '2099-12-31', 20,
              0.5, ${JSON.stringify(DEFAULT_FAN_OUT_LADDER)}::jsonb, 2, 'asking', ${supervisor.userId}, ${supervisor.name}, now())`;
    await db.$executeRaw`INSERT INTO fan_out_units (fan_out_id, unit_id) VALUES (${fanOutId}, 'unit-b'), (${fanOutId}, 'unit-c')`;
    const handle = await client.workflow.start(fanOutWorkflow, {
      workflowId: fanOutWorkflowId(fanOutId),
      taskQueue,
      args: [{ fanOutId }],
    });
    while (
      (await db.$queryRaw<Array<{ status: string }>>`SELECT status FROM fan_outs WHERE id = ${fanOutId}`)[0]?.status !==
      'answering'
    )
      await new Promise((r) => setTimeout(r, 100));
    await db.$executeRaw`
      UPDATE fan_out_units SET answer = 'absent', reason = '经排查不存在', answered_by = 'record', answered_by_name = '记录',
             answered_at = now() WHERE fan_out_id = ${fanOutId}`;
    await handle.signal(fanOutAnsweredSignal);
    await handle.result();
    await save('fan-out', fanOutWorkflowId(fanOutId));
  }
});

const crossing = process.argv.indexOf('--crossing-from');
if (crossing > 0) {
  const [commit, name] = process.argv.slice(crossing + 1, crossing + 3);
  if (!commit || !name) throw new Error('usage: --crossing-from <commit> <name>');
  await recordCrossing(commit, name);
}

await stop();

/**
 * An item opened, signed and urged by a worker on the workflow code of `commit`, then filed,
 * submitted and passed by one on the current code: the replay test then holds both halves of a
 * running item's life across the patch, in one history.
 */
async function recordCrossing(commit: string, name: string): Promise<void> {
  const queue = 'record-crossing';
  const before = await createWorker({
    connection: nativeConnection,
    taskQueue: queue,
    db,
    workflowBundle: await bundleAt(commit),
    temporal: client,
  });
  const item = await before.runUntil(async () => {
    const item = await open(client, queue);
    await act(client, item, 'sign', leadA);
    await act(client, item, 'urge', supervisor, { text: '请报送整改方案' });
    return item;
  });
  const after = await createWorker({
    connection: nativeConnection,
    taskQueue: queue,
    db,
    workflowBundle: await bundleWorkflows(),
    temporal: client,
  });
  await after.runUntil(async () => {
    await act(client, item, 'filePlan', leadA);
    await act(client, item, 'submit', leadA);
    await act(client, item, 'verifyPass', verifier);
    await client.workflow.getHandle(itemWorkflowId(item.id)).result();
  });
  await save(`crossing-${name}`, itemWorkflowId(item.id));
}

/** The workflow code of an earlier commit, bundled from a copy of its sources (the work tree is left alone). */
async function bundleAt(commit: string): Promise<WorkflowBundle> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'duban-workflows-'));
  try {
    execFileSync('sh', ['-c', 'git archive "$1" workflows domain package.json | tar -x -C "$2"', 'sh', commit, dir], {
      cwd: ROOT,
    });
    await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };
    return await bundleWorkflowCode({ workflowsPath: path.join(dir, 'workflows', 'index.ts'), logger: quiet });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
