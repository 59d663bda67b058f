/** A plan from CSV, one row per task or indicator, column names as offices write them: read here, checked with the JSON import's rules. */
import { z } from 'zod';
import { PlanSchema } from '../domain/monitoring';
import { splitUnitList } from '../domain/office-text';
import { badRequest } from './errors';
import { jsonItem, readCsvTable, type RowError, type RowPlace } from './imports';

type PlanField =
  | 'type'
  | 'no'
  | 'title'
  | 'name'
  | 'leadUnitId'
  | 'coUnitIds'
  | 'code'
  | 'ownerUnitId'
  | 'measure'
  | 'baseline'
  | 'target'
  | 'direction'
  | 'weight'
  | 'category';

/** Each field's name in Chinese, for errors. */
export const PLAN_FIELD_LABELS: Record<string, string> = {
  type: '类型',
  no: '序号',
  title: '任务名称',
  name: '指标名称',
  leadUnitId: '牵头单位',
  coUnitIds: '配合单位',
  code: '指标编号',
  ownerUnitId: '责任单位',
  measure: '计量单位',
  baseline: '基期值',
  target: '目标值',
  direction: '方向',
  weight: '权重',
  category: '类别',
  source: '数据来源',
  invented: '演示数据',
};

/** The column names offices use for each field (the field's own English name is accepted too). */
const PLAN_COLUMNS: Record<PlanField, readonly string[]> = {
  type: ['类型'],
  no: ['序号', '编号'],
  title: ['名称', '任务名称', '任务', '重点任务', '标题'],
  name: ['指标名称', '指标'],
  leadUnitId: ['牵头单位', '主办单位', '牵头落实单位', '牵头责任单位'],
  coUnitIds: ['配合单位', '协办单位', '协同单位', '协助单位', '参与单位'],
  code: ['指标编号', '指标代码'],
  ownerUnitId: ['责任单位', '填报单位', '报送单位'],
  measure: ['计量单位'],
  baseline: ['基期值', '基数', '基期'],
  target: ['目标值', '年度目标', '目标'],
  direction: ['方向', '指标方向'],
  weight: ['权重'],
  category: ['类别', '分类'],
};

/** Where each task's and indicator's row is in the file, and which column each field came from. */
export interface PlanRows {
  place: (kind: 'tasks' | 'indicators', i: number) => RowPlace;
  columnOf: (field: string) => string;
  /** What the file says that is no task and no indicator (a row without a type). */
  errors: RowError[];
}

/** A JSON plan: rows are `tasks[0]`, `indicators[3]`; fields named by their keys, said in Chinese. */
export const jsonPlanRows: PlanRows = {
  place: (kind, i) => {
    const p = jsonItem(i, kind);
    return { ...p, said: `${kind === 'tasks' ? '任务' : '指标'}${p.said}` };
  },
  columnOf: (f) => (PLAN_FIELD_LABELS[f] ? `${PLAN_FIELD_LABELS[f]}（${f}）` : f),
  errors: [],
};

const DIRECTIONS: Record<string, string> = { 越高越好: 'higher', 越低越好: 'lower', 正向: 'higher', 逆向: 'lower' };

/**
 * A plan from CSV: one row per task (类型=任务) or indicator (类型=指标; without a type, a row with
 * an indicator's code or name is one, a row with a task's name the other). A task may name its unit as 责任单位, an indicator as
 * 牵头单位. Rows keep their number in the file, the header being row 1.
 */
export function planFromCsv(
  text: string,
  head: { id: string; year: number; title: string; source: string },
): { raw: unknown; rowOf: PlanRows } {
  const table = readCsvTable(text, PLAN_COLUMNS, { label: (f) => PLAN_FIELD_LABELS[f] ?? f });
  if (table.errors.length) throw badRequest(table.errors, '计划的列名有误，未导入任何内容');
  const tasks: unknown[] = [];
  const indicators: unknown[] = [];
  const places: Record<'tasks' | 'indicators', RowPlace[]> = { tasks: [], indicators: [] };
  const errors: RowError[] = [];
  const columnOf = (f: string) => table.columns[f as PlanField] ?? PLAN_FIELD_LABELS[f] ?? f;
  for (const { place, cells } of table.rows) {
    const row: Record<string, unknown> = {};
    for (const [f, v] of Object.entries(cells) as Array<[PlanField, string]>) {
      if (f === 'coUnitIds') row[f] = splitUnitList(v);
      else if (f === 'no' || f === 'baseline' || f === 'target' || f === 'weight')
        row[f] = Number.isFinite(Number(v)) ? Number(v) : v;
      else if (f === 'direction') row[f] = DIRECTIONS[v] ?? v;
      else row[f] = v;
    }
    const {
      type = row.code !== undefined || row.name !== undefined ? '指标' : row.title !== undefined ? '任务' : undefined,
    } = row;
    delete row.type;
    if (type === '任务' || type === 'task') {
      if (row.leadUnitId === undefined && row.ownerUnitId !== undefined) {
        row.leadUnitId = row.ownerUnitId;
        delete row.ownerUnitId;
      }
      places.tasks.push(place);
      tasks.push(row);
    } else if (type === '指标' || type === 'indicator') {
      if (row.ownerUnitId === undefined && row.leadUnitId !== undefined) {
        row.ownerUnitId = row.leadUnitId;
        delete row.leadUnitId;
      }
      places.indicators.push(place);
      indicators.push(row);
    } else
      errors.push({
        place,
        field: 'type',
        column: columnOf('type'),
        reason: type === undefined ? '缺少类型，应为“任务”或“指标”' : `无法识别“${String(type)}”，应为“任务”或“指标”`,
      });
  }
  return {
    raw: { ...head, tasks, indicators },
    rowOf: { place: (kind, i) => places[kind][i]!, columnOf, errors },
  };
}

export const CsvPlanQuery = z.strictObject({
  id: PlanSchema.shape.id,
  year: z.coerce.number().int().min(2000).max(2100),
  title: z.string().trim().min(1).max(200),
  source: z.string().trim().max(300).default(''),
});
