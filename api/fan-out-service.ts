/**
 * 举一反三 changes: fanning an item out (marked 共性 first), a unit's answer, a spot-check. Answers
 * are written here, not through the fan-out workflow, so two thousand of them stay out of its
 * history; an answer that opens an item starts the item's workflow first, with an id fixed by
 * the fan-out and the unit, so a retry or a race opens it exactly once, and the answer is then
 * set once (a trigger keeps it as it was given).
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { oversees, isUnitRole, type Actor } from '../domain/actors';
import { shanghaiDate, shiftWorkingDays } from '../domain/calendar';
import { MAX_DUE_WORKING_DAYS } from '../domain/due-date';
import {
  DEFAULT_FAN_OUT_LADDER,
  FAN_OUT_ANSWERS,
  FAN_OUT_ANSWER_LABELS,
  fanOutItemId,
  fanOutWorkflowId,
  FanOutSelectionSchema,
  selectUnits,
  SPOT_CHECK_DECISIONS,
} from '../domain/fan-out';
import { fanOutSubject, type Subject } from '../domain/subject';
import type { CreateItem } from '../domain/commands';
import { currentCalendar } from '../lib/calendar-store';
import { policyFor } from '../lib/policies';
import { openItem } from '../workflows/client/items';
import { fanOutAnsweredSignal, fanOutWorkflow } from '../workflows/fan-out';
import { changeItemClasses } from './classes-service';
import { AppError, badRequest, conflict, forbidden, withTemporal, type FieldError } from './errors';
import {
  fanOutView,
  loadFanOut,
  unitRow,
  unitViews,
  type FanOutRow,
  type FanOutUnitRow,
  type FanOutUnitView,
  type FanOutView,
} from './read/fan-outs';
import { loadItem } from './read/items';
import type { Services } from './services';

const Text = (max: number) => z.string('应为文字').trim().min(1, '不能为空').max(max, `不能超过 ${max} 个字符`);

export const FanOutBody = z.strictObject({
  units: FanOutSelectionSchema,
  answerDays: z
    .number('应为整数')
    .int('应为整数')
    .min(1, '至少 1 个工作日')
    .max(60, '不能超过 60 个工作日')
    .default(10),
  spotCheckShare: z.number('应为 0 到 1 之间的数').min(0, '不能小于 0').max(1, '不能大于 1').default(0.2),
  requirements: Text(5000),
  itemDueInWorkingDays: z
    .number('应为整数')
    .int('应为整数')
    .min(1, '至少 1 个工作日')
    .max(MAX_DUE_WORKING_DAYS, `不能超过 ${MAX_DUE_WORKING_DAYS} 个工作日`)
    .default(20),
});
export type FanOutBody = z.infer<typeof FanOutBody>;

export const AnswerBody = z.strictObject({
  answer: z.enum(FAN_OUT_ANSWERS, '应为 absent（不存在）或 present（存在）'),
  reason: Text(2000),
  attachments: z
    .array(z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/, '应为 64 位十六进制 SHA-256') }))
    .max(10, '最多 10 个附件')
    .default([]),
});
export type AnswerBody = z.infer<typeof AnswerBody>;

export const SpotCheckBody = z.strictObject({
  decision: z.enum(SPOT_CHECK_DECISIONS, '应为 upheld（属实）或 overturned（推翻）'),
  note: Text(2000),
});
export type SpotCheckBody = z.infer<typeof SpotCheckBody>;

/** The fan-out an Idempotency-Key names: a retry finds the one its first try made. */
function fanOutId(userId: string, key: string | undefined): string {
  if (key === undefined) return `FO${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
  return `FO${createHash('sha256').update(`fan-out\n${userId}\n${key}`).digest('hex').slice(0, 10).toUpperCase()}`;
}

const conflict409 = (message: string, reason: string) => new AppError(409, 'conflict', message, { reason });

/**
 * The units a selection names, checked: every unit named must exist, oversight with a
 * jurisdiction names only units in it (a kind's units are taken from within it), and at least one
 * unit is left once the origin's lead unit is taken out.
 */
async function resolveUnits(s: Services, actor: Actor, body: FanOutBody, originUnitId: string): Promise<string[]> {
  const units = await s.db.unit.findMany({ select: { id: true, parentId: true, kind: true } });
  const known = new Set(units.map((u) => u.id));
  const bad: FieldError[] = [];
  const named: Array<[string, string]> = [
    ...(body.units.subtreeOf ? [['body.units.subtreeOf', body.units.subtreeOf] as [string, string]] : []),
    ...(body.units.unitIds ?? []).map((id, i): [string, string] => [`body.units.unitIds.${i}`, id]),
    ...(body.units.excludeUnitIds ?? []).map((id, i): [string, string] => [`body.units.excludeUnitIds.${i}`, id]),
  ];
  for (const [field, id] of named) if (!known.has(id)) bad.push({ field, reason: `单位“${id}”不存在` });
  if (bad.length) throw badRequest(bad, `下发单位有误：${bad[0]!.reason}`);
  const outside = named
    .filter(([field]) => !field.includes('exclude'))
    .filter(([, id]) => !oversees(actor, id))
    .map(([field]) => ({ field, reason: '该单位不在您的管辖范围内' }));
  if (outside.length)
    throw new AppError(403, 'forbidden', '所选单位不在您的管辖范围内，只能向管辖范围内的单位下发举一反三', {
      fields: outside,
    });
  const chosen = selectUnits(units, body.units, originUnitId).filter((id) => oversees(actor, id));
  if (chosen.length === 0)
    throw badRequest(
      [{ field: 'body.units', reason: '所选范围内没有可下发的单位（源头事项的牵头单位不计入）' }],
      '下发单位有误：所选范围内没有可下发的单位',
    );
  return chosen;
}

/**
 * POST /api/items/:id/fan-outs: marks the item 共性 (through the classes' one path, with its
 * history) and fans it out; a withdrawn item is refused (409). The rows and the workflow's
 * start are one transaction: a start that fails leaves no fan-out behind, and the workflow's
 * first step waits for the rows to commit.
 */
export async function createFanOut(
  s: Services,
  actor: Actor,
  itemId: string,
  body: FanOutBody,
  idempotencyKey?: string,
): Promise<FanOutView & { skippedAlreadyAsked: number }> {
  const origin = await loadItem(s, actor, itemId);
  // A problem the office withdrew is no problem to look for elsewhere: refused before anything is
  // written (a 共性 mark included). Open items, 退回交办 and 待裁定 among them, and closed ones may fan out.
  if (origin.status === 'withdrawn') throw conflict('该事项已撤销，不能发起举一反三', origin.status, []);
  const unitIds = await resolveUnits(s, actor, body, origin.leadUnitId);
  const now = s.now?.() ?? Date.now();
  const cal = await currentCalendar(s.db);
  const answerDue = shiftWorkingDays(cal, shanghaiDate(now), body.answerDays).date;
  const id = fanOutId(actor.userId, idempotencyKey);
  const { remaining: firstLook } = await notYetAsked(s.db, itemId, id, unitIds);
  if (firstLook.length === 0) throw nobodyLeft();
  const [classes] = await s.db.$queryRaw<Array<{ commonality: string | null }>>`
    SELECT commonality FROM items WHERE id = ${itemId}`;
  if (classes?.commonality !== 'common') await changeItemClasses(s, actor, itemId, { commonality: 'common' });
  let skippedAlreadyAsked = 0;
  await s.db.$transaction(
    async (tx) => {
      // One fan-out of an origin at a time: two made at once never ask the same unit twice.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(72707372, hashtext(${itemId}))`;
      const { remaining, skipped } = await notYetAsked(tx, itemId, id, unitIds);
      if (remaining.length === 0) throw nobodyLeft();
      skippedAlreadyAsked = skipped;
      const inserted = await tx.$executeRaw`
        INSERT INTO fan_outs (id, origin_item_id, requirements, selection, answer_days, answer_due, item_due_days,
                              spot_check_share, ladder, unit_count, status, created_by, created_by_name, created_at)
        VALUES (${id}, ${itemId}, ${body.requirements}, ${JSON.stringify(body.units)}::jsonb, ${body.answerDays},
                ${answerDue}, ${body.itemDueInWorkingDays}, ${body.spotCheckShare}, ${JSON.stringify(DEFAULT_FAN_OUT_LADDER)}::jsonb,
                ${remaining.length}, 'asking', ${actor.userId}, ${actor.name}, ${new Date(now)})
        ON CONFLICT (id) DO NOTHING`;
      if (inserted === 0) return; // a retry of a fan-out already made
      await tx.$executeRaw`
        INSERT INTO fan_out_units (fan_out_id, unit_id) SELECT ${id}, unnest(${remaining}::text[])`;
      try {
        await withTemporal(s, () =>
          s.temporal.workflow.start(fanOutWorkflow, {
            workflowId: fanOutWorkflowId(id),
            taskQueue: s.taskQueue,
            args: [{ fanOutId: id }],
            workflowIdConflictPolicy: 'FAIL',
          }),
        );
      } catch (err) {
        if (!(err instanceof AppError && err.extra.reason === 'already_exists')) throw err;
      }
    },
    { timeout: s.temporalTimeoutMs + 10_000, maxWait: 10_000 },
  );
  return { ...(await fanOutView(s, await loadFanOut(s, actor, id))), skippedAlreadyAsked };
}

