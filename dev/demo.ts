import type { Client } from '@temporalio/client';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Actor } from '../domain/actors';
import { parseCommand, type Action, type Attachment } from '../domain/commands';
import { shanghaiDate, shiftWorkingDays } from '../domain/calendar';
import { currentCalendar } from '../lib/calendar-store';
import { itemSubject, subjectColumns } from '../domain/subject';
import type { EvidenceStore } from '../lib/evidence-store';
import { PlanSchema } from '../domain/monitoring';
import { savePlan } from '../lib/plans';
import { ensurePlanSchedule } from '../workflows/client/schedules';
import { monitoringCycleWorkflow } from '../workflows/monitoring-cycle';
import { Readable } from 'node:stream';
import type { Db } from '../lib/db';
import { actOnItem, openProblemList } from '../workflows/client/items';
import { ROOT } from '../lib/root';

interface DemoUnit {
  id: string;
  name: string;
  parentId: string | null;
  kind: string;
}
interface DemoTask {
  no: number;
  title: string;
  leadUnitId: string;
  coUnitIds: string[];
}

export const DEMO_SUPERVISOR: Actor = { userId: 'demo-supervisor', name: '王督查', role: 'supervisor', unitId: 'dcs' };
export const DEMO_VERIFIER: Actor = { userId: 'demo-verifier', name: '李核查', role: 'verifier', unitId: 'dcs' };
export const DEMO_LEADER: Actor = { userId: 'demo-leader', name: '陈领导', role: 'leader', unitId: null };
export const DEMO_ADMIN: Actor = { userId: 'demo-admin', name: '系统管理员', role: 'admin', unitId: null };
export const DEMO_AUDITOR: Actor = { userId: 'demo-auditor', name: '安全审计员', role: 'auditor', unitId: null };
/** A district's supervisor: sees and acts on the district's units only (jurisdiction sz-ft). */
export const DEMO_DISTRICT_SUPERVISOR: Actor = {
  userId: 'demo-ft-supervisor',
  name: '福田区督查专员',
  role: 'supervisor',
  unitId: 'sz-ft',
};

async function readDemo<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(path.join(ROOT, 'demo', file), 'utf8')) as T;
}

export async function demoUnits(): Promise<DemoUnit[]> {
  return (await readDemo<{ units: DemoUnit[] }>('units.json')).units;
}

/** The units that are given items: all but the supervision office and the city itself. */
async function responsibleUnits(): Promise<DemoUnit[]> {
  return (await demoUnits()).filter((u) => u.kind !== 'supervision' && u.kind !== 'city');
}

export function handlerOf(unit: DemoUnit): Actor {
  return { userId: `demo-${unit.id}`, name: `${unit.name}经办人`, role: 'unit_handler', unitId: unit.id };
}

/**
 * A unit leader (责任单位负责人) to sign in as: 福田区's, whose unit the demo 举一反三 of 安全生产 still
 * waits on (dev/demo-fanout.ts).
 */
export const DEMO_UNIT_LEADER: Actor = {
  userId: 'demo-sz-ft-leader',
  name: '福田区人民政府负责人',
  role: 'unit_leader',
  unitId: 'sz-ft',
};

/**
 * The people a new user can sign in as: the supervisor side, the handlers of the first few units,
 * and those the demo 举一反三 concern: 福田区 (asked, not yet answered; its handler and leader) and
 * 莲都区教育局 (answered 存在, so it has the item that opened).
 */
export async function demoUsers(): Promise<Actor[]> {
  const units = await responsibleUnits();
  const named = (id: string) => units.filter((u) => u.id === id).map(handlerOf);
  return [
    DEMO_SUPERVISOR,
    DEMO_VERIFIER,
    DEMO_LEADER,
    DEMO_ADMIN,
    DEMO_AUDITOR,
    DEMO_DISTRICT_SUPERVISOR,
    ...units.slice(0, 6).map(handlerOf),
    ...named('sz-ft'),
    DEMO_UNIT_LEADER,
    ...named('ld-jyj'),
  ];
}

/** The demo people as users (role and unit in the database, as for everybody): every unit's handler. */
export async function loadDemoUsers(db: Db): Promise<void> {
  const units = await responsibleUnits();
  const people = [
    DEMO_SUPERVISOR,
    DEMO_VERIFIER,
    DEMO_LEADER,
    DEMO_ADMIN,
    DEMO_AUDITOR,
    DEMO_UNIT_LEADER,
    ...units.map(handlerOf),
  ];
  await db.user.createMany({
    data: [
      ...people.map((a) => ({ id: a.userId, name: a.name, role: a.role, unitId: a.unitId })),
      {
        id: DEMO_DISTRICT_SUPERVISOR.userId,
        name: DEMO_DISTRICT_SUPERVISOR.name,
        role: 'supervisor',
        unitId: 'sz-ft',
        jurisdictionUnitId: 'sz-ft',
      },
    ],
    skipDuplicates: true,
  });
}

