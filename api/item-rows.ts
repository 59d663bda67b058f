/**
 * The rows of a problem-list import (JSON items or CSV rows) as items to open: read the way
 * offices write them (column names, unit lists, dates, categories and priorities in words) and
 * checked in one pass — shape, due date, units — so every error of every row is known at once.
 */
import type { z } from 'zod';
import type { Calendar } from '../domain/calendar';
import { OpenItemSchema, type CreateItem, type OpenItem } from '../domain/commands';
import {
  categoryChoices,
  categoryFrom,
  OFFICE_DATE_FORMATS,
  officeDate,
  priorityChoices,
  priorityFrom,
  splitUnitList,
} from '../domain/office-text';
import type { FieldError } from './errors';
import { commonalityFrom, splitTags, termFrom, termRefusal, type Taxonomy } from '../domain/classes';
import { parseCsvRecords } from '../lib/csv';
import {
  assertUtf8,
  issueErrors,
  jsonItem,
  readTable,
  ZH,
  type RowError,
  type RowPlace,
  type SheetRecords,
  type UnitLookup,
} from './imports';
import { resolveOpenItem } from './items-service';

type ItemField = keyof OpenItem;

/** Each field's name in Chinese, for errors and for the columns a file leaves out. */
export const ITEM_FIELD_LABELS: Record<ItemField, string> = {
  title: '标题',
  description: '详细描述',
  category: '类别',
  priority: '优先级',
  source: '来源',
  leadUnitId: '牵头单位',
  coUnitIds: '配合单位',
  dueDate: '完成时限',
  dueInWorkingDays: '工作日数',
  backdated: '补录',
  openedOn: '原系统立项日期',
  sourceCode: '来源类别',
  commonality: '共性个性',
  domainCode: '领域',
  tags: '标签',
};

/** The column names offices use for each field (the field's own English name is accepted too). */
export const ITEM_COLUMNS: Record<Exclude<ItemField, 'backdated'>, readonly string[]> = {
  title: ['标题', '问题', '问题描述', '问题名称', '事项', '事项名称', '督办事项', '名称'],
  description: ['描述', '详情', '详细描述', '问题详情', '具体内容', '说明'],
  category: ['类别', '分类', '类型', '问题类别', '事项类别'],
  priority: ['优先级', '紧急程度', '缓急程度', '缓急'],
  source: ['来源', '问题来源', '事项来源'],
  leadUnitId: ['牵头单位', '责任单位', '主办单位', '牵头落实单位', '牵头责任单位', '主责单位', 'leadUnit'],
  coUnitIds: ['配合单位', '协办单位', '协同单位', '协助单位', '参与单位', 'coUnits'],
  dueDate: ['期限', '完成时限', '截止日期', '办结时限', '截止时间', '完成时间', '完成期限', '办结期限', '整改时限'],
  dueInWorkingDays: ['工作日', '工作日数', '期限（工作日）', '完成时限（工作日）', '办理时限（工作日）'],
  openedOn: ['立项日期', '原立项日期', '原系统立项日期'],
  sourceCode: ['来源类别', '问题来源类别', '来源分类', '问题来源分类', 'sourceCode'],
  commonality: ['共性个性', '共性/个性', '共性或个性', '共性个性问题', 'commonality'],
  domainCode: ['领域', '问题领域', '所属领域', 'domainCode'],
  tags: ['标签', '问题标签', 'tags'],
};

/** One row to import: where it is, what it says (raw, before checking), and the column each field came from. */
export interface ImportRow {
  place: RowPlace;
  raw: Record<string, unknown> | unknown;
  columnOf: (field: string) => string;
}

/** `15`, `15个工作日`, `15 工作日`: a due date given as working days. */
const WORKING_DAYS = /^(\d{1,4})\s*(?:个)?\s*(?:工作日)?$/;
const WORKING_DAYS_WORDED = /^(\d{1,4})\s*(?:个)?\s*工作日$/;

/**
 * A due-date cell as offices write it: a date stays the due date; `15个工作日` in a date column,
 * or a number in the working-days column, becomes `dueInWorkingDays` (anything else is left as
 * written, for validation to name).
 */
function dueCell(row: Record<string, unknown>, field: 'dueDate' | 'dueInWorkingDays', v: string): void {
  const m = (field === 'dueDate' ? WORKING_DAYS_WORDED : WORKING_DAYS).exec(v);
  if (m) row.dueInWorkingDays = Number(m[1]);
  else row[field] = v;
}

/** A file's column of an item field, as `tableItemRows` reads them. */
export type ItemColumn = keyof typeof ITEM_COLUMNS;

/** A CSV's rows to import, or what is wrong with its header; row numbers count the header as row 1. */
export function csvItemRows(text: string): { rows: ImportRow[]; errors: FieldError[] } {
  assertUtf8(text);
  return tableItemRows(parseCsvRecords(text));
}

