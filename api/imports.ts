/**
 * What every import (problem lists, plans; JSON or CSV) shares: reading a CSV with the column
 * names offices use, naming a row as people count it, turning zod's issues into Chinese errors
 * that name the row and the field, looking units up by id or name, and the one 400 that lists
 * every error of every row.
 */
import { z } from 'zod';
import type { Db } from '../lib/db';
import { parseCsvRecords } from '../lib/csv';
import { looksLikeZip } from '../lib/xlsx';
import { unitResolver, type UnitLookup as UnitRef } from '../lib/unit-names';
import { AppError, badRequest, type FieldError } from './errors';

/** Where a row sits: its key in `fields` (`row3`, `items[0]`), its number as people count it, and how to say it. */
export interface RowPlace {
  key: string;
  /** CSV: the row in the file, the header being row 1. JSON: the item's position, from 1. */
  row: number;
  said: string;
}
export const csvRow = (row: number): RowPlace => ({ key: `row${row}`, row, said: `第 ${row} 行` });
export const jsonItem = (i: number, list = 'items'): RowPlace => ({
  key: `${list}[${i}]`,
  row: i + 1,
  said: `第 ${i + 1} 项`,
});

/** One error of one row: the field (`dueDate`, `coUnitIds[1]`), the column as the file names it, and why. */
export interface RowError {
  place: RowPlace;
  field: string;
  column: string;
  reason: string;
}

/** `['coUnitIds', 1, 'x']` → `coUnitIds[1].x`. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${String(p)}` : String(p)),
    '',
  );
}

/** Chinese messages whatever the process's zod locale is (they are parsed here, not by the route). */
const zhCN = z.locales.zhCN().localeError;
export const ZH = { error: zhCN, reportInput: true } as const;

/**
 * A zod issue as row errors: an unknown key named as the field it is (`items[0].foo`: 未知字段),
 * a missing value as 必填; `explain` may give a better reason for a field (a date, a category).
 */
export function issueErrors(
  issues: readonly z.core.$ZodIssue[],
  place: RowPlace,
  columnOf: (field: string) => string,
  explain: (issue: z.core.$ZodIssue, field: string) => string | undefined = () => undefined,
): RowError[] {
  const seen = new Set<string>();
  // One reason per field, the first: a date that is no date at all fails its format, its
  // existence and its range, and people need to hear it once.
  const once = (e: RowError) => !seen.has(e.field) && !!seen.add(e.field);
  return issues
    .flatMap((issue): RowError[] => {
      if (issue.code === 'unrecognized_keys')
        return issue.keys.map((k) => {
          const field = fieldPath([...issue.path, k]);
          return { place, field, column: field, reason: '未知字段' };
        });
      const field = fieldPath(issue.path);
      const top = typeof issue.path[0] === 'string' ? issue.path[0] : field;
      return [{ place, field, column: columnOf(top), reason: explain(issue, top) ?? reasonOf(issue) }];
    })
    .filter(once);
}

const TYPE_NAMES: Record<string, string> = {
  string: '文字',
  number: '数字',
  int: '整数',
  boolean: 'true 或 false',
  array: '列表',
  object: '对象',
};

/** zod's reason in plain words where it speaks of types; its zh-CN message otherwise. */
function reasonOf(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'invalid_type') return issue.message;
  if (issue.input === undefined) return '必填，不能为空';
  const name = TYPE_NAMES[issue.expected];
  return name ? `应为${name}` : issue.message;
}

/**
 * Every error of every row, in one 400: `fields` (each reason saying row and column; `outside`
 * first, errors that belong to no row) and `rows` (grouped by row).
 */
