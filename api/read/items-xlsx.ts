/** The item list as an .xlsx for people: Chinese labels, names not codes, Shanghai times. */
import type { Actor } from '../../domain/actors';
import { CATEGORY_LABELS, LIGHT_LABELS, PRIORITY_LABELS } from '../../domain/labels';
import type { Light } from '../../domain/policy';
import { loadUnitLabels } from '../../lib/unit-names';
import { exportedAt, xlsxBuffer, type XlsxColumn } from '../../lib/xlsx';
import type { Services } from '../services';
import { classLabels, listItems, type ListQuery } from './item-list';
import { loadTaxonomy } from './classes';

/**
 * At most this many rows in one workbook: a spreadsheet is read by people, and exceljs holds the
 * whole book in memory (the CSV export streams up to 100,000 for machines).
 */
export const XLSX_MAX_ROWS = 20_000;
const BATCH = 2000;

const label = (labels: Record<string, string>, code: string) => labels[code] ?? code;

export async function itemsXlsx(s: Services, actor: Actor, q: Omit<ListQuery, 'page' | 'pageSize'>, now: Date) {
  const units = await loadUnitLabels(s.db);
  const name = (id: string) => units.get(id) ?? id;
  // Page by page as the list reads them: the same filters, search ranking and order.
  const items: Awaited<ReturnType<typeof listItems>>['items'] = [];
  let total = 0;
  for (let page = 1; items.length < XLSX_MAX_ROWS; page++) {
    const batch = await listItems(s, actor, { ...q, page, pageSize: BATCH });
    total = batch.total;
    items.push(...batch.items);
    if (batch.items.length < BATCH) break;
  }
  const full = total <= XLSX_MAX_ROWS;
  const terms = classLabels(await loadTaxonomy(s.db));
  const rows = items.slice(0, XLSX_MAX_ROWS).map((i) => {
    const [source, commonality, domain, tags, selfFound] = terms(i);
    return {
      // 督办编号 where the item has one (items are numbered as the office numbers them), else its id.
      number: (i as { number?: string | null }).number ?? i.id,
      title: i.title,
      category: label(CATEGORY_LABELS, i.category),
      priority: label(PRIORITY_LABELS, i.priority),
      status: i.statusLabel,
      lead: name(i.leadUnitId),
      co: i.coUnitIds.map(name).join('、'),
      dueDate: i.dueDate,
      deadline: i.deadlineDate,
      // A closed item has no light: how it closed is in 逾期销号.
      light: i.status === 'closed' || i.status === 'withdrawn' ? '' : label(LIGHT_LABELS, i.light as Light),
      overdue:
        i.status === 'closed'
          ? i.closedLateWorkingDays
            ? `逾期 ${i.closedLateWorkingDays} 个工作日销号`
            : '按期销号'
          : i.overdueWorkingDays > 0
            ? `逾期 ${i.overdueWorkingDays} 个工作日`
            : '',
      returns: i.returnCount,
      createdAt: i.createdAt,
      updatedAt: i.updatedAt,
      source,
      commonality,
      domain,
      tags,
      selfFound,
      id: i.id,
    };
  });
  const columns: XlsxColumn[] = [
    { header: '督办编号', key: 'number', width: 18 },
    { header: '事项名称', key: 'title', width: 40 },
    { header: '类别', key: 'category' },
    { header: '紧急程度', key: 'priority' },
    { header: '状态', key: 'status' },
    { header: '牵头单位', key: 'lead', width: 24 },
    { header: '配合单位', key: 'co', width: 30 },
    { header: '办结时限', key: 'dueDate', kind: 'date' },
    { header: '现行期限', key: 'deadline', kind: 'date' },
    { header: '灯色', key: 'light' },
    { header: '逾期工作日/逾期销号', key: 'overdue', width: 22 },
    { header: '退回次数', key: 'returns', kind: 'number' },
    { header: '立项时间', key: 'createdAt', kind: 'dateTime' },
    { header: '更新时间', key: 'updatedAt', kind: 'dateTime' },
    { header: '来源类别', key: 'source', width: 14 },
    { header: '共性/个性', key: 'commonality' },
    { header: '领域', key: 'domain', width: 14 },
    { header: '标签', key: 'tags', width: 24 },
    { header: '自查自纠', key: 'selfFound' },
    { header: '系统编号', key: 'id', width: 16 },
  ];
  const note = full ? '' : `；仅含前 ${XLSX_MAX_ROWS} 条，完整数据请导出 CSV`;
  return xlsxBuffer([
    {
      name: '督办事项',
      title: '督办事项清单',
      subtitle: `${exportedAt(now)}；共 ${rows.length} 条${note}`,
      columns,
      rows,
    },
  ]);
}
