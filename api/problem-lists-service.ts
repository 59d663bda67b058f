import { shanghaiDate } from '../domain/calendar';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { oversees, type Actor } from '../domain/actors';
import { can } from '../domain/permissions';
import { CreateItemSchema, type CreateItem } from '../domain/commands';

import { parseCsv } from '../lib/csv';
import { openProblemList } from '../workflows/client/items';
import { policyFor } from '../lib/policies';
import type { Policy } from '../domain/policy';
import { AppError, badRequest, forbidden, fromTemporal, notFound, type FieldError } from './errors';
import { unitFields, type Services } from './items-service';
import { itemsVisibleTo, problemListsVisibleTo } from './visibility';
import { TERMINAL } from '../domain/item';
import type { Prisma } from '../generated/prisma/client';

export const MAX_LIST_ROWS = 1000;

/** Column names a CSV may use, Chinese or English, mapped to the item's fields. */
const CSV_COLUMNS: Record<string, keyof CreateItem> = {
  title: 'title',
  标题: 'title',
  问题: 'title',
  问题描述: 'title',
  description: 'description',
  描述: 'description',
  详情: 'description',
  category: 'category',
  类别: 'category',
  priority: 'priority',
  优先级: 'priority',
  source: 'source',
  来源: 'source',
  leadUnit: 'leadUnitId',
  leadUnitId: 'leadUnitId',
  牵头单位: 'leadUnitId',
  责任单位: 'leadUnitId',
  coUnits: 'coUnitIds',
  coUnitIds: 'coUnitIds',
  配合单位: 'coUnitIds',
  dueDate: 'dueDate',
  期限: 'dueDate',
  完成时限: 'dueDate',
};

/** CSV rows as raw objects, keyed by field; row numbers count the header as row 1. */
export function csvRows(text: string): { rows: Record<string, unknown>[]; errors: FieldError[] } {
  const [header, ...body] = parseCsv(text);
  if (!header) return { rows: [], errors: [{ field: 'csv', reason: '文件为空' }] };
  const fields = header.map((h) => CSV_COLUMNS[h.trim()]);
  const unknown = header.filter((_, i) => !fields[i]);
  if (unknown.length > 0)
    return { rows: [], errors: [{ field: 'csv.header', reason: `无法识别的列：${unknown.join('、')}` }] };
  const rows = body.map((cells) => {
    const row: Record<string, unknown> = {};
    fields.forEach((f, i) => {
      const v = (cells[i] ?? '').trim();
      if (!f || v === '') return;
      row[f] =
        f === 'coUnitIds'
          ? v
              .split(/[;；、|]/)
              .map((x) => x.trim())
              .filter(Boolean)
          : v;
    });
    return row;
  });
  return { rows, errors: [] };
}

/**
 * The most a workflow's input may weigh: Temporal refuses payloads over 2 MB by default
 * (limit.blobSize.error); the margin covers the payload codec's framing.
 */
export const MAX_WORKFLOW_INPUT_BYTES = 1.5 * 2 ** 20;

export const ProblemListBody = z.strictObject({
  title: z.string().trim().min(1).max(200),
  source: z.string().trim().max(200).default(''),
  items: z.array(z.unknown()).min(1, '清单至少包含一个问题').max(MAX_LIST_ROWS, `清单最多 ${MAX_LIST_ROWS} 个问题`),
});

/**
 * Validates every row (fields, then units by id or name) and reports every bad one; only a
 * wholly valid list is opened, as one workflow start.
 */
