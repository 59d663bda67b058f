/** A plan from CSV, one row per task or indicator, column names in Chinese or English: checked row by row, then imported like JSON. */
import { z } from 'zod';
import { PlanSchema } from '../domain/monitoring';
import { parseCsv } from '../lib/csv';
import { badRequest, type FieldError } from './errors';

const CSV_FIELDS: Record<string, string> = {
  类型: 'type',
  type: 'type',
  序号: 'no',
  no: 'no',
  名称: 'title',
  title: 'title',
  指标名称: 'name',
  name: 'name',
  牵头单位: 'leadUnitId',
  leadUnitId: 'leadUnitId',
  配合单位: 'coUnitIds',
  coUnitIds: 'coUnitIds',
  指标编号: 'code',
  code: 'code',
  责任单位: 'ownerUnitId',
  ownerUnitId: 'ownerUnitId',
  计量单位: 'measure',
  measure: 'measure',
  基期值: 'baseline',
  baseline: 'baseline',
  目标值: 'target',
  target: 'target',
  方向: 'direction',
  direction: 'direction',
  权重: 'weight',
  weight: 'weight',
  类别: 'category',
  category: 'category',
};

/** A plan from CSV: one row per task (类型=任务) or indicator (类型=指标); errors name the row ("row3") and field. */
export function planFromCsv(
  text: string,
  head: { id: string; year: number; title: string; source: string },
): { raw: unknown; rowOf: (kind: 'tasks' | 'indicators', i: number) => string } {
  const [header, ...rows] = parseCsv(text).filter((r) => r.some((c) => c.trim() !== ''));
  if (!header) throw badRequest([{ field: 'body', reason: 'CSV 为空' }]);
  const fields = header.map((h) => CSV_FIELDS[h.trim()]);
  const unknown = header.filter((_h, i) => !fields[i]);
  if (unknown.length) throw badRequest(unknown.map((h) => ({ field: `header.${h}`, reason: '不认识的列' })));
  const tasks: unknown[] = [];
  const indicators: unknown[] = [];
  const lines: Record<'tasks' | 'indicators', number[]> = { tasks: [], indicators: [] };
  const errors: FieldError[] = [];
  rows.forEach((cells, r) => {
    const row: Record<string, unknown> = {};
    fields.forEach((f, i) => {
      const v = (cells[i] ?? '').trim();
      if (!f || v === '') return;
      if (f === 'coUnitIds')
        row[f] = v
          .split(/[;；、|]/)
          .map((x) => x.trim())
          .filter(Boolean);
      else if (['no', 'baseline', 'target', 'weight'].includes(f)) row[f] = Number.isFinite(Number(v)) ? Number(v) : v;
      else if (f === 'direction')
        row[f] = ({ 越高越好: 'higher', 越低越好: 'lower' } as Record<string, string>)[v] ?? v;
      else row[f] = v;
    });
    const type = row.type;
    delete row.type;
    if (type === '任务' || type === 'task') {
      lines.tasks.push(r + 2);
      tasks.push(row);
    } else if (type === '指标' || type === 'indicator') {
      lines.indicators.push(r + 2);
      indicators.push(row);
    } else errors.push({ field: `row${r + 2}.type`, reason: '类型应为“任务”或“指标”' });
  });
  if (errors.length) throw badRequest(errors, `计划有 ${errors.length} 处错误，未导入任何内容`);
  return { raw: { ...head, tasks, indicators }, rowOf: (kind, i) => `row${lines[kind][i]}` };
}

export const CsvPlanQuery = z.strictObject({
  id: PlanSchema.shape.id,
  year: z.coerce.number().int().min(2000).max(2100),
  title: z.string().trim().min(1).max(200),
  source: z.string().trim().max(300).default(''),
});
