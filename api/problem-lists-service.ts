import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { oversees, type Actor } from '../domain/actors';
import { can } from '../domain/permissions';
import { CreateItemSchema, type CreateItem } from '../domain/commands';

import { parseCsv } from '../lib/csv';
import { openProblemList } from '../workflows/client/items';
import { policyFor } from '../lib/policies';
import type { Policy } from '../domain/policy';
import { AppError, badRequest, forbidden, withTemporal, type FieldError } from './errors';
import { unitFields } from './items-service';
import { problemListDetail } from './read/problem-lists';
import type { Services } from './services';

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
  await withTemporal(s, () => openProblemList(s.temporal, s.taskQueue, input), Math.max(s.temporalTimeoutMs, 60_000));
  return problemListDetail(s, actor, listId);
}
