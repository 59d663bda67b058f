import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { z } from 'zod';
import { isUnitRole, oversees, type Actor } from '../domain/actors';
import { shanghaiDate } from '../domain/calendar';
import type { NotificationDraft } from '../domain/notifications';
import { loadUnitLabels } from '../lib/unit-names';
import { CycleRulesSchema, periodFor, PlanSchema, type Plan } from '../domain/monitoring';
import type { Prisma } from '../generated/prisma/client';
import { deletePlan, savePlan } from '../lib/plans';
import { ensurePlanSchedule } from '../workflows/client/schedules';
import { monitoringCycleWorkflow, publishNowSignal } from '../workflows/monitoring-cycle';
import { AppError, badRequest, forbidden, withTemporal, type FieldError } from './errors';
import { importRefusal, issueErrors, unitLookup, ZH, type RowError, type RowPlace, type UnitLookup } from './imports';
import { jsonPlanRows, type PlanRows } from './plan-csv';
import { reportForm, StoredDraftFiles, StoredDraftValues, unitReporting, visibleCycle } from './read/cycles';
import { planDetail, visiblePlan } from './read/plans';
import type { Services } from './services';
import type { PlanAccess } from './visibility';

/**
 * Plans (工作要点), their indicators and monitoring cycles: importing, scheduling, running and
 * publishing cycles, reporting values (their reads are in read/plans.ts and read/cycles.ts).
 * Import checks every row in one pass and imports nothing unless all are good; units are named
 * by id or by name.
 */

/** A plan-level field (id, year, title) in error, outside any row. */
const PLAN_PLACE = { key: 'body', row: 0, said: '计划' };

/**
 * Every row of a plan checked in one pass — shape (in Chinese), units by id or name, duplicate
 * indicator codes — and every error returned: `rows` for tasks and indicators, `fields` for
 * the plan's own fields. The plan, units as ids, only when there is none.
 */
function checkPlan(
  raw: unknown,
  rows: PlanRows,
  unit: UnitLookup,
): { plan?: Plan; errors: RowError[]; fields: FieldError[] } {
  const parsed = PlanSchema.safeParse(raw, ZH);
  const errors: RowError[] = [...rows.errors];
  const fields: FieldError[] = [];
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    const [kind, i, ...rest] = issue.path;
    if ((kind === 'tasks' || kind === 'indicators') && typeof i === 'number')
      errors.push(...issueErrors([{ ...issue, path: rest }], rows.place(kind, i), rows.columnOf));
    else
      for (const e of issueErrors([issue], PLAN_PLACE, (f) => f))
        fields.push({
          field: e.field ? `body.${e.field}` : 'body',
          reason: e.field ? `${e.field}：${e.reason}` : e.reason,
        });
  }
  const failed = new Set(errors.map((e) => `${e.place.key}.${e.field}`));
  const body = (raw && typeof raw === 'object' ? raw : {}) as { tasks?: unknown; indicators?: unknown };
  const list = (v: unknown) =>
    Array.isArray(v)
      ? (v as unknown[]).map((x) => (x && typeof x === 'object' ? x : {}) as Record<string, unknown>)
      : [];
  const resolve = (key: unknown, place: RowPlace, field: string, column: string): string | undefined => {
    if (typeof key !== 'string' || key.trim() === '' || failed.has(`${place.key}.${field}`)) return undefined;
    const found = unit(key);
    if ('id' in found) return found.id;
    errors.push({ place, field, column: rows.columnOf(column), reason: found.reason });
    return undefined;
  };
  const tasks = list(body.tasks).map((t, i) => {
    const place = rows.place('tasks', i);
    return {
      leadUnitId: resolve(t.leadUnitId, place, 'leadUnitId', 'leadUnitId'),
      coUnitIds: Array.isArray(t.coUnitIds)
        ? (t.coUnitIds as unknown[]).map((c, j) => resolve(c, place, `coUnitIds[${j}]`, 'coUnitIds'))
        : [],
    };
  });
  const seen = new Map<string, RowPlace>();
  const owners = list(body.indicators).map((ind, i) => {
    const place = rows.place('indicators', i);
    if (typeof ind.code === 'string') {
      const first = seen.get(ind.code.trim());
      if (first)
        errors.push({
          place,
          field: 'code',
          column: rows.columnOf('code'),
          reason: `指标编号“${ind.code.trim()}”与${first.said}重复`,
        });
      else seen.set(ind.code.trim(), place);
    }
    return resolve(ind.ownerUnitId, place, 'ownerUnitId', 'ownerUnitId');
  });
  if (!parsed.success || errors.length > 0 || fields.length > 0) return { errors, fields };
  const plan = {
    ...parsed.data,
    tasks: parsed.data.tasks.map((t, i) => ({
      ...t,
      leadUnitId: tasks[i]!.leadUnitId!,
      coUnitIds: tasks[i]!.coUnitIds as string[],
    })),
    indicators: parsed.data.indicators.map((ind, i) => ({ ...ind, ownerUnitId: owners[i]! })),
  };
  return { plan, errors, fields };
}

