import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { oversees, type Actor } from '../domain/actors';
import { can } from '../domain/permissions';
import type { CreateItem } from '../domain/commands';
import { currentCalendar } from '../lib/calendar-store';
import { openProblemList } from '../workflows/client/items';
import { policyFor } from '../lib/policies';
import type { Policy } from '../domain/policy';
import { AppError, forbidden, withTemporal, type FieldError } from './errors';
import { importRefusal, unitLookup } from './imports';
import { checkItemRows, type ImportRow } from './item-rows';
import { problemListDetail } from './read/problem-lists';
import type { Services } from './services';

export const MAX_LIST_ROWS = 1000;

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
 * Checks every row in one pass (shape, due date, units by id or name: api/item-rows.ts) and
 * reports every error of every row; only a wholly valid list is opened, as one workflow start.
 */
export async function createProblemList(s: Services, actor: Actor, title: string, source: string, rows: ImportRow[]) {
  if (!can(actor.role, 'problemList.create')) throw forbidden('只有督查人员可以建立问题清单');
  const { items: checked, errors } = checkItemRows(
    rows,
    await unitLookup(s.db),
    await currentCalendar(s.db),
    s.now?.() ?? Date.now(),
  );
  if (errors.length > 0) throw importRefusal(errors, '清单', '问题');
  const specs = checked.map((c) => c.spec);
  const outside: FieldError[] = specs.flatMap(({ leadUnitId, coUnitIds }, i) => {
    const { key, said } = rows[i]!.place;
    return [
      ...(oversees(actor, leadUnitId)
        ? []
        : [{ field: `${key}.leadUnitId`, reason: `${said}：牵头单位不在您的管辖范围内` }]),
      ...coUnitIds.flatMap((id, j) =>
        oversees(actor, id) ? [] : [{ field: `${key}.coUnitIds[${j}]`, reason: `${said}：配合单位不在您的管辖范围内` }],
      ),
    ];
  });
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
    ...(checked[i]!.backdated ? { backdated: checked[i]!.backdated } : {}),
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
