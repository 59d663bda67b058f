import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leadA, supervisor } from '../support/actors';
import { addBracketedUnit, bearer, startApiStack, type ApiStack } from '../support/api';
import { declareYearsAhead, DUE, LATER_DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';
import { waitFor } from '../support/wait';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

let stack: ApiStack;
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('xlsx-export'));
  await declareYearsAhead(stack.db);
}, 60_000);
afterAll(() => stack?.close());

async function post(url: string, actor: { userId: string }, payload: object) {
  const res = await stack.app.inject({ method: 'POST', url, headers: bearer(actor), payload });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json();
}

async function workbook(url: string) {
  const res = await stack.app.inject({ method: 'GET', url, headers: bearer(supervisor) });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toBe(XLSX);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
  return { wb, res };
}

/** A sheet's rows as arrays of cell values (exceljs rows are 1-based). */
const rowsOf = (ws: ExcelJS.Worksheet) => {
  const out: ExcelJS.CellValue[][] = [];
  ws.eachRow({ includeEmpty: true }, (row, n) => (out[n - 1] = (row.values as ExcelJS.CellValue[]).slice(1)));
  return out;
};
/** The rows under a sheet's header row (the one starting with `first`). */
const bodyOf = (ws: ExcelJS.Worksheet, first: string) => {
  const rows = rowsOf(ws);
  return rows.slice(rows.findIndex((r) => r[0] === first) + 1);
};

describe('GET /api/items/export?format=xlsx', () => {
  it('a title row, Chinese labels, labels not codes, Shanghai times and a file name saying what it is', async () => {
    const { item } = await post('/api/items', supervisor, {
      title: '=HYPERLINK("http://x","点我")',
      leadUnitId: 'unit-a',
      coUnitIds: ['unit-b'],
      dueDate: DUE,
      category: 'annual_task',
      priority: 'urgent',
    });
    // Opened at 23:30 UTC: 07:30 the next morning in Shanghai.
    await stack.db.item.update({ where: { id: item.id }, data: { createdAt: new Date('2026-03-01T23:30:00Z') } });

    const { wb, res } = await workbook('/api/items/export?format=xlsx');
    const disposition = String(res.headers['content-disposition']);
    expect(disposition).toMatch(/^attachment; filename="[^"]+\.xlsx"; filename\*=UTF-8''/);
    const name = decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(disposition)![1]!);
    expect(name).toMatch(/^督办事项清单-\d{8}\.xlsx$/);

    const ws = wb.worksheets[0]!;
    const rows = rowsOf(ws);
    expect(rows[0]![0]).toBe('督办事项清单');
    expect(ws.getCell('A1').isMerged).toBe(true);
    expect(ws.getCell('A1').font?.bold).toBe(true);
    expect(String(rows[1]![0])).toMatch(/^导出时间：\d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间）/);
    const header = rows[2]!.map(String);
    for (const h of [
      '督办编号',
      '事项名称',
      '类别',
      '紧急程度',
      '状态',
      '牵头单位',
      '配合单位',
      '办结时限',
      '灯色',
      '立项时间',
    ])
      expect(header).toContain(h);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 3 });

    const row = rows.slice(3).find((r) => r[header.indexOf('系统编号')] === item.id)!;
    expect(row).toBeDefined();
    const cell = (h: string) => row[header.indexOf(h)];
    expect(cell('类别')).toBe('年度重点任务');
    expect(cell('紧急程度')).toBe('紧急');
    expect(cell('状态')).toBe('待签收');
    expect(cell('牵头单位')).toBe('市民政局');
    expect(cell('配合单位')).toBe('市财政局');
    expect(cell('灯色')).toBe('绿灯');
    // A spreadsheet cell has no zone: it holds the Shanghai wall-clock time.
    expect((cell('立项时间') as Date).toISOString()).toBe('2026-03-02T07:30:00.000Z');
    expect(ws.getRow(4).getCell(header.indexOf('立项时间') + 1).numFmt).toBe('yyyy-mm-dd hh:mm');
    expect((cell('办结时限') as Date).toISOString().slice(0, 10)).toBe(DUE);
    // The formula title is text, not a formula: a string cell, no <f> anywhere in the sheet.
    expect(cell('事项名称')).toBe('=HYPERLINK("http://x","点我")');
    const zip = await JSZip.loadAsync(res.rawPayload);
    const xml = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
    expect(xml).not.toContain('<f>');
  }, 60_000);

  it('keeps the list filters, and the CSV export as it was for machines', async () => {
    const { item } = await post('/api/items', supervisor, {
      title: '仅牵头单位乙',
      leadUnitId: 'unit-b',
      dueDate: DUE,
    });
    const { wb } = await workbook('/api/items/export?format=xlsx&unit=unit-b&q=%E4%BB%85');
    const rows = rowsOf(wb.worksheets[0]!).slice(3);
    expect(rows.map((r) => r[1])).toEqual(['仅牵头单位乙']);
    const csv = await stack.app.inject({ method: 'GET', url: '/api/items/export', headers: bearer(supervisor) });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toContain(item.id);
  }, 60_000);
});

