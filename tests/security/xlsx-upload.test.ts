import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supervisor } from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { declareYearsAhead, DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

let stack: ApiStack;
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('xlsx-upload'));
  await declareYearsAhead(stack.db);
}, 60_000);
afterAll(() => stack?.close());

/** A problem list as an .xlsx: the template's column names and the rows given. */
async function listXlsx(rows: ExcelJS.CellValue[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('问题清单');
  ws.addRow(['事项名称', '牵头单位', '办结时限']);
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The same workbook with its first sheet's XML replaced (deflated, as Excel does). */
async function withSheet(xml: string): Promise<Buffer> {
  const zip = await JSZip.loadAsync(await listXlsx([]));
  zip.file('xl/worksheets/sheet1.xml', xml);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

const sheetXml = (rows: string) =>
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
  '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' +
  rows +
  '</sheetData></worksheet>';

const post = (url: string, payload: Buffer, contentType = XLSX) =>
  stack.app.inject({
    method: 'POST',
    url,
    headers: { ...bearer(supervisor), 'content-type': contentType },
    payload,
  });

describe('an uploaded .xlsx is measured before it is opened', () => {
  it('refuses a small file whose one cell unpacks to 25 MB, quickly and without echoing it', async () => {
    const cell = 'A'.repeat(25 * 2 ** 20);
    const bomb = await withSheet(sheetXml(`<row r="1"><c r="A1" t="inlineStr"><is><t>${cell}</t></is></c></row>`));
    expect(bomb.length).toBeLessThan(1 * 2 ** 20);
    for (const url of ['/api/problem-lists/check', '/api/problem-lists/xlsx?title=t']) {
      const started = Date.now();
      const res = await post(url, bomb);
      expect(res.statusCode, res.body.slice(0, 300)).toBe(413);
      expect(res.json().message).toBe('文件解压后过大（超过 20 MB），请拆分后上传');
      expect(res.body.length).toBeLessThan(2000);
      expect(Date.now() - started).toBeLessThan(3000);
    }
  });

  it('refuses a zip that declares a small size but inflates to more', async () => {
    const cell = 'B'.repeat(5 * 2 ** 20);
    const zip = await withSheet(sheetXml(`<row r="1"><c r="A1" t="inlineStr"><is><t>${cell}</t></is></c></row>`));
    // Every header naming sheet1.xml (local and central) now says it unpacks to 1000 bytes.
    const name = Buffer.from('xl/worksheets/sheet1.xml');
    for (let at = zip.indexOf(name); at >= 0; at = zip.indexOf(name, at + 1)) {
      if (zip.readUInt32LE(at - 46) === 0x02014b50) zip.writeUInt32LE(1000, at - 46 + 24);
      else if (zip.readUInt32LE(at - 30) === 0x04034b50) zip.writeUInt32LE(1000, at - 30 + 22);
    }
    const res = await post('/api/problem-lists/check', zip);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(413);
    expect(res.json().message).toContain('文件解压后过大');
  });

  it('refuses a zip holding what no .xlsx holds', async () => {
    const zip = await JSZip.loadAsync(await listXlsx([['路灯损坏', '市民政局', DUE]]));
    zip.file('payload.exe', 'MZ');
    const res = await post('/api/problem-lists/check', await zip.generateAsync({ type: 'nodebuffer' }));
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().message).toContain('不是有效的 .xlsx');
  });

  it('refuses a sheet of 6000 rows before exceljs reads it, and a cell of more than 5000 characters', async () => {
    const rows = Array.from({ length: 6000 }, () => '<row><c t="inlineStr"><is><t>x</t></is></c></row>').join('');
    const many = await post('/api/problem-lists/check', await withSheet(sheetXml(rows)));
    expect(many.statusCode, many.body).toBe(413);
    expect(many.json().message).toBe('工作表行数过多（超过 5000 行），请拆分后上传');

    const long = await post('/api/problem-lists/check', await listXlsx([['长'.repeat(5001), '市民政局', DUE]]));
    expect(long.statusCode, long.body.slice(0, 300)).toBe(400);
    expect(long.body.length).toBeLessThan(2000);
    expect(long.json().fields).toEqual([{ field: 'row2', reason: '第 2 行第 1 列超过 5000 个字符' }]);
  });
});

describe('import checks speak the template’s words', () => {
  it('names the columns as the template does, and a formula as a formula', async () => {
    const ok = await post('/api/problem-lists/check', await listXlsx([['路灯损坏', '市民政局', DUE]]));
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().columns.map((c: { label: string }) => c.label)).toEqual(['事项名称', '牵头单位', '办结时限']);

    const formula = await post(
      '/api/problem-lists/check',
      await listXlsx([[{ formula: 'HYPERLINK("http://example.com","路灯")' }, '市民政局', DUE]]),
    );
    expect(formula.statusCode, formula.body).toBe(200);
    expect(formula.json().ok).toBe(false);
    expect(formula.json().fileErrors).toContainEqual({
      field: 'row2',
      reason: '第 2 行第 1 列是公式：不支持公式，请填写文字或数值',
    });
  });

  it('tells an .xlsx sent as a CSV to use the .xlsx import', async () => {
    const file = await listXlsx([['路灯损坏', '市民政局', DUE]]);
    for (const url of ['/api/problem-lists/csv?title=t', '/api/problem-lists/check']) {
      const res = await post(url, file, 'text/csv');
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().message).toBe('这是 Excel 文件，请使用 .xlsx 导入');
    }
  });

  it('takes an .xlsx sent as application/octet-stream, and nothing else as such', async () => {
    const ok = await post(
      '/api/problem-lists/check',
      await listXlsx([['路灯损坏', '市民政局', DUE]]),
      'application/octet-stream',
    );
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().count).toBe(1);
    const other = await post('/api/problem-lists/check', Buffer.from('hello'), 'application/octet-stream');
    expect(other.statusCode, other.body).toBe(415);
  });
});