export function importRefusal(errors: RowError[], what: string, things = '内容', outside: FieldError[] = []): AppError {
  // In the order of the file: a row's errors together, rows by number (stable within a row).
  errors = [...errors].sort((a, b) => a.place.row - b.place.row);
  const rows = new Map<string, { row: number; errors: Array<{ field: string; column: string; reason: string }> }>();
  for (const e of errors) {
    const entry = rows.get(e.place.key) ?? { row: e.place.row, errors: [] };
    entry.errors.push({ field: e.field, column: e.column, reason: e.reason });
    rows.set(e.place.key, entry);
  }
  const fields: FieldError[] = outside.concat(
    errors.map((e) => ({
      field: e.field ? `${e.place.key}.${e.field}` : e.place.key,
      reason: `${e.place.said}${e.column ? `“${e.column}”` : ''}：${e.reason}`,
    })),
  );
  return new AppError(
    400,
    'bad_request',
    `${what}有 ${rows.size} 行有误（共 ${errors.length} 处），未导入任何${things}`,
    {
      fields,
      rows: [...rows.values()],
    },
  );
}

/** The key a column name is looked up by: no spaces, no 必填 marks, ASCII letters in lower case. */
const columnKey = (name: string) =>
  name
    .replace(/[\s\u3000]/g, '')
    .replace(/（/g, '(')
    .replace(/）/g, ')')
    .replace(/^[*＊]+|[*＊]+$/g, '')
    .toLowerCase();
/** A note after a column name, `牵头单位（必填）`: tried without it when the name itself is unknown. */
const NOTE = /[（(][^（）()]*[）)]$/;

export interface CsvTable<F extends string> {
  rows: Array<{ place: RowPlace; cells: Partial<Record<F, string>> }>;
  /** The column each field came from, as the file names it. */
  columns: Partial<Record<F, string>>;
  /** What is wrong with the header (empty when the rows can be read). */
  errors: FieldError[];
  /** The header's names that are no known column (each also in `errors`). */
  unknown: string[];
}

export const XLSX_AS_CSV = '这是 Excel 文件，请使用 .xlsx 导入';
export const NOT_UTF8 = '文件不是 UTF-8 编码：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”';

/**
 * The refusal of a CSV that was not UTF-8, before a cell of it is read: Excel's “CSV” is GBK on a
 * Chinese Windows, and its “Unicode text” UTF-16. The body arrives decoded as UTF-8, so a byte
 * sequence that is no UTF-8 (GBK) is a U+FFFD, and UTF-16 brings NUL characters (and its byte
 * order mark, FF FE or FE FF, two U+FFFD). Read on, such a file only gave unknown columns (and
 * the NULs a refusal that spoke of NUL characters). The API's text/csv parser applies it to every
 * CSV body; `readCsvTable` again, for a caller that reads a file of its own.
 */
export function notUtf8(text: string, field = 'body'): AppError | null {
  // An .xlsx (a zip: PK\x03\x04) sent as a CSV is no encoding problem, and people are told so.
  if (looksLikeZip(text)) return badRequest([{ field, reason: XLSX_AS_CSV }], XLSX_AS_CSV);
  return text.includes('\u0000') || text.includes('\uFFFD')
    ? badRequest([{ field, reason: NOT_UTF8 }], NOT_UTF8)
    : null;
}

/** Throws `notUtf8`'s refusal, if any. */
export function assertUtf8(text: string, field = 'body'): void {
  const refusal = notUtf8(text, field);
  if (refusal) throw refusal;
}

/**
 * A CSV read against the column names a field may have (`synonyms`, Chinese or English); columns
 * named in `ignored` (序号) are skipped. The header is the first row whose named cells are all
 * known, among the first five (a title row above it is passed over); each later row keeps its
 * number in the file. Unknown, duplicate or missing required columns are reported together.
 * A file that is not UTF-8 (GBK, UTF-16) is refused at once (`assertUtf8`).
 */
export function readCsvTable<F extends string>(
  text: string,
  synonyms: Record<F, readonly string[]>,
  opts: TableOptions<F>,
): CsvTable<F> {
  assertUtf8(text);
  return readTable(parseCsvRecords(text), synonyms, opts);
}

