/**
 * The one .xlsx writer of the product (exceljs): every sheet is a merged bold title row, an
 * optional subtitle row (e.g. 导出时间), a frozen row of Chinese column labels and the rows.
 * Times are written as Asia/Shanghai wall-clock times: a spreadsheet cell has no time zone, and an
 * office in Shanghai reads 2026-11-28 07:30, not the UTC 2026-11-27 23:30.
 *
 * Formula injection: text is written as a string cell, which no spreadsheet evaluates (exceljs
 * writes a formula only for a `{ formula }` value, which this module never builds), so a title
 * such as `=HYPERLINK(...)` stays text without the leading `'` the CSV writer needs.
 */
import ExcelJS from 'exceljs';
import { shanghaiDate } from '../domain/calendar';
import { contentDisposition } from './content-disposition';

export type XlsxValue = string | number | Date | null | undefined;

export interface XlsxColumn {
  header: string;
  key: string;
  /** In characters; by default from the longest of the label and the values (CJK counts two). */
  width?: number;
  /**
   * text (default); number; percent (a fraction, 0.25 → 25.0%); date (a `YYYY-MM-DD` string or
   * an instant, shown as its Shanghai date); dateTime (an instant as a Date or ISO string, shown
   * in Shanghai time).
   */
  kind?: 'text' | 'number' | 'percent' | 'date' | 'dateTime';
}

export interface XlsxSheet {
  name: string;
  title: string;
  subtitle?: string;
  columns: XlsxColumn[];
  rows: Array<Record<string, XlsxValue>>;
}

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const SHANGHAI_OFFSET_MS = 8 * 3600_000;
const MIN_WIDTH = 8;
const MAX_WIDTH = 60;
const FORMATS = { percent: '0.0%', date: 'yyyy-mm-dd', dateTime: 'yyyy-mm-dd hh:mm' } as const;

/** An instant's Shanghai wall-clock time as a `YYYY-MM-DD HH:mm` string. */
export function shanghaiDateTime(instant: Date | string): string {
  const ms = typeof instant === 'string' ? Date.parse(instant) : instant.getTime();
  return new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

/** `督办事项清单-20261127.xlsx`: what it is and the Shanghai date it was made. */
export function xlsxFileName(what: string, now: Date): string {
  const safe = what.replace(/[\\/:*?"<>|\x00-\x1f]/g, '_');
  return `${safe}-${shanghaiDate(now.getTime()).replace(/-/g, '')}.xlsx`;
}

/** The subtitle most exports carry: when it was made, in Shanghai time. */
export function exportedAt(now: Date): string {
  return `导出时间：${shanghaiDateTime(now)}（北京时间）`;
}

export async function xlsxBuffer(sheets: XlsxSheet[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = '督查督办';
  const used = new Set<string>();
  for (const s of sheets) addSheet(wb, s, uniqueName(s.name, used));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** What a reply needs of Fastify's, so this stays an adapter without a web framework. */
interface Reply<R> {
  header(name: string, value: string): R;
  send(payload: never): R;
}

/** Sends a workbook as a download named in Chinese (RFC 5987); answers the reply, as Fastify's `send` does. */
export function sendXlsx<R extends Reply<R>>(reply: R, body: Buffer, fileName: string): R {
  // The route's response schema documents the file; its bytes are sent as they are.
  return reply
    .header('content-type', XLSX_CONTENT_TYPE)
    .header('content-disposition', contentDisposition(fileName))
    .send(body as never);
}

function addSheet(wb: ExcelJS.Workbook, s: XlsxSheet, name: string) {
  const headerRow = s.subtitle ? 3 : 2;
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: headerRow }] });
  const n = Math.max(1, s.columns.length);
  ws.columns = s.columns.map((c) => ({ key: c.key, width: c.width ?? autoWidth(c, s.rows) }));

  const title = ws.getRow(1);
  title.getCell(1).value = s.title;
  title.getCell(1).font = { bold: true, size: 14 };
  title.getCell(1).alignment = { horizontal: 'center', vertical: 'middle' };
  title.height = 24;
  if (n > 1) ws.mergeCells(1, 1, 1, n);
  if (s.subtitle) {
    ws.getRow(2).getCell(1).value = s.subtitle;
    ws.getRow(2).getCell(1).font = { color: { argb: 'FF555555' } };
    if (n > 1) ws.mergeCells(2, 1, 2, n);
  }
  const header = ws.getRow(headerRow);
  s.columns.forEach((c, i) => {
    const cell = header.getCell(i + 1);
    cell.value = c.header;
    cell.font = { bold: true };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF5' } };
    cell.alignment = { vertical: 'middle', wrapText: true };
    cell.border = { bottom: { style: 'thin' } };
  });
  for (const r of s.rows) {
    const row = ws.addRow([]);
    s.columns.forEach((c, i) => {
      const cell = row.getCell(i + 1);
      const kind = c.kind ?? 'text';
      cell.value = cellValue(kind, r[c.key]);
      if (kind !== 'text' && kind !== 'number') cell.numFmt = FORMATS[kind];
      cell.alignment = { vertical: 'top', wrapText: kind === 'text' };
    });
  }
  if (s.columns.length)
    ws.autoFilter = { from: { row: headerRow, column: 1 }, to: { row: headerRow, column: s.columns.length } };
}

function cellValue(kind: NonNullable<XlsxColumn['kind']>, v: XlsxValue): ExcelJS.CellValue {
  if (v === null || v === undefined || v === '') return null;
  switch (kind) {
    case 'number':
    case 'percent':
      return typeof v === 'number' ? v : String(v);
    case 'date': {
      const date = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : shanghaiDate(toMs(v));
      return new Date(`${date}T00:00:00Z`);
    }
    case 'dateTime':
      // exceljs counts a Date as UTC: shifted by eight hours, the cell shows Shanghai time.
      return new Date(toMs(v) + SHANGHAI_OFFSET_MS);
    case 'text':
      return v instanceof Date ? shanghaiDateTime(v) : String(v);
  }
}

function toMs(v: string | number | Date): number {
  return v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v);
}