export async function createProblemList(
  s: Services,
  actor: Actor,
  title: string,
  source: string,
  rawRows: unknown[],
  rowLabel: (i: number) => string,
) {
  if (!can(actor.role, 'problemList.create')) throw forbidden('只有督查人员可以建立问题清单');
  const units = await s.db.unit.findMany({ select: { id: true, name: true } });
  const byKey = new Map<string, string>();
  for (const u of units) {
    byKey.set(u.id, u.id);
    byKey.set(u.name, u.id);
  }
  const errors: FieldError[] = [];
  const specs: CreateItem[] = [];
  rawRows.forEach((raw, i) => {
    const parsed = CreateItemSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        errors.push({ field: `${rowLabel(i)}.${issue.path.join('.')}`, reason: issue.message });
      return;
    }
    const spec = parsed.data;
    const lead = byKey.get(spec.leadUnitId);
    if (!lead) errors.push({ field: `${rowLabel(i)}.leadUnitId`, reason: `单位“${spec.leadUnitId}”不存在` });
    const co = spec.coUnitIds.map((c, j) => {
      const id = byKey.get(c);
      if (!id) errors.push({ field: `${rowLabel(i)}.coUnitIds.${j}`, reason: `单位“${c}”不存在` });
      return id ?? c;
    });
    specs.push({ ...spec, leadUnitId: lead ?? spec.leadUnitId, coUnitIds: co });
  });
  if (errors.length > 0)
    throw badRequest(errors, `清单有 ${new Set(errors.map((e) => e.field.split('.')[0])).size} 行有误，未导入任何问题`);
  const outside: FieldError[] = specs.flatMap((spec, i) =>
    unitFields(spec, rowLabel(i))
      .filter(([, id]) => !oversees(actor, id))
      .map(([field]) => ({
        field,
        reason: field.endsWith('leadUnitId') ? '牵头单位不在您的管辖范围内' : '配合单位不在您的管辖范围内',
      })),
  );
  if (outside.length > 0)
    throw new AppError(
      403,
      'forbidden',
      `清单有 ${new Set(outside.map((f) => f.field.split('.')[0])).size} 行的单位不在您的管辖范围内，未导入任何问题`,
      { fields: outside },
    );
  const listId = `L${randomUUID().replace(/-/g, '').slice(0, 11).toUpperCase()}`;
  const policyKey = (spec: CreateItem) => `${spec.category}|${spec.priority}`;
  const policies = new Map<string, Policy>();
  for (const spec of specs) {
    if (!policies.has(policyKey(spec)))
      policies.set(policyKey(spec), await policyFor(s.db, spec.category, spec.priority));
  }
  const items = specs.map((spec, i) => ({
    id: `${listId}-${String(i + 1).padStart(4, '0')}`,
    spec,
    policyKey: policyKey(spec),
  }));
  const input = {
    listId,
    title,
    source,
    createdBy: actor,
    config: { maxDeclines: s.maxDeclines },
    items,
    policies: Object.fromEntries(policies),
  };
  // Text escaped in JSON can outgrow the request that carried it (a CSV's backslashes double):
  // measured here, so Temporal never sees a payload it would refuse.
  const bytes = Buffer.byteLength(JSON.stringify(input));
  if (bytes > MAX_WORKFLOW_INPUT_BYTES) {
    throw new AppError(
      413,
      'payload_too_large',
      `清单内容过大（约 ${(bytes / 2 ** 20).toFixed(1)} MB，上限 ${(MAX_WORKFLOW_INPUT_BYTES / 2 ** 20).toFixed(1)} MB），请拆分为几批分别导入`,
      { bytes, limit: MAX_WORKFLOW_INPUT_BYTES },
    );
  }
  try {
    await s.temporal.connection.withDeadline(Date.now() + Math.max(s.temporalTimeoutMs, 60_000), () =>
      openProblemList(s.temporal, s.taskQueue, input),
    );
  } catch (err) {
    throw fromTemporal(err) ?? err;
  }
  return problemListDetail(s, actor, listId);
}

/** A list the caller may not see answers like an unknown one (404); its total and progress count only the items the caller sees. */
export async function problemListDetail(s: Services, actor: Actor, listId: string) {
  const list = await s.db.problemList.findFirst({
    where: { AND: [{ id: listId }, await problemListsVisibleTo(s.db, actor, listId)] },
  });
  if (!list) throw notFound('问题清单不存在');
  const progress = (await progressOf(s, actor, [list])).get(listId) ?? emptyProgress(list.total);
  return { ...list, total: progress.total, createdAt: list.createdAt.toISOString(), progress };
}