export interface TableOptions<F extends string> {
  required?: readonly F[];
  ignored?: readonly string[];
  label: (f: F) => string;
}

/** A sheet's non-blank records, each with its row number as the spreadsheet shows it. */
export type SheetRecords = Array<{ row: number; cells: string[] }>;

/**
 * `readCsvTable` over records already read (a CSV's, an .xlsx sheet's): one reading of columns and
 * rows whatever the file was.
 */
export function readTable<F extends string>(
  records: SheetRecords,
  synonyms: Record<F, readonly string[]>,
  opts: TableOptions<F>,
): CsvTable<F> {
  const lookup = new Map<string, F>();
  for (const f of Object.keys(synonyms) as F[]) for (const name of [f, ...synonyms[f]]) lookup.set(columnKey(name), f);
  const ignored = new Set((opts.ignored ?? []).map(columnKey));
  const fieldOf = (name: string): F | 'ignored' | undefined => {
    for (const key of [columnKey(name), columnKey(name.replace(NOTE, ''))]) {
      if (ignored.has(key)) return 'ignored';
      const f = lookup.get(key);
      if (f) return f;
    }
    return undefined;
  };
  if (records.length === 0)
    return { rows: [], columns: {}, errors: [{ field: 'csv', reason: '文件为空' }], unknown: [] };
  const known = (cells: string[]) => cells.every((c) => c.trim() === '' || fieldOf(c) !== undefined);
  const at = records.slice(0, 5).findIndex((r) => known(r.cells) && r.cells.filter((c) => c.trim()).length > 1);
  const headerAt = at === -1 ? 0 : at;
  const header = records[headerAt]!;
  const errors: FieldError[] = [];
  const unknown: string[] = [];
  const columns: Partial<Record<F, string>> = {};
  const byIndex: Array<F | undefined> = header.cells.map((name, i) => {
    const f = fieldOf(name);
    if (name.trim() === '') return undefined;
    if (f === undefined) {
      unknown.push(name.trim());
      errors.push({ field: `csv.header`, reason: `第 ${i + 1} 列“${name.trim()}”无法识别` });
      return undefined;
    }
    if (f === 'ignored') return undefined;
    if (columns[f] !== undefined) {
      errors.push({
        field: 'csv.header',
        reason: `第 ${i + 1} 列“${name.trim()}”与“${columns[f]}”重复（都表示${opts.label(f)}）`,
      });
      return undefined;
    }
    columns[f] = name.trim();
    return f;
  });
  for (const f of opts.required ?? [])
    if (columns[f] === undefined) {
      const names = [...new Set(synonyms[f].filter((n) => /[^\x00-\x7f]/.test(n)))];
      errors.push({ field: 'csv.header', reason: `缺少“${opts.label(f)}”列（列名可写作 ${names.join('、')}）` });
    }
  const rows = records.slice(headerAt + 1).map(({ row, cells }) => {
    const out: Partial<Record<F, string>> = {};
    cells.forEach((cell, i) => {
      const f = byIndex[i];
      const v = cell.trim();
      if (f && v !== '') out[f] = v;
      else if (v !== '' && i >= header.cells.length)
        errors.push({ field: `row${row}`, reason: `第 ${row} 行第 ${i + 1} 列有内容，但该列没有列名` });
    });
    return { place: csvRow(row), cells: out };
  });
  return { rows, columns, errors, unknown };
}

export type UnitLookup = (key: string) => UnitRef;

/**
 * Units as files name them: by id, by name, or by a name qualified with its parents'
 * (`嘉兴市/市发展改革委`) where several units share it — resolved by lib/unit-names.ts, which
 * refuses a shared name naming the forms to write instead.
 */
export async function unitLookup(db: Db): Promise<UnitLookup> {
  return unitResolver(await db.unit.findMany({ select: { id: true, name: true, parentId: true } }));
}