/**
 * A handler and a leader for each unit, the supervisor and the leader, with example addresses
 * (the embedded default keeps their mail in .data/mail). One unit's handler has no address, to
 * show how that is reported.
 */
export async function loadDemoContacts(db: Db): Promise<void> {
  const units = await responsibleUnits();
  const data = [
    {
      id: 'demo-supervisor',
      unitId: 'dcs',
      role: 'supervisor',
      name: DEMO_SUPERVISOR.name,
      email: 'dcs-wang@example.gov.cn',
      userId: DEMO_SUPERVISOR.userId,
    },
    {
      id: 'demo-leader',
      unitId: null,
      role: 'leader',
      name: DEMO_LEADER.name,
      email: 'leader-chen@example.gov.cn',
      userId: DEMO_LEADER.userId,
    },
    ...units.flatMap((u, i) => [
      {
        id: `demo-${u.id}-handler`,
        unitId: u.id,
        role: 'handler',
        name: handlerOf(u).name,
        email: i === units.length - 1 ? null : `${u.id}-handler@example.gov.cn`,
        userId: handlerOf(u).userId,
      },
      {
        id: `demo-${u.id}-leader`,
        unitId: u.id,
        role: 'unit_leader',
        name: `${u.name}负责人`,
        email: `${u.id}-leader@example.gov.cn`,
        userId: null,
      },
    ]),
  ];
  await db.contact.createMany({ data, skipDuplicates: true });
}

export async function loadDemoUnits(db: Db): Promise<void> {
  await db.unit.createMany({ data: await demoUnits(), skipDuplicates: true });
}

/**
 * The seed's 22 annual key tasks as one problem list, some of them moved along the loop so a
 * new user sees items in every state. Runs once: skipped when any problem list exists.
 */
/** A one-page PDF: evidence the demo items carry, stored like any upload. */
function demoPdf(text: string): Buffer {
  return Buffer.from(
    `%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n% ${text}\ntrailer<</Root 1 0 R>>\n%%EOF\n`,
  );
}

async function demoEvidence(
  db: Db,
  store: EvidenceStore,
  itemId: string,
  unitId: string,
  userId: string,
  name: string,
): Promise<Attachment> {
  const stored = await store.put(Readable.from([demoPdf(name)]), 1024 * 1024);
  await db.evidence.createMany({
    data: [
      {
        sha256: stored.sha256,
        ...subjectColumns(itemSubject(itemId)),
        unitId,
        uploadedBy: userId,
        name,
        mime: stored.mime,
        size: stored.size,
      },
    ],
    skipDuplicates: true,
  });
  return { name, ref: `evidence:${stored.sha256}`, sha256: stored.sha256, mime: stored.mime, size: stored.size };
}

