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
import { inflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { SHANGHAI_OFFSET_MS, shanghaiDate, shanghaiDateTime } from '../domain/calendar';
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

const MIN_WIDTH = 8;
const MAX_WIDTH = 60;
const FORMATS = { percent: '0.0%', date: 'yyyy-mm-dd', dateTime: 'yyyy-mm-dd hh:mm' } as const;

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

/** An upload's uncompressed size at most: a problem list of 1000 rows is well under 5 MB. */
export const MAX_XLSX_UNZIPPED_BYTES = 20 * 2 ** 20;
/** Rows of one worksheet at most, blank formatted rows included (the list itself is capped lower). */
export const MAX_XLSX_SHEET_ROWS = 5000;
const MAX_XLSX_ENTRIES = 1000;
/** The parts an .xlsx holds: XML, relationships, and media, printer settings or macros it may carry. */
const XLSX_PART = /^[\w\-./[\]]+\.(xml|rels|vml|bin|png|jpe?g|gif|emf|wmf|bmp|tiff?|svg)$/i;

/** Why an upload is refused before it is opened; 413 when it is too big, 400 when it is no .xlsx. */
export interface XlsxRefusal {
  status: 400 | 413;
  reason: string;
}

/** The zip signature every .xlsx starts with (PK\x03\x04). */
export function looksLikeZip(body: Buffer | string): boolean {
  return typeof body === 'string' ? body.startsWith('PK\u0003\u0004') : body.subarray(0, 4).equals(ZIP_LOCAL);
}
const ZIP_LOCAL = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/**
 * What an upload's zip says of itself, read from its central directory before anything is
 * inflated (a 300 KB file can unpack to 300 MB): refused when the sizes it declares add up to
 * more than `MAX_XLSX_UNZIPPED_BYTES`, when an entry is no part an .xlsx holds, or when it is
 * a zip64 (no problem list needs one). Null when the bytes are no zip at all (exceljs says so).
 */
export function xlsxZipRefusal(body: Buffer): XlsxRefusal | null {
  const entries = zipEntries(body);
  if (entries === null) return null;
  if (typeof entries === 'string') return { status: 400, reason: entries };
  let total = 0;
  for (const e of entries) {
    total += e.size;
    if (total > MAX_XLSX_UNZIPPED_BYTES) return tooBig();
  }
  return null;
}

const tooBig = (): XlsxRefusal => ({
  status: 413,
  reason: `文件解压后过大（超过 ${MAX_XLSX_UNZIPPED_BYTES / 2 ** 20} MB），请拆分后上传`,
});
const NOT_XLSX_ZIP = '文件不是有效的 .xlsx：压缩包中含有 Excel 文件不会有的内容';

interface ZipEntry {
  name: string;
  method: number;
  compressed: number;
  size: number;
  localOffset: number;
}

/** The central directory's entries; null when there is none, a reason when it is not what an .xlsx holds. */
function zipEntries(body: Buffer): ZipEntry[] | string | null {
  // The End Of Central Directory record: the last PK\x05\x06 within its 22 bytes and a comment's 65535.
  let eocd = -1;
  for (let i = body.length - 22; i >= Math.max(0, body.length - 22 - 0xffff); i--)
    if (body.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) return null;
  const count = body.readUInt16LE(eocd + 10);
  const start = body.readUInt32LE(eocd + 16);
  if (count === 0xffff || start === 0xffffffff) return NOT_XLSX_ZIP;
  if (count > MAX_XLSX_ENTRIES) return NOT_XLSX_ZIP;
  const entries: ZipEntry[] = [];
  let at = start;
  for (let n = 0; n < count; n++) {
    if (at + 46 > body.length || body.readUInt32LE(at) !== 0x02014b50) return NOT_XLSX_ZIP;
    const nameLength = body.readUInt16LE(at + 28);
    const entry = {
      method: body.readUInt16LE(at + 10),
      compressed: body.readUInt32LE(at + 20),
      size: body.readUInt32LE(at + 24),
      localOffset: body.readUInt32LE(at + 42),
      name: body.toString('utf8', at + 46, at + 46 + nameLength),
    };
    if (entry.size === 0xffffffff || entry.compressed === 0xffffffff || ![0, 8].includes(entry.method))
      return NOT_XLSX_ZIP;
    if (!entry.name.endsWith('/') && (!XLSX_PART.test(entry.name) || entry.name.split('/').includes('..')))
      return NOT_XLSX_ZIP;
    entries.push(entry);
    at += 46 + nameLength + body.readUInt16LE(at + 30) + body.readUInt16LE(at + 32);
  }
  return entries;
}

/**
 * Each entry inflated with its declared size as the most it may give (a zip can lie about it;
 * the inflater stops there), and the rows of each worksheet counted: a few hundred KB of
 * `<row>`s cost exceljs seconds of CPU.
 */
function verifiedParts(body: Buffer, entries: ZipEntry[]): XlsxRefusal | null {
  for (const e of entries) {
    if (e.name.endsWith('/')) continue;
    const local = e.localOffset;
    if (local + 30 > body.length || body.readUInt32LE(local) !== 0x04034b50)
      return { status: 400, reason: NOT_XLSX_ZIP };
    const dataAt = local + 30 + body.readUInt16LE(local + 26) + body.readUInt16LE(local + 28);
    const data = body.subarray(dataAt, dataAt + e.compressed);
    let text: Buffer;
    try {
      text = e.method === 0 ? data : inflateRawSync(data, { maxOutputLength: Math.max(1, e.size) });
    } catch {
      // More than it declared, or no deflate stream: exceljs would inflate it all, or fail.
      return e.method === 8 && data.length > 0 ? tooBig() : { status: 400, reason: NOT_XLSX_ZIP };
    }
    if (text.length > e.size) return tooBig();
    if (/^xl\/worksheets\/[^/]+\.xml$/i.test(e.name) && countRows(text) > MAX_XLSX_SHEET_ROWS)
      return { status: 413, reason: `工作表行数过多（超过 ${MAX_XLSX_SHEET_ROWS} 行），请拆分后上传` };
  }
  return null;
}

function countRows(xml: Buffer): number {
  let n = 0;
  for (let i = xml.indexOf('<row'); i >= 0; i = xml.indexOf('<row', i + 4)) {
    const next = xml[i + 4];
    if (next === 0x20 || next === 0x3e || next === 0x2f || next === 0x09 || next === 0x0a || next === 0x0d) n++;
  }
  return n;
}

/** The sheet's records, or why the upload is refused, or null when it is no workbook. */
export type XlsxRead =
  | { records: Array<{ row: number; cells: string[] }>; formulas: Array<{ row: number; column: number }> }
  | { refusal: XlsxRefusal }
  | null;

/**
 * The first sheet of an .xlsx as text records, the way a CSV is read (lib/csv.ts): each non-blank
 * row with its row number as the spreadsheet shows it. A date cell is its wall-clock date as
 * the sheet shows it (`2026-12-31`, with ` HH:mm` when it has a time), a formula its last result,
 * rich text and links their text. Null when the bytes are no workbook exceljs can read; a
 * refusal, before exceljs sees a byte, when the zip is too big once unpacked (`xlsxZipRefusal`).
 */
export async function readXlsxRecords(body: Buffer): Promise<XlsxRead> {
  const entries = zipEntries(body);
  if (typeof entries === 'string') return { refusal: { status: 400, reason: entries } };
  if (entries === null) return null;
  const refusal = xlsxZipRefusal(body) ?? verifiedParts(body, entries);
  if (refusal) return { refusal };
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(body as unknown as ArrayBuffer);
  } catch {
    return null;
  }
  const ws = wb.worksheets[0];
  if (!ws) return { records: [], formulas: [] };
  const records: Array<{ row: number; cells: string[] }> = [];
  const formulas: Array<{ row: number; column: number }> = [];
  ws.eachRow({ includeEmpty: false }, (row, n) => {
    const cells: string[] = [];
    for (let i = 1; i <= row.cellCount; i++) {
      const v = row.getCell(i).value;
      // A formula is not evaluated here: without the result Excel saved with it, it has no text.
      if (v && typeof v === 'object' && ('formula' in v || 'sharedFormula' in v) && (v.result ?? '') === '')
        formulas.push({ row: n, column: i });
      cells.push(cellText(v).trim());
    }
    if (cells.some((c) => c !== '')) records.push({ row: n, cells });
  });
  return { records, formulas };
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
