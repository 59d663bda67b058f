/**
 * 举一反三 as the API shows it: a fan-out with its coverage (on the origin item's board), its units'
 * answers page by page, and what a unit is asked. Oversight sees the fan-outs of the items it
 * sees (the units' rows of its jurisdiction); a unit's staff see only the fan-outs their unit is
 * asked in, and of those only their own row: the origin's title and requirements, never another
 * unit's answer (the coverage counts are totals, naming nobody).
 */
import { isUnitRole, type Actor } from '../../domain/actors';
import { instantAt } from '../../domain/calendar';
import {
  FanOutLadderSchema,
  FanOutSelectionSchema,
  type FanOutAnswer,
  type FanOutCoverage,
  type FanOutStatus,
  type SpotCheckDecision,
} from '../../domain/fan-out';
import { fanOutSubject, subjectColumns } from '../../domain/subject';
import { Prisma } from '../../generated/prisma/client';
import type { EvidenceStore } from '../../lib/evidence-store';
import { loadUnitLabels } from '../../lib/unit-names';
import { notFound } from '../errors';
import type { Services } from '../services';
import { itemsVisibleSql } from '../visibility';
import { loadItem } from './items';

export interface FanOutRow {
  id: string;
  origin_item_id: string;
  origin_number: string;
  origin_title: string;
  requirements: string;
  selection: unknown;
  answer_days: number;
  answer_due: string;
  item_due_days: number;
  spot_check_share: number;
  ladder: unknown;
  unit_count: number;
  status: FanOutStatus;
  created_by: string;
  created_by_name: string;
  created_at: Date;
  sampled_at: Date | null;
}

export interface FanOutUnitRow {
  fan_out_id: string;
  unit_id: string;
  asked_at: Date | null;
  chased: number;
  last_chased_at: Date | null;
  answer: FanOutAnswer | null;
  reason: string | null;
  attachments: unknown;
  answered_by: string | null;
  answered_by_name: string | null;
  answered_at: Date | null;
  item_id: string | null;
  sampled: boolean;
  spot_check: SpotCheckDecision | null;
  spot_check_note: string | null;
  spot_check_by: string | null;
  spot_check_at: Date | null;
}

export const FAN_OUT_STATES = ['silent', 'absent', 'present', 'sampled', 'overturned'] as const;
export type FanOutState = (typeof FAN_OUT_STATES)[number];
export const FAN_OUT_PAGE_SIZE = 100;

const SELECT_FAN_OUT = Prisma.sql`
  SELECT f.id, f.origin_item_id, i.number AS origin_number, i.title AS origin_title, f.requirements, f.selection,
         f.answer_days, f.answer_due, f.item_due_days, f.spot_check_share::float8 AS spot_check_share, f.ladder,
         f.unit_count, f.status, f.created_by, f.created_by_name, f.created_at, f.sampled_at
  FROM fan_outs f JOIN items i ON i.id = f.origin_item_id`;

/** End of the due date: an answer after it is late. */
const dueEnd = (f: Pick<FanOutRow, 'answer_due'>) => new Date(instantAt(f.answer_due, '24:00'));

export async function coverageOf(s: Services, f: Pick<FanOutRow, 'id' | 'answer_due'>): Promise<FanOutCoverage> {
  const rows = await s.db.$queryRaw<FanOutCoverage[]>`
    SELECT count(*) FILTER (WHERE asked_at IS NOT NULL)::int AS asked,
           count(*) FILTER (WHERE answer IS NOT NULL)::int AS answered,
           count(*) FILTER (WHERE answer = 'absent')::int AS absent,
           count(*) FILTER (WHERE answer = 'present')::int AS present,
           count(*) FILTER (WHERE answer IS NULL)::int AS silent,
           count(*) FILTER (WHERE answered_at > ${dueEnd(f)})::int AS late,
           count(*) FILTER (WHERE sampled)::int AS sampled,
           count(*) FILTER (WHERE spot_check IS NOT NULL)::int AS checked,
           count(*) FILTER (WHERE spot_check = 'overturned')::int AS overturned,
           count(*) FILTER (WHERE item_id IS NOT NULL)::int AS "itemsOpened"
    FROM fan_out_units WHERE fan_out_id = ${f.id}`;
  return rows[0]!;
}

export async function fanOutView(s: Services, f: FanOutRow) {
  return {
    id: f.id,
    originItemId: f.origin_item_id,
    originNumber: f.origin_number,
    originTitle: f.origin_title,
    requirements: f.requirements,
    answerDue: f.answer_due,
    answerDays: f.answer_days,
    itemDueInWorkingDays: f.item_due_days,
    spotCheckShare: f.spot_check_share,
    status: f.status,
    unitCount: f.unit_count,
    createdAt: f.created_at.toISOString(),
    createdByName: f.created_by_name,
    sampledAt: f.sampled_at?.toISOString() ?? null,
    selection: FanOutSelectionSchema.parse(f.selection),
    ladder: FanOutLadderSchema.parse(f.ladder),
    coverage: await coverageOf(s, f),
  };
}
export type FanOutView = Awaited<ReturnType<typeof fanOutView>>;