export async function listProblemLists(s: Services, actor: Actor) {
  const lists = await s.db.problemList.findMany({
    where: await problemListsVisibleTo(s.db, actor),
    orderBy: { createdAt: 'desc' },
    take: 200,
  });
  const progress = await progressOf(s, actor, lists);
  return lists.map((l) => {
    const p = progress.get(l.id) ?? emptyProgress(l.total);
    return { ...l, total: p.total, createdAt: l.createdAt.toISOString(), progress: p };
  });
}

function emptyProgress(total: number) {
  return { total, opened: 0, closed: 0, withdrawn: 0, overdue: 0, returned: 0, cleared: false };
}

/**
 * Closed of total, overdue and returned per list, over the items the caller sees; cleared (清零)
 * once every one of them is closed or withdrawn. The total is the list's, less the recorded items
 * the caller may not see: items not yet recorded (a list still opening) count as not cleared.
 */
async function progressOf(s: Services, actor: Actor, lists: Array<{ id: string; total: number }>) {
  const today = shanghaiDate(Date.now());
  const ids = lists.map((l) => l.id);
  const visible = (extra: Prisma.ItemWhereInput): Prisma.ItemWhereInput => ({
    AND: [{ problemListId: { in: ids } }, itemsVisibleTo(actor), extra],
  });
  const count = (
    rows: Array<{ problemListId: string | null; status?: string; _count: { _all: number } }>,
    only?: (r: { status?: string }) => boolean,
  ) => {
    const m = new Map<string, number>();
    for (const r of rows)
      if (r.problemListId && (!only || only(r))) m.set(r.problemListId, (m.get(r.problemListId) ?? 0) + r._count._all);
    return m;
  };
  // The hidden items are counted by their own query (not as recorded − seen): the list may be
  // recording items between the queries, and a total must never exceed the list's.
  const [hiddenRows, byStatus, late, returnedRows] = await Promise.all([
    // Prisma reads `NOT: {}` (who sees everything) as no filter at all: nothing is hidden from them.
    Object.keys(itemsVisibleTo(actor)).length === 0
      ? Promise.resolve([])
      : s.db.item.groupBy({
          by: ['problemListId'],
          where: { AND: [{ problemListId: { in: ids } }, { NOT: itemsVisibleTo(actor) }] },
          _count: { _all: true },
        }),
    s.db.item.groupBy({ by: ['problemListId', 'status'], where: visible({}), _count: { _all: true } }),
    s.db.item.groupBy({
      by: ['problemListId'],
      where: visible({ dueDate: { lt: today }, status: { notIn: [...TERMINAL] } }),
      _count: { _all: true },
    }),
    s.db.item.groupBy({ by: ['problemListId'], where: visible({ returnCount: { gt: 0 } }), _count: { _all: true } }),
  ]);
  const hidden = count(hiddenRows);
  const opened = count(byStatus);
  const closed = count(byStatus, (r) => r.status === 'closed');
  const withdrawn = count(byStatus, (r) => r.status === 'withdrawn');
  const overdue = count(late);
  const returned = count(returnedRows);
  return new Map(
    lists.map((l) => {
      const seen = opened.get(l.id) ?? 0;
      const total = l.total - (hidden.get(l.id) ?? 0);
      const c = closed.get(l.id) ?? 0;
      const w = withdrawn.get(l.id) ?? 0;
      return [
        l.id,
        {
          total,
          opened: seen,
          closed: c,
          withdrawn: w,
          overdue: overdue.get(l.id) ?? 0,
          returned: returned.get(l.id) ?? 0,
          cleared: total > 0 && c + w === total,
        },
      ];
    }),
  );
}