export async function importPlan(s: Services, actor: Actor, raw: unknown, rows: PlanRows = jsonPlanRows) {
  const { plan, errors, fields } = checkPlan(raw, rows, await unitLookup(s.db));
  if (!plan)
    throw errors.length > 0
      ? importRefusal(errors, '计划', '内容', fields)
      : badRequest(fields, '计划有误，未导入任何内容');
  // Importing starts the plan's schedule: only for one the importer could manage afterwards.
  const outsideTasks = plan.tasks.filter((t) => !oversees(actor, t.leadUnitId));
  if (outsideTasks.length)
    throw forbidden(`任务牵头单位不在您的管辖范围内：任务${outsideTasks.map((t) => t.no).join('、')}`);
  const outside = plan.indicators.filter((i) => !oversees(actor, i.ownerUnitId));
  if (outside.length) throw forbidden(`指标责任单位不在您的管辖范围内：${outside.map((i) => i.code).join('、')}`);
  if (await s.db.plan.findUnique({ where: { id: plan.id } }))
    throw new AppError(409, 'conflict', `计划“${plan.id}”已存在`, { reason: 'already_exists' });
  await savePlan(s.db, plan, actor.userId);
  try {
    await withTemporal(s, () => ensurePlanSchedule(s.temporal, s.taskQueue, plan.id, plan.rules, false));
  } catch (err) {
    // No plan without its schedule: undo, and say which dependency failed.
    await deletePlan(s.db, plan.id);
    throw err;
  }
  return planDetail(s, actor, plan.id);
}

/** Scheduling and publishing act on every unit of the plan: refused when one lies outside the jurisdiction. */
function mustManage(access: PlanAccess, what: string): void {
  if (access !== 'manage') throw forbidden(`该计划涉及您管辖范围以外的单位，您不能${what}`);
}

export const ScheduleBody = CycleRulesSchema.partial().extend({ paused: z.boolean().optional() }).strict();

export async function updateSchedule(s: Services, actor: Actor, id: string, body: z.infer<typeof ScheduleBody>) {
  const { plan, access } = await visiblePlan(s, actor, id);
  mustManage(access, '修改其监测日程');
  const { paused = plan.paused, ...changes } = body;
  const rules = CycleRulesSchema.parse({ ...(plan.rules as object), ...changes });
  await withTemporal(s, () => ensurePlanSchedule(s.temporal, s.taskQueue, id, rules, paused));
  await s.db.plan.update({ where: { id }, data: { rules: rules as Prisma.InputJsonValue, paused } });
  return planDetail(s, actor, id);
}

/** Runs a cycle now, as if opened on `openedOn` (default today): one workflow per plan and day. */
/**
 * 开启周期: opens the cycle of the period `openedOn` (default today) reports on, as the plan's
 * Schedule would. Idempotent: the period's cycle already open (by the Schedule or an earlier
 * click) is answered, not opened twice; two clicks at once meet on the same workflow id.
 */
