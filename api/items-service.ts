import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { isUnitRole, oversees, type Actor } from '../domain/actors';
import { can } from '../domain/permissions';
import type { Attachment } from '../domain/commands';
import { ACTION_LABELS, parseCommand, type Action, type CreateItem } from '../domain/commands';
import {
  actionsFor,
  decide,
  holdingUp,
  isTerminal,
  STATUS_LABELS,
  TERMINAL,
  type Item,
  type Status,
} from '../domain/item';
import type { Db } from '../lib/db';
import { actOnItem, openItem } from '../workflows/client/items';
import { itemWorkflowId, transitionKey } from '../workflows/ids';
import { policyFor } from '../lib/policies';
import { currentCalendar } from '../lib/calendar-store';
import { overdueWorkingDays } from '../domain/deadlines';
import { shiftWorkingDays, type Calendar, shanghaiDate } from '../domain/calendar';
import { LIGHT_LABELS, RUNG_LABELS, type Light, type RungAction } from '../domain/policy';
import { toCsv } from '../lib/csv';
import { buildLedger } from './ledger';
import type { Prisma } from '../generated/prisma/client';
import {
  AppError,
  badRequest,
  conflict,
  forbidden,
  fromRefusal,
  fromTemporal,
  notFound,
  type FieldError,
} from './errors';

export interface Services {
  db: Db;
  temporal: Client;
  taskQueue: string;
  maxDeclines: number;
  /** How long an API call waits on Temporal before answering 503. */
  temporalTimeoutMs: number;
  /** The clock for "today" (overdue days, ledgers); tests on a time-skipping server pass theirs. */
  now?: () => number;
}

function today(s: Services): string {
  return shanghaiDate(s.now?.() ?? Date.now());
}

/**
 * What an actor may see: a unit's staff the items their unit leads or co-handles; supervisors,
 * verifiers and leaders the items led by a unit in their jurisdiction; the rest (the auditor,
 * oversight without a jurisdiction) every item. Whether the role may read items at all is the
 * route's permission.
 */
export function visibleTo(actor: Actor): Prisma.ItemWhereInput {
  if (isUnitRole(actor)) {
    const unit = actor.unitId ?? '\u0000';
    return { OR: [{ leadUnitId: unit }, { coUnitIds: { has: unit } }] };
  }
  if (actor.jurisdiction) return { leadUnitId: { in: actor.jurisdiction } };
  return {};
}

export function isOverdue(item: { status: string; dueDate: string }, today = shanghaiDate(Date.now())): boolean {
  return !isTerminal(item.status as Status) && item.dueDate < today;
}

export function itemView(item: Item, actor: Actor) {
  return {
    ...item,
    statusLabel: STATUS_LABELS[item.status],
    overdue: isOverdue(item),
    holdingUp: holdingUp(item),
    allowedActions: actionsFor(item, actor),
  };
}

async function withTemporal<T>(s: Services, fn: () => Promise<T>): Promise<T> {
  try {
    return await s.temporal.connection.withDeadline(Date.now() + s.temporalTimeoutMs, fn);
  } catch (err) {
    throw fromTemporal(err) ?? err;
  }
}