/**
 * A sheet's rows to import (a CSV's, an .xlsx sheet's, or the console's checked table): the one
 * reading of an import's columns and cells. Each row keeps its cells as written (`cells`, what
 * the console shows and lets people fix) and `columns`, the file's name of each field.
 */
export function tableItemRows(records: SheetRecords): {
  rows: Array<ImportRow & { cells: Partial<Record<ItemColumn, string>> }>;
  columns: Partial<Record<ItemColumn, string>>;
  errors: FieldError[];
} {
  const table = readTable<ItemColumn>(records, ITEM_COLUMNS, {
    required: ['title', 'leadUnitId'],
    ignored: ['序号', '编号', 'no'],
    label: (f) => ITEM_FIELD_LABELS[f],
  });
  const errors = [...table.errors];
  if (table.columns.dueDate === undefined && table.columns.dueInWorkingDays === undefined)
    errors.push({
      field: 'csv.header',
      reason: '缺少“完成时限”列（列名可写作 完成时限、截止日期、办结时限 或 工作日数）',
    });
  if (errors.length > 0) return { rows: [], columns: table.columns, errors };
  const columnOf = (f: string) =>
    table.columns[f as keyof typeof table.columns] ?? ITEM_FIELD_LABELS[f as ItemField] ?? f;
  const rows = table.rows.map(({ place, cells }) => {
    const raw: Record<string, unknown> = {};
    for (const [f, v] of Object.entries(cells) as Array<[ItemField, string]>) {
      if (f === 'dueDate' || f === 'dueInWorkingDays') dueCell(raw, f, v);
      else raw[f] = v;
    }
    return { place, raw, columnOf, cells };
  });
  return { rows, columns: table.columns, errors: [] };
}

/** A JSON import's items: each names its fields by their keys, said with their Chinese names. */
export function jsonItemRows(items: unknown[]): ImportRow[] {
  const columnOf = (f: string) => {
    const label = ITEM_FIELD_LABELS[f as ItemField];
    return label ? `${label}（${f}）` : f;
  };
  return items.map((raw, i) => ({ place: jsonItem(i), raw, columnOf }));
}

/** A row's values as offices write them, made what the schema takes: units split, dates, category and priority in words. */
function officeItem(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const r: Record<string, unknown> = { ...raw };
  // An empty class cell is no class given (the list's source, or none).
  for (const f of ['sourceCode', 'commonality', 'domainCode', 'tags'])
    if (typeof r[f] === 'string' && (r[f] as string).trim() === '') delete r[f];
  if (typeof r.commonality === 'string') r.commonality = commonalityFrom(r.commonality) ?? r.commonality;
  if (typeof r.tags === 'string') r.tags = splitTags(r.tags);
  if (typeof r.category === 'string') r.category = categoryFrom(r.category);
  if (typeof r.priority === 'string') r.priority = priorityFrom(r.priority);
  if (typeof r.dueDate === 'string') r.dueDate = officeDate(r.dueDate);
  if (typeof r.openedOn === 'string') r.openedOn = officeDate(r.openedOn);
  if (typeof r.coUnitIds === 'string') r.coUnitIds = splitUnitList(r.coUnitIds);
  return r;
}

/**
 * 来源类别 and 领域 as offices write them (自查自纠, 食品安全) made codes, in place; a name the
 * taxonomy does not have, or a term no longer in use, is the row's error (and leaves the field out,
 * so the schema does not name it twice).
 */
function officeTerms(raw: unknown, taxonomy: Taxonomy, place: RowPlace, columnOf: (f: string) => string): RowError[] {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const r = raw as Record<string, unknown>;
  const out: RowError[] = [];
  for (const [field, kind, terms] of [
    ['sourceCode', 'source', taxonomy.sources],
    ['domainCode', 'domain', taxonomy.domains],
  ] as const) {
    if (typeof r[field] !== 'string') continue;
    const written = r[field] as string;
    const code = termFrom(terms, written);
    const reason = termRefusal(terms, kind, code ?? written);
    if (code && !reason) r[field] = code;
    else {
      out.push({ place, field, column: columnOf(field), reason: reason ?? `无法识别“${written}”` });
      delete r[field];
    }
  }
  return out;
}

/** Better words than zod's for the fields offices get wrong most. */
function explainItem(issue: z.core.$ZodIssue, field: string): string | undefined {
  const input = (issue as { input?: unknown }).input;
  const shown = typeof input === 'string' ? input : JSON.stringify(input);
  if (field === 'category' && issue.code === 'invalid_value')
    return `无法识别“${shown}”，应为 ${categoryChoices()} 之一（或其英文代码）`;
  if (field === 'commonality' && issue.code === 'invalid_value') return `无法识别“${shown}”，应为“共性”或“个性”`;
  if (field === 'priority' && issue.code === 'invalid_value')
    return `无法识别“${shown}”，应为 ${priorityChoices()} 之一（或其英文代码）`;
  if ((field === 'dueDate' || field === 'openedOn') && typeof input === 'string') {
    if (issue.code === 'invalid_format')
      return `无法识别的日期“${input}”，请写作 ${OFFICE_DATE_FORMATS}${field === 'dueDate' ? '，按工作日计请写“15个工作日”' : ''}`;
    if (issue.code === 'custom') return `${issue.message}：${input}`;
  }
  return undefined;
}