export async function runCycle(s: Services, actor: Actor, id: string, openedOn: string | undefined) {
  const { plan, access } = await visiblePlan(s, actor, id);
  mustManage(access, '开启其监测周期');
  const { frequency } = CycleRulesSchema.parse(plan.rules);
  const { period } = periodFor(openedOn ?? shanghaiDate(s.now?.() ?? Date.now()), frequency);
  const cycleId = `${id}-${period}`;
  const existing = await s.db.cycle.findUnique({ where: { id: cycleId }, select: { workflowId: true } });
  const workflowId = existing?.workflowId ?? `cycle-${cycleId}${openedOn ? '-rerun' : ''}`;
  if (existing) return { workflowId, cycleId, period, started: false };
  await withTemporal(s, () =>
    s.temporal.workflow.start(monitoringCycleWorkflow, {
      workflowId,
      taskQueue: s.taskQueue,
      args: [{ planId: id, ...(openedOn ? { openedOn } : {}) }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    }),
  );
  return { workflowId, cycleId, period, started: true };
}

/** 提前晾晒: publish before the due date (every unit has reported, say). */
export async function publishNow(s: Services, actor: Actor, id: string) {
  const { cycle, access } = await visibleCycle(s, actor, id);
  // Before the state check: one who may not publish it learns nothing of the cycle's state.
  mustManage(access, '提前晾晒');
  if (cycle.status !== 'collecting' || !cycle.workflowId)
    throw new AppError(409, 'conflict', '本期已晾晒或未在收集数据', { reason: 'cycle_not_collecting' });
  const workflowId = cycle.workflowId;
  await withTemporal(s, () => s.temporal.workflow.getHandle(workflowId).signal(publishNowSignal));
  return { cycleId: id, workflowId };
}

/**
 * The largest magnitude a reported value may have. Indicators are measured in %, 人, 个 or
 * 万元/亿元, so 10¹² (一万亿) is far above any real value; and a value near the double range
 * (1e308) makes the published scores overflow to ±Infinity, which the stored report keeps as
 * null. At 10¹² a double still holds four decimal places.
 */
const MAX_VALUE = 1e12;

/** A reported value: a finite number (JSON's 1e999 parses to Infinity) of a plausible magnitude. */
const ReportedValue = z
  .number({ error: (issue) => (typeof issue.input === 'number' ? '应为有限数字' : '应为数字') })
  .min(-MAX_VALUE, '数值超出合理范围：绝对值不能超过 1 万亿（10¹²）')
  .max(MAX_VALUE, '数值超出合理范围：绝对值不能超过 1 万亿（10¹²）');

export const ValuesBody = z.strictObject({
  /** Files uploaded to the cycle first (POST /api/cycles/:id/evidence), named by SHA-256. */
  attachments: z
    .array(z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/, '应为 64 位十六进制 SHA-256') }))
    .max(20)
    .default([]),
  values: z
    .array(
      z.strictObject({
        code: z.string().trim().min(1).max(64),
        value: ReportedValue,
        note: z.string().trim().max(1000).default(''),
      }),
    )
    .min(1, '至少报送一个指标')
    .max(200),
});