describe('GET /api/items/:id/ledger?format=xlsx', () => {
  it('every part of the ledger with Chinese labels and user names', async () => {
    const { item } = await post('/api/items', supervisor, {
      title: '台账导出事项',
      leadUnitId: 'unit-a',
      dueDate: DUE,
    });
    await post(`/api/items/${item.id}/sign`, leadA, {});
    await post(`/api/items/${item.id}/requestExtension`, leadA, { dueDate: LATER_DUE, reason: '工程量大' });
    await post(`/api/items/${item.id}/decideExtension`, supervisor, { approved: true, opinion: '同意' });
    await post(`/api/items/${item.id}/urge`, supervisor, { text: '请加快进度' });
    await post(`/api/items/${item.id}/recordInterview`, supervisor, {
      heldOn: '2026-01-05',
      attendees: '张三、李四',
      summary: '约谈纪要',
    });
    const { number } = (await stack.db.item.findUniqueOrThrow({
      where: { id: item.id },
      select: { number: true },
    })) as {
      number: string;
    };
    expect(number).toMatch(/^督〔\d{4}〕\d+号$/);

    const { wb, res } = await workbook(`/api/items/${item.id}/ledger?format=xlsx`);
    const name = decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(String(res.headers['content-disposition']))![1]!);
    expect(name).toMatch(new RegExp(`^期限台账-${number}-\\d{8}\\.xlsx$`));
    expect(wb.worksheets.map((w) => w.name)).toEqual([
      '期限',
      '催办阶梯',
      '延期与挂起',
      '催办与约谈',
      '日历变更',
      '配合单位',
      '逐日计算',
    ]);

    const deadlines = rowsOf(wb.getWorksheet('期限')!);
    expect(deadlines[0]![0]).toBe('期限台账：台账导出事项');
    expect(String(deadlines[1]![0])).toContain('牵头单位：市民政局');
    expect(String(deadlines[1]![0])).toContain(`督办编号：${number}；系统编号：${item.id}`);
    const pushes = bodyOf(wb.getWorksheet('催办与约谈')!, '类型');
    expect(pushes.map((r) => [r[0], r[2], r[3]])).toEqual([
      ['催办', '市民政局', '请加快进度'],
      ['约谈', '张三、李四', '约谈纪要'],
    ]);
    const csv = await stack.app.inject({
      method: 'GET',
      url: `/api/items/${item.id}/ledger?format=csv`,
      headers: bearer(supervisor),
    });
    expect(csv.body).toMatch(/\nurge,\d{4}-\d{2}-\d{2},,请加快进度,unit-a,/);
    expect(csv.body).toContain('\ninterview,2026-01-05,,约谈纪要,张三、李四,');
    expect(deadlines[2]).toEqual([
      '环节',
      '轮次',
      '起算日',
      '期限',
      '状态',
      '被替换日期',
      '替换原因',
      '操作人',
      '日历版本',
    ]);
    const steps = deadlines.slice(3).map((r) => r[0]);
    expect(steps).toContain('签收');
    expect(steps).toContain('办结销号');
    expect(steps.join()).not.toMatch(/sign|closure/);
    // The closure deadline the extension replaced: by whom, by name.
    const replaced = deadlines.slice(3).find((r) => r[4] === '已替换' && r[6] === '审批延期');
    expect(replaced?.[7]).toBe('王督查');

    const ext = bodyOf(wb.getWorksheet('延期与挂起')!, '类型');
    expect(ext[0]).toMatchObject({ 0: '延期申请', 4: '张经办', 5: '工程量大', 6: '同意', 7: '王督查' });

    const rungs = bodyOf(wb.getWorksheet('催办阶梯')!, '环节');
    expect(rungs.length).toBeGreaterThan(0);
    // Each rung on the day it falls due (at that day's end), as the page and the JSON ledger say.
    const json = (
      await stack.app.inject({ method: 'GET', url: `/api/items/${item.id}/ledger`, headers: bearer(supervisor) })
    ).json();
    const dueDays = json.rungs.map((r: { dueAt: string }) =>
      new Date(Date.parse(r.dueAt) + 8 * 3600_000 - 1).toISOString().slice(0, 10),
    );
    for (const r of rungs) {
      expect(['已触发', '未到期', '不适用', '办结时未到期']).toContain(r[4]);
      expect(r[3]).toBeInstanceOf(Date);
    }
    expect(rungs.map((r) => (r[3] as Date).toISOString().slice(0, 10))).toEqual(dueDays);
    const days = bodyOf(wb.getWorksheet('逐日计算')!, '日期');
    for (const d of days) expect(['计入', '周末', '节假日', '挂起期间']).toContain(d[2]);
  }, 120_000);
});

