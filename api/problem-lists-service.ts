import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { oversees, type Actor } from '../domain/actors';
import { can } from '../domain/permissions';
import type { CreateItem } from '../domain/commands';
import { currentCalendar } from '../lib/calendar-store';
import { openProblemList } from '../workflows/client/items';
import { policyFor } from '../lib/policies';
import type { Policy } from '../domain/policy';
import { AppError, badRequest, forbidden, withTemporal, type FieldError } from './errors';
import { parseCsvRecords } from '../lib/csv';
import { loadUnitLabels } from '../lib/unit-names';
import { exportedAt, readXlsxRecords, xlsxBuffer } from '../lib/xlsx';
import { categoryChoices, OFFICE_DATE_FORMATS, priorityChoices } from '../domain/office-text';
import { assertUtf8, importRefusal, unitLookup, type RowError, type SheetRecords } from './imports';
import {
  checkItemRows,
  ITEM_COLUMNS,
  ITEM_FIELD_LABELS,
  tableItemRows,
  type ImportRow,
  type ItemColumn,
} from './item-rows';
import { problemListDetail } from './read/problem-lists';
import { loadTaxonomy } from './read/classes';
import { DEFAULT_SOURCE, normalTags, TermCode, termFrom, termRefusal, type Taxonomy } from '../domain/classes';
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
  /** 来源类别 of the list; its items take it unless a row names another. Default: the one `source` names, else 督查检查. */
  sourceCode: TermCode.optional(),
  items: z.array(z.unknown()).min(1, '清单至少包含一个问题').max(MAX_LIST_ROWS, `清单最多 ${MAX_LIST_ROWS} 个问题`),
});

/**
 * Checks every row in one pass (shape, due date, units by id or name: api/item-rows.ts) and
 * reports every error of every row; only a wholly valid list is opened, as one workflow start.
 */
export async function createProblemList(
  s: Services,
  actor: Actor,
  title: string,
  source: string,
  rows: ImportRow[],
  sourceCode?: string,
) {
  if (!can(actor.role, 'problemList.create')) throw forbidden('只有督查人员可以建立问题清单');
  const taxonomy = await loadTaxonomy(s.db);
  const listSource = listSourceCode(taxonomy, source, sourceCode);
  const { items: checked, errors } = checkItemRows(
    rows,
    await unitLookup(s.db),
    await currentCalendar(s.db),
    s.now?.() ?? Date.now(),
    taxonomy,
  );
  if (errors.length > 0) throw importRefusal(errors, '清单', '问题');
  // Each item names the list's source unless its row names another.
  const specs = checked.map((c) => ({
    ...c.spec,
    sourceCode: c.spec.sourceCode ?? listSource,
    ...(c.spec.tags ? { tags: normalTags(c.spec.tags) } : {}),
  }));
  const outside: FieldError[] = outsideJurisdiction(actor, specs, rows).map((e) => ({
    field: `${e.place.key}.${e.field}`,
    reason: `${e.place.said}：${e.reason}`,
  }));
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
  // The workflow has recorded the list (it returns once every item is started): its source
  // joins it here, as the workflow's input predates sources. A list recorded without one reads
  // as 督查检查, which every item of it names anyway unless its row said otherwise.
  await s.db.$executeRaw`UPDATE problem_lists SET source_code = ${listSource} WHERE id = ${listId}`;
  return (await withListSources(s, [await problemListDetail(s, actor, listId)]))[0]!;
}

/**
 * The list's 来源类别: the one given (checked against the taxonomy: 400 naming 来源类别), else the
 * one its free-text source names, else 督查检查.
 */
function listSourceCode(taxonomy: Taxonomy, source: string, given: string | undefined): string {
  if (given === undefined) return termFrom(taxonomy.sources, source) ?? DEFAULT_SOURCE;
  const reason = termRefusal(taxonomy.sources, 'source', given);
  if (reason) throw badRequest([{ field: 'body.sourceCode', reason }], `来源类别有误：${reason}`);
  return given;
}