/** Display width of a text: CJK and full-width characters take two columns. */
function textWidth(s: string): number {
  let w = 0;
  for (const ch of s)
    w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch)
      ? 2
      : 1;
  return w;
}

function autoWidth(c: XlsxColumn, rows: XlsxSheet['rows']): number {
  if (c.kind === 'date') return Math.max(12, textWidth(c.header) + 2);
  if (c.kind === 'dateTime') return Math.max(17, textWidth(c.header) + 2);
  let w = textWidth(c.header);
  for (const r of rows.slice(0, 500)) {
    const v = r[c.key];
    if (v !== null && v !== undefined) w = Math.max(w, textWidth(v instanceof Date ? 'yyyy-mm-dd hh:mm' : String(v)));
  }
  return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, w + 2));
}

/** Excel's sheet names: at most 31 characters, none of []:*?/\, unique in the workbook. */
function uniqueName(name: string, used: Set<string>): string {
  const base = (name.replace(/[[\]:*?/\\]/g, '_').trim() || 'Sheet').slice(0, 31);
  let candidate = base;
  for (let i = 2; used.has(candidate); i++) candidate = `${base.slice(0, 28)}(${i})`;
  used.add(candidate);
  return candidate;
}

/**
 * The first sheet of an .xlsx as text records, the way a CSV is read (lib/csv.ts): each non-blank
 * row with its row number as the spreadsheet shows it. A date cell is its wall-clock date as
 * the sheet shows it (`2026-12-31`, with ` HH:mm` when it has a time), a formula its last result,
 * rich text and links their text. Null when the bytes are no workbook exceljs can read.
 */
export async function readXlsxRecords(body: Buffer): Promise<Array<{ row: number; cells: string[] }> | null> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(body as unknown as ArrayBuffer);
  } catch {
    return null;
  }
  const ws = wb.worksheets[0];
  if (!ws) return [];
  const records: Array<{ row: number; cells: string[] }> = [];
  ws.eachRow({ includeEmpty: false }, (row, n) => {
    const cells: string[] = [];
    for (let i = 1; i <= row.cellCount; i++) cells.push(cellText(row.getCell(i).value).trim());
    if (cells.some((c) => c !== '')) records.push({ row: n, cells });
  });
  return records;
}

function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  // exceljs reads a date cell as the UTC instant of its wall-clock time.
  if (v instanceof Date) {
    const iso = v.toISOString();
    return iso.slice(11, 16) === '00:00' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  }
  if (typeof v !== 'object') return String(v);
  if ('richText' in v) return v.richText.map((t) => t.text).join('');
  if ('text' in v && typeof v.text === 'string') return v.text;
  if ('result' in v) return cellText((v.result ?? null) as ExcelJS.CellValue);
  return '';
}