/**
 * The chosen units not asked yet in another fan-out of the same origin: a unit asked once answers
 * once (a second 存在 would open a second, identical item). The fan-out `id` itself does not
 * count, so a retry of it finds the units it asked.
 */
async function notYetAsked(
  q: Pick<Services['db'], '$queryRaw'>,
  originItemId: string,
  id: string,
  unitIds: string[],
): Promise<{ remaining: string[]; skipped: number }> {
  const asked = await q.$queryRaw<Array<{ unit_id: string }>>`
    SELECT DISTINCT u.unit_id FROM fan_out_units u JOIN fan_outs f ON f.id = u.fan_out_id
    WHERE f.origin_item_id = ${originItemId} AND f.id <> ${id} AND u.unit_id = ANY(${unitIds}::text[])`;
  const done = new Set(asked.map((r) => r.unit_id));
  const remaining = unitIds.filter((u) => !done.has(u));
  return { remaining, skipped: unitIds.length - remaining.length };
}

const nobodyLeft = () =>
  badRequest(
    [{ field: 'body.units', reason: '所选单位均已在本事项此前的举一反三中被要求排查，不再重复下发' }],
    '下发单位有误：所选单位均已在本事项此前的举一反三中被要求排查',
  );

/** The item a 存在 (or an overturned 不存在) opens under the unit: the origin's classes, the fan-out's requirements. */
async function openFanOutItem(s: Services, f: FanOutRow, unitId: string, why: string): Promise<string> {
  const id = fanOutItemId(f.id, unitId);
  const [origin] = await s.db.$queryRaw<
    Array<{
      category: string;
      priority: string;
      source_code: string;
      domain_code: string | null;
      tags: string[];
      number: string;
    }>
  >`SELECT category, priority, source_code, domain_code, tags, number FROM items WHERE id = ${f.origin_item_id}`;
  const o = origin!;
  const cal = await currentCalendar(s.db);
  const dueDate = shiftWorkingDays(cal, shanghaiDate(s.now?.() ?? Date.now()), f.item_due_days).date;
  const spec: CreateItem = {
    title: `【举一反三】${f.origin_title}`.slice(0, 200),
    description: `${f.requirements}\n\n源头问题：${o.number} ${f.origin_title}\n${why}`.slice(0, 5000),
    // As stored from a parsed CreateItem: the same enums.
    category: o.category as CreateItem['category'],
    priority: o.priority as CreateItem['priority'],
    source: `举一反三 · ${o.number}`.slice(0, 200),
    leadUnitId: unitId,
    coUnitIds: [],
    dueDate,
    sourceCode: o.source_code,
    commonality: 'common',
    ...(o.domain_code ? { domainCode: o.domain_code } : {}),
    // The origin's tags too, so a search by tag finds the items it gave rise to.
    ...(o.tags.length ? { tags: o.tags } : {}),
  };
  // The fan-out's author opens it, as the supervisor who asked.
  const opener: Actor = { userId: f.created_by, name: f.created_by_name, role: 'supervisor', unitId: null };
  const policy = await policyFor(s.db, spec.category, spec.priority);
  try {
    await withTemporal(s, () =>
      openItem(s.temporal, s.taskQueue, {
        id,
        problemListId: null,
        spec,
        createdBy: opener,
        config: { maxDeclines: s.maxDeclines },
        policy,
      }),
    );
  } catch (err) {
    // Started by an earlier try or a racing request: that is the item (its id says so).
    if (!(err instanceof AppError && err.extra.reason === 'already_exists')) throw err;
  }
  return id;
}