/** Lists with their 来源类别 (code and name), read from their rows. */
export async function withListSources<T extends { id: string }>(
  s: Services,
  lists: T[],
): Promise<Array<T & { sourceCode: string; sourceLabel: string }>> {
  if (lists.length === 0) return [];
  const [rows, taxonomy] = await Promise.all([
    s.db.$queryRaw<Array<{ id: string; source_code: string }>>`
      SELECT id, source_code FROM problem_lists WHERE id = ANY(${lists.map((l) => l.id)}::text[])`,
    loadTaxonomy(s.db),
  ]);
  const codes = new Map(rows.map((r) => [r.id, r.source_code]));
  return lists.map((l) => {
    const sourceCode = codes.get(l.id) ?? DEFAULT_SOURCE;
    return {
      ...l,
      sourceCode,
      sourceLabel: taxonomy.sources.find((t) => t.code === sourceCode)?.label ?? sourceCode,
    };
  });
}

/** The units of checked rows the caller does not oversee, as row errors. */
function outsideJurisdiction(actor: Actor, specs: CreateItem[], rows: ImportRow[]): RowError[] {
  return specs.flatMap(({ leadUnitId, coUnitIds }, i) => {
    const { place, columnOf } = rows[i]!;
    return [
      ...(oversees(actor, leadUnitId)
        ? []
        : [{ place, field: 'leadUnitId', column: columnOf('leadUnitId'), reason: '牵头单位不在您的管辖范围内' }]),
      ...coUnitIds.flatMap((id, j) =>
        oversees(actor, id)
          ? []
          : [{ place, field: `coUnitIds[${j}]`, column: columnOf('coUnitIds'), reason: '配合单位不在您的管辖范围内' }],
      ),
    ];
  });
}

/** A cell at most: the longest field, 详细描述, takes 5000 characters. */
export const MAX_CELL_CHARS = 5000;

const NOT_A_WORKBOOK =
  '无法读取该 Excel 文件：请上传 .xlsx 文件（Excel 2007 及以后版本，或 WPS 另存为 .xlsx），或 CSV UTF-8 文件';

/** The columns as the template (and its 填写说明) names them: the one set of names people see. */
export const TEMPLATE_LABELS: Partial<Record<ItemColumn, string>> = {
  title: '事项名称',
  description: '详细描述',
  category: '类别',
  priority: '紧急程度',
  leadUnitId: '牵头单位',
  coUnitIds: '配合单位',
  dueDate: '办结时限',
  sourceCode: '来源类别',
  commonality: '共性个性',
  domainCode: '领域',
  tags: '标签',
};

/** What the template marks as its example in 序号: never imported. */
export const EXAMPLE_MARK = '示例';

/** A table the console checked and people fixed: each field's column as the file named it, and the rows as they now read. */
export const CheckedTable = z.strictObject({
  columns: z.record(z.string().max(50), z.string().max(100)),
  rows: z
    .array(
      z.strictObject({
        row: z.number().int().min(1).max(1_000_000),
        cells: z.record(z.string().max(50), z.string().max(20_000)),
      }),
    )
    .max(MAX_LIST_ROWS, `清单最多 ${MAX_LIST_ROWS} 个问题`),
});
export type CheckedTable = z.infer<typeof CheckedTable>;

/**
 * A problem list's rows whatever it came as — a CSV's text, an .xlsx's bytes, or a table the
 * console sends back after people fixed it — read by the one pipeline (`tableItemRows`), row
 * numbers as the file shows them. A row marked 示例 in its first column (the template's) is left out.
 */