/** A unit reports its values for the cycle's period: only for its own indicators, while the cycle collects. */
export async function submitValues(s: Services, actor: Actor, cycleId: string, body: z.infer<typeof ValuesBody>) {
  // Before the state check: a unit the plan does not involve learns nothing of the cycle, not even that it exists.
  const { cycle } = await visibleCycle(s, actor, cycleId);
  if (cycle.status !== 'collecting')
    throw new AppError(409, 'conflict', '本期已晾晒，不能再报送', { reason: 'cycle_published' });
  const indicators = new Map(
    (
      await s.db.indicator.findMany({ where: { planId: cycle.planId, code: { in: body.values.map((v) => v.code) } } })
    ).map((i) => [i.code, i]),
  );
  const errors: FieldError[] = [];
  const notOwn: FieldError[] = [];
  const seen = new Set<string>();
  body.values.forEach((v, i) => {
    const ind = indicators.get(v.code);
    if (seen.has(v.code)) errors.push({ field: `body.values.${i}.code`, reason: `指标“${v.code}”重复报送` });
    seen.add(v.code);
    if (!ind) errors.push({ field: `body.values.${i}.code`, reason: `没有编号为“${v.code}”的指标` });
    else if (!isUnitRole(actor) || ind.ownerUnitId !== actor.unitId)
      notOwn.push({ field: `body.values.${i}.code`, reason: '该指标不由本单位报送' });
    else if (ind.source !== 'report')
      errors.push({ field: `body.values.${i}.code`, reason: '该指标由系统自动取数，无需报送' });
  });
  if (notOwn.length) throw new AppError(403, 'forbidden', '只能报送本单位负责的指标', { fields: notOwn });
  const files = body.attachments.length
    ? await s.db.evidence.findMany({
        where: {
          subjectKind: 'cycle',
          subjectId: cycleId,
          unitId: actor.unitId,
          sha256: { in: body.attachments.map((a) => a.sha256) },
        },
      })
    : [];
  body.attachments.forEach((a, i) => {
    if (!files.some((f) => f.sha256 === a.sha256))
      errors.push({ field: `body.attachments.${i}.sha256`, reason: '该文件未由本单位上传到本期，请先上传' });
  });
  if (errors.length) throw badRequest(errors);
  const attachments = body.attachments.map((a) => {
    const f = files.find((x) => x.sha256 === a.sha256)!;
    return { name: f.name, ref: `evidence:${f.sha256}`, sha256: f.sha256, mime: f.mime, size: f.size };
  });
  const now = new Date();
  await s.db.$transaction(async (tx) => {
    // One statement for all of them: a correction before publication replaces the earlier value.
    await tx.$executeRaw`
      INSERT INTO indicator_values (plan_id, code, period, value, note, attachments, source, submitted_by, submitted_at)
      SELECT ${cycle.planId}, v.code, ${cycle.period}, v.value, v.note, ${JSON.stringify(attachments)}::jsonb, 'report', ${actor.userId}, ${now}
      FROM jsonb_to_recordset(${JSON.stringify(body.values)}::jsonb) AS v(code text, value double precision, note text)
      ON CONFLICT (plan_id, code, period) DO UPDATE SET value = EXCLUDED.value, note = EXCLUDED.note, attachments = EXCLUDED.attachments, source = EXCLUDED.source,
        submitted_by = EXCLUDED.submitted_by, submitted_at = EXCLUDED.submitted_at`;
    const request = await tx.reportingRequest.findUnique({
      where: { cycleId_unitId: { cycleId, unitId: actor.unitId as string } },
    });
    if (request && !request.completedAt) {
      const have = await tx.indicatorValue.count({
        where: { planId: cycle.planId, period: cycle.period, code: { in: request.indicators } },
      });
      if (have === request.indicators.length)
        await tx.reportingRequest.update({
          where: { cycleId_unitId: { cycleId, unitId: request.unitId } },
          data: { completedAt: now },
        });
    }
    await clearSubmitted(tx, cycleId, actor.unitId as string, body);
  });
  return unitReporting(s, cycleId, cycle.planId, cycle.period, actor.unitId as string);
}

/**
 * What a submission reported leaves the unit's draft (保存草稿): its values and files. What is
 * left (a value not submitted yet) stays a draft; an emptied draft is deleted.
 */
async function clearSubmitted(
  tx: Prisma.TransactionClient,
  cycleId: string,
  unitId: string,
  body: z.infer<typeof ValuesBody>,
): Promise<void> {
  const key = { cycleId_unitId: { cycleId, unitId } };
  const draft = await tx.reportDraft.findUnique({ where: key });
  if (!draft) return;
  const codes = new Set(body.values.map((v) => v.code));
  const files = new Set(body.attachments.map((a) => a.sha256));
  const values = StoredDraftValues.parse(draft.values).filter(
    (v) => !codes.has(v.code) && (v.value !== null || v.note !== ''),
  );
  const attachments = StoredDraftFiles.parse(draft.attachments).filter((a) => !files.has(a.sha256));
  if (values.length === 0) await tx.reportDraft.delete({ where: key });
  else await tx.reportDraft.update({ where: key, data: { values, attachments } });
}

/**
 * A draft of the unit's values (保存草稿): every field of the form, a value left empty as null,
 * checked like a submission (a number within the bounds, the unit's own indicators, files
 * uploaded by the unit to the cycle). It replaces the unit's previous draft.
 */
export const DraftBody = z.strictObject({
  attachments: ValuesBody.shape.attachments,
  values: z
    .array(
      z.strictObject({
        code: z.string().trim().min(1).max(64),
        value: ReportedValue.nullable().default(null),
        note: z.string().trim().max(1000).default(''),
      }),
    )
    .max(200),
});