describe('批量交办: the template, the dry run and the import of an .xlsx', () => {
  type Check = {
    ok: boolean;
    count: number;
    columns: Array<{ field: string; name: string }>;
    rows: Array<{ row: number; cells: Record<string, string> }>;
    errors: Array<{ row: number; field: string; cell: string | null; column: string; reason: string }>;
    fileErrors: unknown[];
  };

  it('checks every row in place, opens nothing, then opens the fixed list', async () => {
    await addBracketedUnit(stack.app);

    const { wb } = await workbook('/api/problem-lists/template');
    expect(wb.worksheets.map((w) => w.name)).toEqual(['问题清单', '填写说明', '单位名称']);
    const ws = wb.getWorksheet('问题清单')!;
    expect(ws.getRow(4).getCell(1).value).toBe('示例');
    const add = (cells: string[]) => ws.addRow(cells);
    add([
      '1',
      '清理消防通道',
      '',
      '群众反映',
      '紧急',
      '市住房和城乡建设局(市人防办)',
      '市民政局、市财政局',
      '15个工作日',
    ]);
    add(['2', '整治占道经营', '', '', '', '市不存在局', '', DUE]);
    add(['3', '修复路灯', '', '', '', '市民政局', '', '2020-01-01']);
    add(['4', '', '没有标题的一行', '', '', '市民政局', '', DUE]);
    const file = Buffer.from(await wb.xlsx.writeBuffer());
    const before = await stack.db.item.count();

    const res = await stack.app.inject({
      method: 'POST',
      url: '/api/problem-lists/check',
      headers: { ...bearer(supervisor), 'content-type': XLSX },
      payload: file,
    });
    expect(res.statusCode, res.body).toBe(200);
    const check = res.json() as Check;
    expect(check).toMatchObject({ ok: false, count: 4, fileErrors: [] });
    expect(check.rows.map((r) => r.row)).toEqual([5, 6, 7, 8]);
    const at = (row: number) => check.errors.filter((e) => e.row === row);
    expect(at(5)).toEqual([]);
    expect(at(6)).toMatchObject([{ cell: 'leadUnitId', column: '牵头单位（必填）' }]);
    expect(at(6)[0]!.reason).toContain('市不存在局');
    expect(at(7)).toMatchObject([{ cell: 'dueDate' }]);
    expect(at(8)).toMatchObject([{ cell: 'title', reason: expect.stringMatching(/必填|不能为空/) }]);
    expect(await stack.db.item.count()).toBe(before);

    // Fixed in place and sent back as the table: the same pipeline, the whole list opened.
    const rows = check.rows.map((r) => ({ ...r, cells: { ...r.cells } }));
    rows[1]!.cells.leadUnitId = '市公安局';
    rows[2]!.cells.dueDate = DUE;
    rows[3]!.cells.title = '补上的标题';
    const columns = Object.fromEntries(check.columns.map((c) => [c.field, c.name]));
    const again = await stack.app.inject({
      method: 'POST',
      url: '/api/problem-lists/check',
      headers: bearer(supervisor),
      payload: { columns, rows },
    });
    expect(again.json()).toMatchObject({ ok: true, errors: [] });
    expect(await stack.db.item.count()).toBe(before);
    const list = await post('/api/problem-lists/rows', supervisor, { title: '十一月问题清单', columns, rows });
    expect(list.total).toBe(4);
    const items = await waitFor(async () => {
      const found = await stack.db.item.findMany({ where: { problemListId: list.id }, orderBy: { id: 'asc' } });
      return found.length === 4 ? found : null;
    });
    expect(items.map((i) => i.leadUnitId)).toEqual(['unit-zj', 'unit-c', 'unit-a', 'unit-a']);
    expect(items[0]).toMatchObject({ category: 'complaint', priority: 'urgent', coUnitIds: ['unit-a', 'unit-b'] });
  }, 120_000);

  it('refuses bytes that are no workbook, in Chinese, and opens nothing', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/api/problem-lists/xlsx?title=x',
      headers: { ...bearer(supervisor), 'content-type': XLSX },
      payload: Buffer.from('not a zip'),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('无法读取该 Excel 文件');
  });
});