export async function problemListRows(body: string | Buffer | CheckedTable) {
  let records: SheetRecords;
  const fileErrors: FieldError[] = [];
  if (typeof body === 'string') {
    assertUtf8(body);
    records = parseCsvRecords(body);
  } else if (Buffer.isBuffer(body)) {
    const read = await readXlsxRecords(body);
    if (!read) throw badRequest([{ field: 'body', reason: NOT_A_WORKBOOK }], NOT_A_WORKBOOK);
    if ('refusal' in read) {
      const { status, reason } = read.refusal;
      throw status === 413
        ? new AppError(413, 'payload_too_large', reason, { fields: [{ field: 'body', reason }] })
        : badRequest([{ field: 'body', reason }], reason);
    }
    records = read.records;
    for (const f of read.formulas)
      fileErrors.push({
        field: `row${f.row}`,
        reason: `第 ${f.row} 行第 ${f.column} 列是公式：不支持公式，请填写文字或数值`,
      });
  } else {
    const fields = Object.keys(ITEM_COLUMNS).filter((f) => body.columns[f] !== undefined);
    records = [
      { row: 0, cells: fields.map((f) => body.columns[f]!) },
      ...body.rows.map((r) => ({ row: r.row, cells: fields.map((f) => r.cells[f] ?? '') })),
    ];
  }
  const long = records.flatMap((r) =>
    r.cells.flatMap((c, i) =>
      c.length > MAX_CELL_CHARS
        ? [{ field: `row${r.row}`, reason: `第 ${r.row} 行第 ${i + 1} 列超过 ${MAX_CELL_CHARS} 个字符` }]
        : [],
    ),
  );
  if (long.length > 0) throw badRequest(long.slice(0, 20), `文件中有 ${long.length} 个单元格内容过长`);
  const read = tableItemRows(records.filter((r) => r.cells[0]?.trim() !== EXAMPLE_MARK));
  read.errors.unshift(...fileErrors);
  if (read.errors.length === 0 && read.rows.length === 0)
    read.errors.push({ field: 'csv', reason: '清单至少包含一个问题' });
  if (read.rows.length > MAX_LIST_ROWS)
    read.errors.push({
      field: 'csv',
      reason: `清单最多 ${MAX_LIST_ROWS} 个问题，本次 ${read.rows.length} 个，请拆分导入`,
    });
  return read;
}

/** The cell of the table an error belongs to: `coUnitIds[1]` is in 配合单位, a working-day count written in 完成时限 is there. */
function cellOf(field: string, columns: Partial<Record<ItemColumn, string>>): ItemColumn | null {
  const top = (/^[A-Za-z]+/.exec(field)?.[0] ?? '') as ItemColumn;
  if (columns[top] !== undefined) return top;
  if (top === ('dueInWorkingDays' as ItemColumn) && columns.dueDate !== undefined) return 'dueDate';
  return null;
}

/**
 * 批量交办's dry run: every row of the list checked as the import checks it (shape, dates, units
 * by name, the caller's jurisdiction), every error placed on its row and cell; nothing is opened.
 */
export async function checkProblemList(s: Services, actor: Actor, body: string | Buffer | CheckedTable) {
  if (!can(actor.role, 'problemList.create')) throw forbidden('只有督查人员可以建立问题清单');
  const { rows, columns, errors: fileErrors } = await problemListRows(body);
  const { items, errors } =
    rows.length > 0 && fileErrors.length === 0
      ? checkItemRows(
          rows,
          await unitLookup(s.db),
          await currentCalendar(s.db),
          s.now?.() ?? Date.now(),
          await loadTaxonomy(s.db),
        )
      : { items: [], errors: [] };
  const all =
    errors.length === 0 && items.length > 0
      ? outsideJurisdiction(
          actor,
          items.map((c) => c.spec),
          rows,
        )
      : errors;
  const sorted = [...all].sort((a, b) => a.place.row - b.place.row);
  return {
    ok: fileErrors.length === 0 && rows.length > 0 && sorted.length === 0,
    count: rows.length,
    columns: (Object.keys(ITEM_COLUMNS) as ItemColumn[])
      .filter((f) => columns[f] !== undefined)
      .map((f) => ({ field: f, name: columns[f]!, label: TEMPLATE_LABELS[f] ?? ITEM_FIELD_LABELS[f] })),
    rows: rows.map((r) => ({ row: r.place.row, cells: r.cells as Record<string, string> })),
    errors: sorted.map((e) => ({
      row: e.place.row,
      field: e.field,
      cell: cellOf(e.field, columns),
      column: e.column,
      reason: e.reason,
    })),
    fileErrors,
  };
}

/**
 * The template of 批量交办: the columns as the import reads them, one example row (marked 示例,
 * never imported), what to write in each column, and the units' names as the import matches them.
 */