/** Files named by SHA-256 must have been uploaded to this fan-out by the answering unit. */
async function answerAttachments(s: Services, fanOutId: string, unitId: string, given: AnswerBody['attachments']) {
  if (given.length === 0) return [];
  const rows = await s.db.evidence.findMany({
    where: { subjectKind: 'fan_out', subjectId: fanOutId, unitId, sha256: { in: given.map((a) => a.sha256) } },
  });
  const bySha = new Map(rows.map((r) => [r.sha256, r]));
  const bad = given
    .map((a, i) => ({ a, i }))
    .filter(({ a }) => !bySha.has(a.sha256))
    .map(({ i }) => ({ field: `body.attachments.${i}.sha256`, reason: '该文件未上传到本举一反三，请先上传' }));
  if (bad.length) throw badRequest(bad, `附件有误：${bad[0]!.reason}`);
  return given.map((a) => {
    const r = bySha.get(a.sha256)!;
    return { sha256: r.sha256, name: r.name, mime: r.mime, size: r.size };
  });
}

/** Reads the fan-out row FOR SHARE (answers wait while it is being closed for the draw) and the unit's row FOR UPDATE. */
async function lockRows(tx: Pick<Services['db'], '$queryRaw'>, fanOutId: string, unitId: string) {
  const [f] = await tx.$queryRaw<Array<{ status: string; share: number }>>`
    SELECT status, spot_check_share::float8 AS share FROM fan_outs WHERE id = ${fanOutId} FOR SHARE`;
  const [u] = await tx.$queryRaw<FanOutUnitRow[]>`
    SELECT * FROM fan_out_units WHERE fan_out_id = ${fanOutId} AND unit_id = ${unitId} FOR UPDATE`;
  return { f: f!, u: u! };
}