const DUE_FIELDS = ['dueDate', 'dueInWorkingDays', 'backdated', 'openedOn'] as const;
const DueFieldsSchema = OpenItemSchema.pick({ dueDate: true, dueInWorkingDays: true, backdated: true, openedOn: true });

/**
 * A row's due-date fields on their own, when none of them failed and the rest of the row did:
 * an item as `resolveOpenItem` reads it (it looks at nothing else), for its errors only.
 */
function dueFieldsOf(row: Record<string, unknown>, failed: ReadonlySet<string>): OpenItem | undefined {
  if (DUE_FIELDS.some((f) => failed.has(f))) return undefined;
  const due = DueFieldsSchema.safeParse(Object.fromEntries(DUE_FIELDS.map((f) => [f, row[f]])), ZH);
  if (!due.success) return undefined;
  return {
    title: '',
    description: '',
    category: 'other',
    priority: 'normal',
    source: '',
    leadUnitId: '',
    coUnitIds: [],
    ...due.data,
  };
}

/** An item the import opens: its spec with units as ids, and for a backdated row the day it began. */
export interface CheckedItem {
  spec: CreateItem;
  backdated?: { openedOn: string };
}

/**
 * Every row checked in one pass — its shape (zod, in Chinese), its due date by the calendar, and
 * its units by id or name — and every error of every row returned; the items only when there
 * is none.
 */
export function checkItemRows(
  rows: ImportRow[],
  units: UnitLookup,
  cal: Calendar,
  nowMs: number,
  taxonomy?: Taxonomy,
): { items: CheckedItem[]; errors: RowError[] } {
  const items: CheckedItem[] = [];
  const errors: RowError[] = [];
  for (const row of rows) {
    const { item, errors: rowErrors } = checkItemRow(row, units, cal, nowMs, taxonomy);
    errors.push(...rowErrors);
    if (item) items.push(item);
  }
  return { items: errors.length > 0 ? [] : items, errors };
}

function checkItemRow(
  { place, raw: given, columnOf }: ImportRow,
  units: UnitLookup,
  cal: Calendar,
  nowMs: number,
  taxonomy?: Taxonomy,
): { item?: CheckedItem; errors: RowError[] } {
  const raw = officeItem(given);
  const termErrors = taxonomy ? officeTerms(raw, taxonomy, place, columnOf) : [];
  const parsed = OpenItemSchema.safeParse(raw, ZH);
  const errors = [
    ...termErrors,
    ...(parsed.success ? [] : issueErrors(parsed.error.issues, place, columnOf, explainItem)),
  ];
  const failed = new Set(errors.map((e) => e.field));
  const fieldsOf = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const unit = (key: unknown, field: string, top: string): string | undefined => {
    if (typeof key !== 'string' || key.trim() === '' || failed.has(field)) return undefined;
    const found = units(key);
    if ('id' in found) return found.id;
    const several = field === 'leadUnitId' ? splitUnitList(key) : [];
    errors.push({
      place,
      field,
      column: columnOf(top),
      reason:
        several.length > 1
          ? `牵头单位只能有一个，这里写了 ${several.length} 个（${several.join('、')}），其余请写入配合单位`
          : found.reason,
    });
    return undefined;
  };
  const lead = unit(fieldsOf.leadUnitId, 'leadUnitId', 'leadUnitId');
  const co = Array.isArray(fieldsOf.coUnitIds)
    ? fieldsOf.coUnitIds.map((c, j) => unit(c, `coUnitIds[${j}]`, 'coUnitIds'))
    : [];
  // The due date by the calendar: not before the next working day, or N working days from
  // today; a backdated row (an item that began in an older system) may be past due. Checked
  // even when another field of the row failed (an unknown key, an empty title), so that the
  // row's every error is told at once: the due-date fields alone are enough to check it.
  const dueFields = parsed.success ? parsed.data : dueFieldsOf(fieldsOf, failed);
  const opened = dueFields && resolveOpenItem(cal, nowMs, dueFields, '_');
  if (opened && !opened.ok)
    for (const e of opened.errors) {
      const field = e.field.replace(/^_\./, '');
      errors.push({ place, field, column: columnOf(field), reason: e.reason });
    }
  if (!parsed.success || errors.length > 0 || !opened?.ok) return { errors };
  const spec = { ...opened.spec, leadUnitId: lead!, coUnitIds: co as string[] };
  return { item: { spec, ...(opened.backdated ? { backdated: opened.backdated } : {}) }, errors };
}