export async function problemListTemplate(s: Services, now: Date): Promise<Buffer> {
  const units = [...(await loadUnitLabels(s.db)).values()].sort((a, b) => a.localeCompare(b, 'zh-CN'));
  const taxonomy = await loadTaxonomy(s.db);
  const named = (terms: Taxonomy['sources']) =>
    terms
      .filter((t) => t.active)
      .map((t) => t.label)
      .join('、');
  const sourceChoices = named(taxonomy.sources);
  const domainChoices = named(taxonomy.domains);
  const columns = [
    { header: '序号', key: 'n', width: 8 },
    { header: '事项名称（必填）', key: 'title', width: 36 },
    { header: '详细描述', key: 'description', width: 40 },
    { header: '类别', key: 'category', width: 14 },
    { header: '紧急程度', key: 'priority', width: 10 },
    { header: '牵头单位（必填）', key: 'lead', width: 24 },
    { header: '配合单位', key: 'co', width: 30 },
    { header: '办结时限（必填）', key: 'due', width: 18 },
    { header: '来源类别', key: 'sourceCode', width: 14 },
    { header: '共性个性', key: 'commonality', width: 10 },
    { header: '领域', key: 'domainCode', width: 14 },
    { header: '标签', key: 'tags', width: 20 },
  ];
  const notes: Array<[string, string, string]> = [
    ['序号', '否', '可不填。写“示例”的行是示例，不会导入，可直接删除或保留'],
    ['事项名称', '是', '一行一个问题，写明要办的事，不超过 200 字'],
    ['详细描述', '否', '问题的具体情况、整改要求'],
    ['类别', '否', `${categoryChoices()} 之一，不填为“其他”`],
    ['紧急程度', '否', `${priorityChoices()} 之一，不填为“一般”`],
    ['牵头单位', '是', '只写一个单位，用系统中的单位全称（见“单位名称”工作表）；全角括号（）与半角()均可'],
    ['配合单位', '否', '可写多个，用顿号、逗号或分号隔开；名称要求同牵头单位'],
    ['办结时限', '是', `写日期（${OFFICE_DATE_FORMATS}），须晚于今天；或写“15个工作日”`],
    ['来源类别', '否', `${sourceChoices} 之一；不填为导入时所选的清单来源类别`],
    ['共性个性', '否', '“共性”或“个性”，可不填'],
    ['领域', '否', `${domainChoices} 之一，可不填`],
    ['标签', '否', `可写多个，用顿号或逗号隔开；最多 10 个，每个不超过 20 字`],
    ['其他', '', '列的顺序可以调整，列名也可用“问题”“责任单位”“完成时限”等常用写法；保存为 .xlsx 或 CSV UTF-8 后上传'],
  ];
  return xlsxBuffer([
    {
      name: '问题清单',
      title: '问题清单（批量交办模板）',
      subtitle: '从第 5 行起填写，一行一个问题；第 4 行为示例（序号为“示例”的行不会导入）',
      columns,
      rows: [
        {
          n: EXAMPLE_MARK,
          title: '某小区消防通道被占用，需清理并建立长效管理机制',
          description: '群众反映某小区消防通道长期被车辆占用，存在安全隐患',
          category: '群众反映',
          priority: '重要',
          lead: units[0] ?? '市住房和城乡建设局',
          co: units.slice(1, 3).join('、'),
          due: '15个工作日',
          sourceCode: '督查检查',
          commonality: '个性',
          domainCode: '城市管理',
          tags: '消防、小区',
        },
      ],
    },
    {
      name: '填写说明',
      title: '填写说明',
      subtitle: exportedAt(now),
      columns: [
        { header: '列名', key: 'column', width: 14 },
        { header: '必填', key: 'required', width: 6 },
        { header: '填写要求', key: 'how', width: 80 },
      ],
      rows: notes.map(([column, required, how]) => ({ column, required, how })),
    },
    {
      name: '单位名称',
      title: '可填写的单位名称',
      columns: [{ header: '单位名称', key: 'name', width: 40 }],
      rows: units.map((name) => ({ name })),
    },
  ]);
}