export interface Attachment {
  sha256: string;
  name: string;
  mime: string;
  size: number;
}

export function unitView(
  f: Pick<FanOutRow, 'answer_due'>,
  u: FanOutUnitRow,
  names: Map<string, string>,
  numbers: Map<string, string>,
) {
  return {
    unitId: u.unit_id,
    unitName: names.get(u.unit_id) ?? u.unit_id,
    askedAt: u.asked_at?.toISOString() ?? null,
    chased: u.chased,
    answer: u.answer,
    reason: u.reason,
    attachments: (u.attachments ?? []) as Attachment[],
    answeredByName: u.answered_by_name,
    answeredAt: u.answered_at?.toISOString() ?? null,
    late: u.answered_at !== null && u.answered_at > dueEnd(f),
    itemId: u.item_id,
    itemNumber: u.item_id ? (numbers.get(u.item_id) ?? null) : null,
    sampled: u.sampled,
    spotCheck: u.spot_check,
    spotCheckNote: u.spot_check_note,
  };
}
export type FanOutUnitView = ReturnType<typeof unitView>;

/** 督办编号 of the items the rows opened. */
async function itemNumbers(s: Services, rows: readonly FanOutUnitRow[]): Promise<Map<string, string>> {
  const ids = rows.flatMap((r) => (r.item_id ? [r.item_id] : []));
  if (ids.length === 0) return new Map();
  const items = await s.db.item.findMany({ where: { id: { in: ids } }, select: { id: true, number: true } });
  return new Map(items.map((i) => [i.id, i.number]));
}

export async function unitViews(s: Services, f: Pick<FanOutRow, 'answer_due'>, rows: FanOutUnitRow[]) {
  const [names, numbers] = await Promise.all([loadUnitLabels(s.db), itemNumbers(s, rows)]);
  return rows.map((u) => unitView(f, u, names, numbers));
}

/** The row of one unit, or none. */
export async function unitRow(s: Services, fanOutId: string, unitId: string): Promise<FanOutUnitRow | undefined> {
  const rows = await s.db.$queryRaw<FanOutUnitRow[]>`
    SELECT * FROM fan_out_units WHERE fan_out_id = ${fanOutId} AND unit_id = ${unitId}`;
  return rows[0];
}

/**
 * The fan-out as the actor may see it, or 404 (unknown, or not the actor's to see): oversight
 * when it sees the origin item, a unit's staff when their unit is asked in it.
 */
export async function loadFanOut(s: Services, actor: Actor, fanOutId: string): Promise<FanOutRow> {
  const rows = isUnitRole(actor)
    ? await s.db.$queryRaw<FanOutRow[]>`${SELECT_FAN_OUT}
        WHERE f.id = ${fanOutId} AND EXISTS (
          SELECT 1 FROM fan_out_units u WHERE u.fan_out_id = f.id AND u.unit_id = ${actor.unitId ?? ''})`
    : await s.db.$queryRaw<FanOutRow[]>`${SELECT_FAN_OUT}
        WHERE f.id = ${fanOutId} AND f.origin_item_id IN (SELECT id FROM items WHERE ${itemsVisibleSql(actor)})`;
  if (!rows[0]) throw notFound('举一反三不存在');
  return rows[0];
}

/**
 * GET /api/fan-outs/:id/evidence/:sha256: one file of an answer, or 404. A unit's staff open the
 * files their unit uploaded (before answering too); oversight opens a file once a unit of its
 * view cites it in its answer (what the board lists), never a draft upload. Another asked unit
 * never opens it.
 */
export async function fanOutEvidenceFile(
  s: Services,
  store: EvidenceStore,
  actor: Actor,
  fanOutId: string,
  sha256: string,
) {
  await loadFanOut(s, actor, fanOutId);
  const row = await s.db.evidence.findFirst({ where: { ...subjectColumns(fanOutSubject(fanOutId)), sha256 } });
  const unitId = row?.unitId ?? '';
  const visible = isUnitRole(actor)
    ? unitId === actor.unitId
    : (
        await s.db.$queryRaw<unknown[]>`
          SELECT 1 FROM fan_out_units
          WHERE fan_out_id = ${fanOutId} AND unit_id = ${unitId} AND ${rowScope(actor)}
            AND attachments @> ${JSON.stringify([{ sha256 }])}::jsonb`
      ).length > 0;
  if (!row || !visible || !(await store.exists(row.sha256))) throw notFound('文件不存在');
  return row;
}

/** The rows of the actor's view: a unit its own, oversight with a jurisdiction the units in it. */
function rowScope(actor: Actor): Prisma.Sql {
  if (isUnitRole(actor)) return Prisma.sql`unit_id = ${actor.unitId ?? ''}`;
  if (actor.jurisdiction) return Prisma.sql`unit_id = ANY(${[...actor.jurisdiction]}::text[])`;
  return Prisma.sql`TRUE`;
}