/** Saves the unit's draft for the cycle, while the cycle collects; not a report: not lit, not on the board. */
export async function saveDraft(s: Services, actor: Actor, cycleId: string, body: z.infer<typeof DraftBody>) {
  // Before the state check: a unit the plan does not involve learns nothing of the cycle.
  const { cycle } = await visibleCycle(s, actor, cycleId);
  if (!isUnitRole(actor) || !actor.unitId) throw forbidden('只有指标的责任单位才能保存草稿');
  if (cycle.status !== 'collecting')
    throw new AppError(409, 'conflict', '本期已晾晒，不能再保存草稿', { reason: 'cycle_published' });
  const unitId = actor.unitId;
  await checkOwnValues(s, actor, cycle.planId, body.values);
  const files = body.attachments.length
    ? await s.db.evidence.findMany({
        where: {
          subjectKind: 'cycle',
          subjectId: cycleId,
          unitId,
          sha256: { in: body.attachments.map((a) => a.sha256) },
        },
        select: { sha256: true },
      })
    : [];
  const errors: FieldError[] = [];
  body.attachments.forEach((a, i) => {
    if (!files.some((f) => f.sha256 === a.sha256))
      errors.push({ field: `body.attachments.${i}.sha256`, reason: '该文件未由本单位上传到本期，请先上传' });
  });
  if (errors.length) throw badRequest(errors);
  const key = { cycleId_unitId: { cycleId, unitId } };
  const data = {
    values: body.values,
    attachments: [...new Set(body.attachments.map((a) => a.sha256))].map((sha256) => ({ sha256 })),
    savedBy: actor.userId,
    savedAt: new Date(s.now?.() ?? Date.now()),
  };
  if (body.values.length === 0 && body.attachments.length === 0)
    await s.db.reportDraft.deleteMany({ where: { cycleId, unitId } });
  else await s.db.reportDraft.upsert({ where: key, create: { cycleId, unitId, ...data }, update: data });
  return reportForm(s, actor, cycleId);
}

/** Values only for the unit's own indicators that it reports (not derived ones), each once. */
async function checkOwnValues(s: Services, actor: Actor, planId: string, values: Array<{ code: string }>) {
  const indicators = new Map(
    (await s.db.indicator.findMany({ where: { planId, code: { in: values.map((v) => v.code) } } })).map((i) => [
      i.code,
      i,
    ]),
  );
  const errors: FieldError[] = [];
  const notOwn: FieldError[] = [];
  const seen = new Set<string>();
  values.forEach((v, i) => {
    const ind = indicators.get(v.code);
    if (seen.has(v.code)) errors.push({ field: `body.values.${i}.code`, reason: `指标“${v.code}”重复` });
    seen.add(v.code);
    if (!ind) errors.push({ field: `body.values.${i}.code`, reason: `没有编号为“${v.code}”的指标` });
    else if (!isUnitRole(actor) || ind.ownerUnitId !== actor.unitId)
      notOwn.push({ field: `body.values.${i}.code`, reason: '该指标不由本单位报送' });
    else if (ind.source !== 'report')
      errors.push({ field: `body.values.${i}.code`, reason: '该指标由系统自动取数，无需报送' });
  });
  if (notOwn.length) throw new AppError(403, 'forbidden', '只能报送本单位负责的指标', { fields: notOwn });
  if (errors.length) throw badRequest(errors);
}

export const RemindBody = z.strictObject({
  unitIds: z.array(z.string().trim().min(1).max(64)).min(1, '请选择要催报的单位').max(500),
});

/**
 * 催报 from the cycle's page: a supervisor tells units in the jurisdiction that still owe values
 * for the cycle, one notice (督查室催报, to the handler and the unit's leader) per unit and day
 * however often asked, each counted in the unit's `chased`. Refused as a whole when a unit has
 * already reported everything it owes (409), lies outside the jurisdiction (403) or owes nothing
 * in the plan (400).
 */