/**
 * POST /api/fan-outs/:id/answers: the caller's unit answers, once. 存在 opens the unit's item
 * first (exactly once, by its id), then the answer is set; an answer after the draw is drawn on
 * its own with the fan-out's share. The last answer wakes the workflow, which stops chasing.
 */
export async function answerFanOut(
  s: Services,
  actor: Actor,
  fanOutId: string,
  body: AnswerBody,
): Promise<FanOutUnitView> {
  if (!isUnitRole(actor) || actor.unitId === null) throw forbidden('只有被下发单位的经办人或负责人可以答复');
  const unitId = actor.unitId;
  const f = await loadFanOut(s, actor, fanOutId);
  const attachments = await answerAttachments(s, fanOutId, unitId, body.attachments);
  const now = new Date(s.now?.() ?? Date.now());
  await s.db.$transaction(
    async (tx) => {
      const { f: head, u } = await lockRows(tx, fanOutId, unitId);
      if (u.asked_at === null) throw conflict409('该举一反三尚未下发到本单位，请稍后再答复', 'not_asked');
      if (u.answer !== null)
        throw conflict409(
          `本单位已于 ${u.answered_at?.toISOString().slice(0, 10)} 答复“${FAN_OUT_ANSWER_LABELS[u.answer]}”，答复不能更改`,
          'already_answered',
        );
      const itemId =
        body.answer === 'present' ? await openFanOutItem(s, f, unitId, `本单位答复：存在。${body.reason}`) : null;
      // After the draw a 不存在 is drawn alone, with the same share (a late answer escapes no check).
      const sampled =
        head.status === 'sampled' && body.answer === 'absent' && randomInt(1_000_000) < head.share * 1_000_000;
      await tx.$executeRaw`
        UPDATE fan_out_units SET answer = ${body.answer}, reason = ${body.reason}, attachments = ${JSON.stringify(attachments)}::jsonb,
               answered_by = ${actor.userId}, answered_by_name = ${actor.name}, answered_at = ${now},
               item_id = ${itemId}, sampled = sampled OR ${sampled}
        WHERE fan_out_id = ${fanOutId} AND unit_id = ${unitId} AND answer IS NULL`;
    },
    { timeout: s.temporalTimeoutMs + 10_000, maxWait: 10_000 },
  );
  const [{ silent }] = (await s.db.$queryRaw<Array<{ silent: number }>>`
    SELECT count(*)::int AS silent FROM fan_out_units WHERE fan_out_id = ${fanOutId} AND answer IS NULL`) as [
    { silent: number },
  ];
  if (silent === 0)
    // A hint only (the workflow reads the count itself at its next rung): a finished workflow, or Temporal away, changes nothing here.
    await s.temporal.workflow
      .getHandle(fanOutWorkflowId(fanOutId))
      .signal(fanOutAnsweredSignal)
      .catch(() => undefined);
  return (await unitViews(s, f, [(await unitRow(s, fanOutId, unitId))!]))[0]!;
}