const STATE_SQL: Record<FanOutState, Prisma.Sql> = {
  silent: Prisma.sql`answer IS NULL`,
  absent: Prisma.sql`answer = 'absent'`,
  present: Prisma.sql`answer = 'present'`,
  sampled: Prisma.sql`sampled`,
  overturned: Prisma.sql`spot_check = 'overturned'`,
};

/** GET /api/fan-outs/:id: the fan-out and its units' answers (filtered by state, a page of 100). */
export async function fanOutDetail(
  s: Services,
  actor: Actor,
  fanOutId: string,
  query: { state?: FanOutState; page?: number },
) {
  const f = await loadFanOut(s, actor, fanOutId);
  const page = query.page ?? 1;
  const where = Prisma.sql`fan_out_id = ${fanOutId} AND ${rowScope(actor)} AND ${query.state ? STATE_SQL[query.state] : Prisma.sql`TRUE`}`;
  const [rows, total] = await Promise.all([
    s.db.$queryRaw<FanOutUnitRow[]>`
      SELECT * FROM fan_out_units WHERE ${where}
      ORDER BY unit_id LIMIT ${FAN_OUT_PAGE_SIZE} OFFSET ${(page - 1) * FAN_OUT_PAGE_SIZE}`,
    s.db.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM fan_out_units WHERE ${where}`,
  ]);
  return {
    ...(await fanOutView(s, f)),
    units: await unitViews(s, f, rows),
    total: total[0]?.n ?? 0,
    page,
    pageSize: FAN_OUT_PAGE_SIZE,
  };
}

/** GET /api/items/:id/fan-outs: the 举一反三 of an item the actor sees (a unit: those it is asked in). */
export async function itemFanOuts(s: Services, actor: Actor, itemId: string) {
  await loadItem(s, actor, itemId);
  const rows = await s.db.$queryRaw<FanOutRow[]>`${SELECT_FAN_OUT}
    WHERE f.origin_item_id = ${itemId} ${
      isUnitRole(actor)
        ? Prisma.sql`AND EXISTS (SELECT 1 FROM fan_out_units u WHERE u.fan_out_id = f.id AND u.unit_id = ${actor.unitId ?? ''})`
        : Prisma.empty
    }
    ORDER BY f.created_at DESC, f.id`;
  // Who a new fan-out of this item would leave out (the form counts them); within the caller's view.
  const asked = await s.db.$queryRaw<Array<{ unit_id: string }>>`
    SELECT DISTINCT unit_id FROM fan_out_units
    WHERE fan_out_id = ANY(${rows.map((f) => f.id)}::text[]) AND ${rowScope(actor)} ORDER BY unit_id`;
  return {
    fanOuts: await Promise.all(rows.map((f) => fanOutView(s, f))),
    askedUnitIds: asked.map((r) => r.unit_id),
  };
}

/** GET /api/fan-outs/mine: what the caller's unit is asked, newest first, with its own answer. */
export async function myFanOuts(s: Services, actor: Actor) {
  const unitId = actor.unitId ?? '';
  const rows = await s.db.$queryRaw<Array<FanOutRow & { row: FanOutUnitRow }>>`
    SELECT f.id, f.origin_item_id, i.number AS origin_number, i.title AS origin_title, f.requirements,
           f.answer_days, f.answer_due, f.status, f.created_at, f.created_by_name, to_jsonb(u) AS row
    FROM fan_out_units u JOIN fan_outs f ON f.id = u.fan_out_id JOIN items i ON i.id = f.origin_item_id
    WHERE u.unit_id = ${unitId} AND u.asked_at IS NOT NULL
    ORDER BY f.created_at DESC, f.id LIMIT 200`;
  const units = rows.map((r) => jsonRow(r.row));
  const [names, numbers] = await Promise.all([loadUnitLabels(s.db), itemNumbers(s, units)]);
  return {
    fanOuts: rows.map((f, i) => ({
      id: f.id,
      originItemId: f.origin_item_id,
      originNumber: f.origin_number,
      originTitle: f.origin_title,
      requirements: f.requirements,
      answerDue: f.answer_due,
      answerDays: f.answer_days,
      status: f.status,
      createdAt: f.created_at.toISOString(),
      createdByName: f.created_by_name,
      mine: unitView(f, units[i]!, names, numbers),
    })),
  };
}

/** A fan_out_units row read back through to_jsonb: timestamps as strings. */
function jsonRow(r: FanOutUnitRow): FanOutUnitRow {
  const at = (v: unknown) => (v ? new Date(v as string) : null);
  return {
    ...r,
    asked_at: at(r.asked_at),
    last_chased_at: at(r.last_chased_at),
    answered_at: at(r.answered_at),
    spot_check_at: at(r.spot_check_at),
  };
}