export async function remindUnits(s: Services, actor: Actor, cycleId: string, body: z.infer<typeof RemindBody>) {
  const { cycle } = await visibleCycle(s, actor, cycleId);
  const labels = await loadUnitLabels(s.db);
  const name = (u: string) => labels.get(u) ?? u;
  // Before the state check: one who may not chase a unit learns nothing more of the cycle.
  const outside = body.unitIds.filter((u) => !oversees(actor, u));
  if (outside.length) throw forbidden(`以下单位不在您的管辖范围内，不能催报：${outside.map(name).join('、')}`);
  if (cycle.status !== 'collecting')
    throw new AppError(409, 'conflict', '本期已晾晒，不能再催报', { reason: 'cycle_published' });
  const indicators = await s.db.indicator.findMany({
    where: { planId: cycle.planId, ownerUnitId: { in: body.unitIds }, source: 'report' },
    select: { code: true, name: true, ownerUnitId: true },
  });
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  body.unitIds.forEach((u, i) => {
    if (seen.has(u)) errors.push({ field: `body.unitIds.${i}`, reason: `单位“${name(u)}”重复` });
    else if (!indicators.some((ind) => ind.ownerUnitId === u))
      errors.push({ field: `body.unitIds.${i}`, reason: `${name(u)}在本计划中没有需报送的指标` });
    seen.add(u);
  });
  if (errors.length) throw badRequest(errors);
  const have = new Set(
    (
      await s.db.indicatorValue.findMany({
        where: { planId: cycle.planId, period: cycle.period, code: { in: indicators.map((i) => i.code) } },
        select: { code: true },
      })
    ).map((v) => v.code),
  );
  const missing = new Map(
    body.unitIds.map((u) => [u, indicators.filter((i) => i.ownerUnitId === u && !have.has(i.code))]),
  );
  const done = body.unitIds.filter((u) => missing.get(u)!.length === 0);
  if (done.length)
    throw new AppError(409, 'conflict', `已报齐本期指标，无需催报：${done.map(name).join('、')}`, {
      reason: 'already_reported',
    });
  const plan = await s.db.plan.findUniqueOrThrow({ where: { id: cycle.planId }, select: { title: true } });
  const now = s.now?.() ?? Date.now();
  const day = shanghaiDate(now);
  const drafts: NotificationDraft[] = body.unitIds.map((unitId) => ({
    key: `${cycleId}/urged/${unitId}/${day}`,
    kind: 'report_urged',
    targets: ['handler', 'unit_leader'],
    unitIds: [unitId],
    payload: {
      title: `${plan.title}：${cycle.period} 指标数据报送`,
      deadline: cycle.dueDate,
      link: `/cycles/${cycleId}`,
      period: cycle.period,
      indicators: missing.get(unitId)!.map((i) => i.name),
      by: actor.name,
    },
  }));
  // The notices and the chase counts move together; a second 催报 the same day adds neither.
  const sent = await s.db.$queryRaw<Array<{ unit_id: string }>>`
    WITH ins AS (
      INSERT INTO notification_requests (key, subject_kind, subject_id, kind, targets, unit_ids, payload, created_at)
      SELECT n.key, 'cycle', ${cycleId}, n.kind, ARRAY(SELECT jsonb_array_elements_text(n.targets)), ARRAY(SELECT jsonb_array_elements_text(n.unit_ids)), n.payload, ${new Date(now)}
      FROM jsonb_to_recordset(${JSON.stringify(drafts.map((d) => ({ key: d.key, kind: d.kind, targets: d.targets, unit_ids: d.unitIds, payload: d.payload })))}::jsonb)
        AS n(key text, kind text, targets jsonb, unit_ids jsonb, payload jsonb)
      ON CONFLICT (key) DO NOTHING
      RETURNING unit_ids[1] AS unit_id
    ), chased AS (
      UPDATE reporting_requests SET chased = chased + 1 WHERE cycle_id = ${cycleId} AND unit_id IN (SELECT unit_id FROM ins)
    )
    SELECT unit_id FROM ins`;
  const fresh = new Set(sent.map((r) => r.unit_id));
  return {
    cycleId,
    date: day,
    units: body.unitIds.map((unitId) => ({
      unitId,
      sent: fresh.has(unitId),
      missing: missing.get(unitId)!.map((i) => i.code),
    })),
  };
}

/** Evidence for a cycle's values is uploaded by a unit that owns indicators of the plan, while the cycle collects. */
export async function checkCycleUpload(s: Services, actor: Actor, cycleId: string): Promise<void> {
  // Before the other checks: a unit the plan does not involve learns nothing of the cycle, not even that it exists.
  const { cycle } = await visibleCycle(s, actor, cycleId);
  if (
    !isUnitRole(actor) ||
    !(await s.db.indicator.findFirst({ where: { planId: cycle.planId, ownerUnitId: actor.unitId ?? '' } }))
  )
    throw forbidden('本单位在该计划中没有需报送的指标');
  if (cycle.status !== 'collecting')
    throw new AppError(409, 'conflict', '本期已晾晒，不能再上传', { reason: 'cycle_published' });
}