async function checkUnits(db: Db, fields: Array<[string, string]>): Promise<void> {
  if (fields.length === 0) return;
  const ids = [...new Set(fields.map(([, id]) => id))];
  const known = new Set(
    (await db.unit.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((u) => u.id),
  );
  const bad: FieldError[] = fields
    .filter(([, id]) => !known.has(id))
    .map(([field, id]) => ({ field, reason: `单位“${id}”不存在` }));
  if (bad.length > 0) throw badRequest(bad);
}

export function unitFields(
  spec: Pick<CreateItem, 'leadUnitId' | 'coUnitIds'>,
  prefix = 'body',
): Array<[string, string]> {
  return [
    [`${prefix}.leadUnitId`, spec.leadUnitId],
    ...spec.coUnitIds.map((id, i): [string, string] => [`${prefix}.coUnitIds.${i}`, id]),
  ];
}

export async function createItem(s: Services, actor: Actor, spec: CreateItem): Promise<Item> {
  if (!can(actor.role, 'item.create')) throw forbidden('只有督查人员可以立项交办');
  await checkUnits(s.db, unitFields(spec));
  checkJurisdiction(actor, unitFields(spec));
  const id = `I${randomUUID().replace(/-/g, '').slice(0, 11).toUpperCase()}`;
  const policy = await policyFor(s.db, spec.category, spec.priority);
  return withTemporal(s, () =>
    openItem(s.temporal, s.taskQueue, {
      id,
      problemListId: null,
      spec,
      createdBy: actor,
      config: { maxDeclines: s.maxDeclines },
      policy,
    }),
  );
}

/** Oversight with a jurisdiction assigns work only to units in it: the lead unit and every co-unit. */
export function checkJurisdiction(actor: Actor, fields: Array<[string, string]>): void {
  const outside = fields
    .filter(([, id]) => !oversees(actor, id))
    .map(([field]) => ({ field, reason: '该单位不在您的管辖范围内' }));
  if (outside.length > 0)
    throw new AppError(
      403,
      'forbidden',
      outside[0]!.field.endsWith('leadUnitId') ? '牵头单位不在您的管辖范围内' : '配合单位不在您的管辖范围内',
      { fields: outside },
    );
}

async function loadRow(s: Services, actor: Actor, id: string) {
  const row = await s.db.item.findFirst({
    where: { AND: [{ id }, visibleTo(actor)] },
    select: { snapshot: true, attention: true, attentionSince: true },
  });
  if (!row) throw notFound();
  return { item: row.snapshot as unknown as Item, attention: row.attention, attentionSince: row.attentionSince };
}

export async function loadItem(s: Services, actor: Actor, id: string): Promise<Item> {
  return (await loadRow(s, actor, id)).item;
}

export async function act(
  s: Services,
  actor: Actor,
  id: string,
  action: Action,
  payload: unknown,
  updateId: string | undefined,
): Promise<Item> {
  const item = await loadItem(s, actor, id);
  if (!can(actor.role, action)) throw forbidden(`您的角色不能执行“${ACTION_LABELS[action]}”`);
  const command = parseCommand({ action, payload: await withEvidence(s, item, payload), actor });
  if (action === 'reassign' && command.action === 'reassign') {
    const fields = unitFields({ leadUnitId: command.payload.leadUnitId, coUnitIds: command.payload.coUnitIds ?? [] });
    await checkUnits(s.db, fields);
    checkJurisdiction(actor, fields);
  }
  if (action === 'arbitrate' && command.action === 'arbitrate') {
    await checkUnits(s.db, [['body.unitId', command.payload.unitId]]);
    checkJurisdiction(actor, [['body.unitId', command.payload.unitId]]);
  }
  // The same rules the workflow applies, checked first on the recorded state: a refused
  // request never reaches Temporal. The workflow's validator still has the last word.
  const precheck = decide(item, command, new Date().toISOString(), { maxDeclines: s.maxDeclines });
  if (!precheck.ok && !(await recordedButUnconfirmed(s, id, updateId))) throw fromRefusal(precheck);
  try {
    return await withTemporal(s, () => actOnItem(s.temporal, id, command, updateId));
  } catch (err) {
    // The item was there a moment ago: its workflow has just finished (a racing action closed it).
    if (err instanceof AppError && err.statusCode === 404) {
      const now = await loadItem(s, actor, id);
      throw conflict(`当前状态为“${STATUS_LABELS[now.status]}”，不能执行该操作`, now.status, actionsFor(now, actor));
    }
    throw err;
  }
}

/**
 * A retry (same Idempotency-Key, so the same Update id) of a transition PostgreSQL has recorded
 * but Temporal may have lost: the record is written by the Update's local activity before the
 * workflow task that accepts the Update is saved, so a Temporal server that dies in between keeps
 * neither the Update nor its acceptance. The record then looks one step ahead of the workflow.
 * Sending the same Update again lets the workflow catch up (its record is not written twice);
 * if Temporal had kept it, it answers with the outcome it already has.
 */
async function recordedButUnconfirmed(s: Services, itemId: string, updateId: string | undefined): Promise<boolean> {
  if (!updateId) return false;
  return (await s.db.itemEvent.count({ where: { key: transitionKey(itemWorkflowId(itemId), updateId) } })) > 0;
}

/**
 * Attachments name files uploaded to this item's evidence by their SHA-256; what the event
 * records (name, type, size, hash) is taken from the upload, not from the request.
 */
async function withEvidence(s: Services, item: Item, payload: unknown): Promise<unknown> {
  const given = (payload as { attachments?: unknown } | null)?.attachments;
  if (!Array.isArray(given) || given.length === 0) return payload;
  const shas = given.map((a: unknown) => (a && typeof a === 'object' ? (a as { sha256?: unknown }).sha256 : undefined));
  const rows = await s.db.evidence.findMany({
    where: { itemId: item.id, sha256: { in: shas.filter((x): x is string => typeof x === 'string') } },
  });
  const bySha = new Map(rows.map((r) => [r.sha256, r]));
  const bad: FieldError[] = [];
  const attachments: Attachment[] = shas.map((sha, i) => {
    const row = typeof sha === 'string' ? bySha.get(sha) : undefined;
    if (!row) {
      bad.push({
        field: `body.attachments.${i}.sha256`,
        reason: typeof sha === 'string' ? '该文件未上传到本事项，请先上传' : '请先上传文件，再以 sha256 引用',
      });
      return { name: '', ref: '' };
    }
    return { name: row.name, ref: `evidence:${row.sha256}`, sha256: row.sha256, mime: row.mime, size: row.size };
  });
  if (bad.length) throw badRequest(bad);
  return { ...(payload as object), attachments };
}

function escalationLabel(p: { action: RungAction; skipped?: boolean }): string {
  const label = RUNG_LABELS[p.action] ?? '回头看到期';
  return p.skipped ? `${label}（前一通知已确认，未升级）` : label;
}

export async function itemDetail(s: Services, actor: Actor, id: string) {
  const { item, attention, attentionSince } = await loadRow(s, actor, id);
  const events = await s.db.itemEvent.findMany({ where: { itemId: id }, orderBy: { seq: 'asc' } });
  return {
    item: itemView(item, actor),
    /** A write of this item failed past its attempt limit; the system retries it on a timer. */
    attention: attention ? { reason: attention, since: attentionSince?.toISOString() ?? null } : null,
    timeline: events.map((e) => ({
      seq: e.seq,
      action: e.action,
      actionLabel:
        e.action === 'create'
          ? '立项交办'
          : e.action === 'escalate'
            ? escalationLabel(e.payload as { action: RungAction; skipped?: boolean })
            : ACTION_LABELS[e.action as Action],
      fromStatus: e.fromStatus,
      toStatus: e.toStatus,
      actor: { userId: e.actorUserId, name: e.actorName, role: e.actorRole, unitId: e.actorUnitId },
      at: e.at.toISOString(),
      payload: e.payload,
      attachments: e.attachments,
    })),
  };
}

export interface ListQuery {
  status?: Status[];
  light?: Light[];
  /** Only items at least this many working days past their closure deadline. */
  minOverdueDays?: number;
  unit?: string;
  overdue?: boolean;
  problemListId?: string;
  /** Only items whose writes failed past their attempt limit and are being retried. */
  attention?: boolean;
  q?: string;
  sort: 'dueDate' | '-dueDate' | 'createdAt' | '-createdAt' | 'updatedAt' | '-updatedAt' | '-overdueDays';
  page: number;
  pageSize: number;
}

/**
 * Text for Prisma's `contains`/`startsWith`, which pastes it into a LIKE pattern unescaped: without
 * this `%` and `_` match anything. Backslash is PostgreSQL's default LIKE escape.
 */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function listWhere(
  actor: Actor,
  q: Omit<ListQuery, 'sort' | 'page' | 'pageSize'>,
  cal: Calendar,
  today = shanghaiDate(Date.now()),
): Prisma.ItemWhereInput {
  const and: Prisma.ItemWhereInput[] = [visibleTo(actor)];
  if (q.status?.length) and.push({ status: { in: q.status } });
  if (q.light?.length) and.push({ light: { in: q.light } });
  // N or more working days overdue ⇔ the deadline is on or before the N-th working day before today.
  if (q.minOverdueDays !== undefined) {
    const latest = q.minOverdueDays === 0 ? today : shiftWorkingDays(cal, today, -q.minOverdueDays).date;
    and.push({
      deadlineDate: q.minOverdueDays === 0 ? { lt: today } : { lte: latest },
      status: { notIn: [...TERMINAL] },
    });
  }
  if (q.unit) and.push({ OR: [{ leadUnitId: q.unit }, { coUnitIds: { has: q.unit } }] });
  if (q.overdue === true) and.push({ dueDate: { lt: today }, status: { notIn: [...TERMINAL] } });
  if (q.overdue === false) and.push({ OR: [{ dueDate: { gte: today } }, { status: { in: [...TERMINAL] } }] });
  if (q.problemListId) and.push({ problemListId: q.problemListId });
  if (q.attention === true) and.push({ attention: { not: null } });
  if (q.q) and.push({ title: { contains: likeLiteral(q.q) } });
  return { AND: and };
}

/** One page of the list, its rows as the list shows them; the count is the caller's to ask for. */
async function listPage(
  s: Services,
  cal: Calendar,
  todayDate: string,
  where: Prisma.ItemWhereInput,
  q: Pick<ListQuery, 'sort' | 'page' | 'pageSize'>,
) {
  // Most overdue first is the earliest deadline first.
  const [field, direction] =
    q.sort === '-overdueDays'
      ? (['deadlineDate', 'asc'] as const)
      : ([
          q.sort.replace('-', '') as 'dueDate' | 'createdAt' | 'updatedAt',
          q.sort.startsWith('-') ? 'desc' : 'asc',
        ] as const);
  const rows = await s.db.item.findMany({
    where,
    orderBy: [{ [field]: direction }, { id: 'asc' }],
    skip: (q.page - 1) * q.pageSize,
    take: q.pageSize,
    select: {
      id: true,
      title: true,
      category: true,
      priority: true,
      status: true,
      leadUnitId: true,
      coUnitIds: true,
      dueDate: true,
      deadlineDate: true,
      light: true,
      calendarWarning: true,
      attention: true,
      declineCount: true,
      returnCount: true,
      problemListId: true,
      createdAt: true,
      updatedAt: true,
    },
  });
  return rows.map((r) => ({
    ...r,
    status: r.status as Status,
    statusLabel: STATUS_LABELS[r.status as Status],
    overdue: isOverdue(r, todayDate),
    overdueWorkingDays: isTerminal(r.status as Status)
      ? 0
      : overdueWorkingDays(cal, r.deadlineDate ?? r.dueDate, todayDate),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  }));
}

export async function listItems(s: Services, actor: Actor, q: ListQuery) {
  const cal = await currentCalendar(s.db);
  const todayDate = today(s);
  const where = listWhere(actor, q, cal, todayDate);
  const [total, items] = await Promise.all([s.db.item.count({ where }), listPage(s, cal, todayDate, where, q)]);
  return { total, page: q.page, pageSize: q.pageSize, items };
}

const EXPORT_BATCH = 2000;
export const EXPORT_MAX_ROWS = 100_000;

/**
 * The list as CSV (UTF-8 with a byte-order mark, so Excel opens it in Chinese), with the list's
 * filters and order, in batches so 100,000 rows never sit in memory at once.
 */
export async function* exportItems(
  s: Services,
  actor: Actor,
  q: Omit<ListQuery, 'page' | 'pageSize'>,
): AsyncGenerator<string> {
  yield (
    '\uFEFF' +
    toCsv([
      [
        '编号',
        '标题',
        '状态',
        '灯色',
        '牵头单位',
        '配合单位',
        '类别',
        '优先级',
        '办结时限',
        '现行期限',
        '超期工作日',
        '退回次数',
        '立项时间',
        '更新时间',
      ],
    ])
  );
  const units = new Map((await s.db.unit.findMany({ select: { id: true, name: true } })).map((u) => [u.id, u.name]));
  const name = (id: string) => units.get(id) ?? id;
  // The calendar, today and the filter once for the whole export; no count.
  const cal = await currentCalendar(s.db);
  const todayDate = today(s);
  const where = listWhere(actor, q, cal, todayDate);
  for (let page = 1; (page - 1) * EXPORT_BATCH < EXPORT_MAX_ROWS; page++) {
    const items = await listPage(s, cal, todayDate, where, { sort: q.sort, page, pageSize: EXPORT_BATCH });
    yield toCsv(
      items.map((i) => [
        i.id,
        i.title,
        i.statusLabel,
        LIGHT_LABELS[i.light as Light] ?? i.light,
        name(i.leadUnitId),
        i.coUnitIds.map(name).join('、'),
        i.category,
        i.priority,
        i.dueDate,
        i.deadlineDate,
        i.overdueWorkingDays,
        i.returnCount,
        i.createdAt,
        i.updatedAt,
      ]),
    ).replace(/^\r\n$/, '');
    if (items.length < EXPORT_BATCH) return;
  }
}

export async function itemLedger(s: Services, actor: Actor, id: string) {
  const item = await loadItem(s, actor, id);
  return buildLedger(item, await currentCalendar(s.db), today(s));
}

export { AppError };