export async function loadDemoItems(
  db: Db,
  client: Client,
  taskQueue: string,
  maxDeclines: number,
  store: EvidenceStore,
): Promise<boolean> {
  if ((await db.problemList.count()) > 0) return false;
  const { tasks } = await readDemo<{ tasks: DemoTask[] }>('shenzhen-2014-tasks.json');
  const units = new Map((await demoUnits()).map((u) => [u.id, u]));
  const listId = 'DEMO-2026';
  // Real dates, counted from today by the calendar: the items opened today are due in 10 to 20
  // working days. Two items show escalation: they began in an older system (a backdated import,
  // opened 40 working days ago, due 4 and 1 working days ago), so the rungs whose time had passed
  // before the import are recorded as not applicable, never sent; only later rungs fire, each on
  // its own day.
  const cal = await currentCalendar(db);
  const today = shanghaiDate(Date.now());
  const inWorkingDays = (n: number) => shiftWorkingDays(cal, today, n).date;
  const overdue = new Map([
    [8, inWorkingDays(-4)],
    [9, inWorkingDays(-1)],
  ]);
  const openedBefore = inWorkingDays(-40);
  const dueOf = (no: number) => overdue.get(no) ?? inWorkingDays(no <= 3 ? 10 : 12 + (no % 5) * 2);
  const { itemIds } = await openProblemList(client, taskQueue, {
    listId,
    title: '2026年社会建设工作要点重点任务督办清单',
    source: '年度重点任务（示例数据取自《2014年全市社会建设工作要点》）',
    createdBy: DEMO_SUPERVISOR,
    config: { maxDeclines },
    items: tasks.map((t) => ({
      id: `${listId}-${String(t.no).padStart(2, '0')}`,
      spec: {
        title: t.title,
        description: `年度重点任务第${t.no}项`,
        category: 'annual_task',
        priority: t.no <= 3 ? 'high' : 'normal',
        source: '年度重点任务',
        leadUnitId: t.leadUnitId,
        coUnitIds: t.coUnitIds,
        dueDate: dueOf(t.no),
      },
      ...(overdue.has(t.no) ? { backdated: { openedOn: openedBefore } } : {}),
    })),
  });
  await waitForRecorded(db, itemIds);
  const lead = (i: number) => handlerOf(units.get(tasks[i]!.leadUnitId)!);
  const co = (i: number, j: number) => handlerOf(units.get(tasks[i]!.coUnitIds[j]!)!);
  const step = (i: number, action: Action, actor: Actor, payload: unknown = {}) =>
    actOnItem(client, itemIds[i]!, parseCommand({ action, payload, actor }));
  const coDone = async (i: number) => {
    for (let j = 0; j < tasks[i]!.coUnitIds.length; j++) {
      await step(i, 'coSign', co(i, j));
      await step(i, 'coComplete', co(i, j), { text: '本单位配合任务已完成' });
    }
  };
  const plan = { plan: '一、成立专班；二、制定任务清单；三、按月推进' };
  // 0: rectifying with a progress report
  await step(0, 'sign', lead(0));
  await step(0, 'filePlan', lead(0), plan);
  await step(0, 'reportProgress', lead(0), { text: '已完成方案起草，正在征求意见', percent: 40 });
  // 1: submitted, waiting for verification
  await step(1, 'sign', lead(1));
  await coDone(1);
  await step(1, 'filePlan', lead(1), plan);
  const planPdf = await demoEvidence(db, store, itemIds[1]!, tasks[1]!.leadUnitId, lead(1).userId, '行动计划.pdf');
  await step(1, 'submit', lead(1), { summary: '行动计划已印发，任务已分解', attachments: [planPdf] });
  // 2: closed after one return
  await step(2, 'sign', lead(2));
  await coDone(2);
  await step(2, 'filePlan', lead(2), plan);
  await step(2, 'submit', lead(2), { summary: '已完成' });
  await step(2, 'verifyReturn', DEMO_VERIFIER, { reasons: '缺少财政投入保障机制的正式文件' });
  const fundPdf = await demoEvidence(db, store, itemIds[2]!, tasks[2]!.leadUnitId, lead(2).userId, '保障机制.pdf');
  await step(2, 'submit', lead(2), { summary: '补充正式文件', attachments: [fundPdf] });
  await step(2, 'verifyPass', DEMO_VERIFIER, { opinion: '材料齐全，同意销号' });
  // 3: declined back to the supervisor
  await step(3, 'decline', lead(3), { reason: '该任务主要涉及社区党组织建设，建议改由市委组织部牵头' });
  // 4: extension requested
  await step(4, 'sign', lead(4));
  await step(4, 'filePlan', lead(4), plan);
  await step(4, 'requestExtension', lead(4), {
    dueDate: shiftWorkingDays(cal, dueOf(tasks[4]!.no), 20).date,
    reason: '涉及多部门联合立法，需延期',
  });
  // 5: suspended
  await step(5, 'sign', lead(5));
  await step(5, 'suspend', DEMO_SUPERVISOR, { reason: '等待上级政策出台' });
  // 6: signed
  await step(6, 'sign', lead(6));
  return true;
}

async function waitForRecorded(db: Db, ids: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await db.item.count({ where: { id: { in: ids } } })) < ids.length) {
    if (Date.now() > deadline) throw new Error('demo items were not recorded within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The seed plans with their monitoring schedules, and one published cycle of the Liandu plan
 * (October 2026) so the 晾晒 board has something to show: most units reported, three did not.
 * Runs once: skipped when any plan exists.
 */
export async function loadDemoPlans(db: Db, client: Client, taskQueue: string): Promise<boolean> {
  if ((await db.plan.count()) > 0) return false;
  for (const file of ['plan-liandu-2026.json', 'plan-shenzhen-2026.json']) {
    const plan = PlanSchema.parse(await readDemo<unknown>(file));
    await savePlan(db, plan, DEMO_SUPERVISOR.userId);
    await ensurePlanSchedule(client, taskQueue, plan.id, plan.rules, false);
  }
  const shares = [0.9, 0.85, 0.7, 0.95, 0.6, 0.88, 0.75, 0.84, 0.5, 0.9, 0.86, 0.8];
  const liandu = PlanSchema.parse(await readDemo<unknown>('plan-liandu-2026.json'));
  await db.indicatorValue.createMany({
    data: liandu.indicators.slice(0, shares.length).map((ind, i) => ({
      planId: liandu.id,
      code: ind.code,
      period: '2026-10',
      value: Math.round((ind.baseline + (ind.target - ind.baseline) * shares[i]!) * 100) / 100,
      note: '示例数据',
      attachments: [],
      source: 'report',
      submittedBy: handlerOf({ id: ind.ownerUnitId, name: '', parentId: null, kind: '' }).userId,
      submittedAt: new Date(),
    })),
    skipDuplicates: true,
  });
  await client.workflow.start(monitoringCycleWorkflow, {
    workflowId: `cycle-${liandu.id}-demo`,
    taskQueue,
    args: [{ planId: liandu.id, openedOn: '2026-11-05' }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return true;
}