/**
 * POST /api/fan-outs/:id/units/:unitId/spot-check: a sampled 不存在 is upheld, or overturned, which
 * opens the unit's item (exactly once, as a 存在 does). The decision stands once given.
 */
export async function spotCheckFanOut(
  s: Services,
  actor: Actor,
  fanOutId: string,
  unitId: string,
  body: SpotCheckBody,
): Promise<FanOutUnitView> {
  const f = await loadFanOut(s, actor, fanOutId);
  if (!oversees(actor, unitId)) throw forbidden('该单位不在您的管辖范围内');
  const now = new Date(s.now?.() ?? Date.now());
  await s.db.$transaction(
    async (tx) => {
      const { u } = await lockRows(tx, fanOutId, unitId);
      if (!u) throw new AppError(404, 'not_found', '该单位不在本次举一反三的下发范围内');
      if (!u.sampled || u.answer !== 'absent') throw conflict409('只能抽查被抽中的“不存在”答复', 'not_sampled');
      if (u.spot_check !== null) throw conflict409('该答复已抽查，结论不能更改', 'already_checked');
      const itemId =
        body.decision === 'overturned'
          ? await openFanOutItem(s, f, unitId, `本单位答复“不存在”，经督查室抽查推翻：${body.note}`)
          : null;
      await tx.$executeRaw`
        UPDATE fan_out_units SET spot_check = ${body.decision}, spot_check_note = ${body.note},
               spot_check_by = ${actor.userId}, spot_check_at = ${now}, item_id = COALESCE(item_id, ${itemId})
        WHERE fan_out_id = ${fanOutId} AND unit_id = ${unitId} AND spot_check IS NULL`;
    },
    { timeout: s.temporalTimeoutMs + 10_000, maxWait: 10_000 },
  );
  return (await unitViews(s, f, [(await unitRow(s, fanOutId, unitId))!]))[0]!;
}

/** Files for an answer are uploaded by an asked unit that has not answered yet. */
export async function checkFanOutUpload(s: Services, actor: Actor, fanOutId: string): Promise<Subject> {
  if (!isUnitRole(actor) || actor.unitId === null) throw forbidden('只有被下发单位可以上传答复材料');
  await loadFanOut(s, actor, fanOutId);
  const u = await unitRow(s, fanOutId, actor.unitId);
  if (u?.answer) throw conflict409('本单位已答复，不能再上传材料', 'already_answered');
  return fanOutSubject(fanOutId);
}
