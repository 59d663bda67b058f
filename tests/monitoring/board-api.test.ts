/**
 * The 晾晒 board a leader can read, through the API with a real Temporal server and PostgreSQL:
 * 开启周期 (once, however often or concurrently asked), who has and has not reported (the summary
 * counted from the very rows listed, a unit that reported before the cycle opened included),
 * 催报 of those listed, 提前晾晒 through the cycle's workflow, and the 晾晒通报 as JSON and as an
 * .xlsx read back with exceljs.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate } from '../../domain/calendar';
import { periodFor } from '../../domain/monitoring';
import { bulletinTitle } from '../../domain/monitoring-words';
import * as p from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { closureRateIndicator, deletePlanSchedules, reportedValue, waitForCycle } from '../support/monitoring';
import { uniqueTaskQueue } from '../support/stack';

const PLAN = 'board-plan';
const { period, year } = periodFor(shanghaiDate(Date.now()), 'monthly');
const CYCLE = `${PLAN}-${period}`;

let stack: ApiStack;
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('board'));
}, 60_000);
afterAll(async () => {
  await deletePlanSchedules(stack?.t.client, [PLAN]);
  await stack?.close();
});

const post = (url: string, payload: unknown, actor = p.supervisor) =>
  stack.app.inject({ method: 'POST', url, headers: bearer(actor), payload: payload as string });
const get = (url: string, actor = p.supervisor) => stack.app.inject({ method: 'GET', url, headers: bearer(actor) });

interface UnitRow {
  unitId: string;
  owed: number;
  reported: number;
  missing: string[];
}
interface Reporting {
  units: number;
  complete: number;
  notReported: Array<{ unitId: string; missing: Array<{ code: string; name: string }> }>;
}

/** The summary says exactly what the rows say. */
function expectConsistent(reporting: Reporting, units: UnitRow[]) {
  expect(reporting.units).toBe(units.length);
  expect(reporting.complete).toBe(units.filter((u) => u.reported >= u.owed).length);
  expect(reporting.notReported.map((u) => u.unitId)).toEqual(
    units.filter((u) => u.reported < u.owed).map((u) => u.unitId),
  );
  expect(reporting.notReported.map((u) => u.missing.map((m) => m.code))).toEqual(
    units.filter((u) => u.reported < u.owed).map((u) => u.missing),
  );
}

describe('the 晾晒 board', () => {
  it('opens a cycle once, counts who reported consistently, publishes early and gives the 通报', async () => {
    const plan = await post('/api/plans', {
      id: PLAN,
      year,
      title: '重点工作监测',
      indicators: [
        { code: 'A1', name: '低保按时发放率', ownerUnitId: 'unit-a', baseline: 0, target: 100 },
        { code: 'A2', name: '养老床位数', ownerUnitId: 'unit-a', baseline: 0, target: 100 },
        { code: 'B1', name: '预算收入增幅', ownerUnitId: 'unit-b', baseline: 0, target: 100 },
        { code: 'C1', name: '刑事案件破案率', ownerUnitId: 'unit-c', baseline: 0, target: 100 },
        { code: 'X2', name: '义务教育巩固率', ownerUnitId: 'unit-x', baseline: 0, target: 100 },
        // Derived: owed by nobody, not part of 报齐.
        closureRateIndicator('X1', 'unit-x', 0, 100),
      ],
    });
    expect(plan.statusCode, plan.body).toBe(201);
    // 市财政局 reported before the cycle opened (as in the demo): it is asked nothing, and has reported.
    await reportedValue(stack.db, { planId: PLAN, code: 'B1', period, value: 95, submittedBy: p.leadB.userId });

    // A unit's handler may not open a cycle; the supervisor's two clicks at once open one.
    expect((await post(`/api/plans/${PLAN}/cycles`, {}, p.leadA)).statusCode).toBe(403);
    const [one, two] = await Promise.all([
      post(`/api/plans/${PLAN}/cycles`, {}),
      post(`/api/plans/${PLAN}/cycles`, {}),
    ]);
    expect(one.statusCode, one.body).toBe(202);
    expect(two.statusCode, two.body).toBe(202);
    expect(one.json()).toMatchObject({ cycleId: CYCLE, period });
    expect(two.json().workflowId).toBe(one.json().workflowId);
    const opened = await waitForCycle(stack.db, CYCLE, 'collecting');
    expect(opened.workflowId).toBe(one.json().workflowId);
    // Asked again once open: answered, not opened twice.
    const again = await post(`/api/plans/${PLAN}/cycles`, {});
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual({ workflowId: opened.workflowId, cycleId: CYCLE, period, started: false });
    expect(await stack.db.cycle.count({ where: { planId: PLAN } })).toBe(1);

    // No 通报 before it is published.
    const early = await get(`/api/cycles/${CYCLE}/bulletin`);
    expect(early.statusCode).toBe(409);
    expect(early.json().message).toContain('尚未晾晒');

    let detail = (await get(`/api/cycles/${CYCLE}`)).json();
    expectConsistent(detail.reporting, detail.units);
    expect(detail.reporting).toMatchObject({ units: 4, complete: 1 });
    expect(detail.reporting.notReported).toEqual([
      {
        unitId: 'unit-a',
        missing: [
          { code: 'A1', name: '低保按时发放率' },
          { code: 'A2', name: '养老床位数' },
        ],
      },
      { unitId: 'unit-c', missing: [{ code: 'C1', name: '刑事案件破案率' }] },
      { unitId: 'unit-x', missing: [{ code: 'X2', name: '义务教育巩固率' }] },
    ]);
    // 市教育局 reports all it owes; 市民政局 one of two: still not reported, now owing one.
    expect(
      (await post(`/api/cycles/${CYCLE}/values`, { values: [{ code: 'X2', value: 60 }] }, p.outsider)).statusCode,
    ).toBe(200);

    expect(
      (await post(`/api/cycles/${CYCLE}/values`, { values: [{ code: 'A1', value: 40 }] }, p.leadA)).statusCode,
    ).toBe(200);
    detail = (await get(`/api/cycles/${CYCLE}`)).json();
    expectConsistent(detail.reporting, detail.units);
    expect(detail.reporting.notReported.map((u: Reporting['notReported'][number]) => u.unitId)).toEqual([
      'unit-a',
      'unit-c',
    ]);

    // 催报 goes to exactly the units listed as not reported.
    const listed = detail.reporting.notReported.map((u: { unitId: string }) => u.unitId);
    const reminded = await post(`/api/cycles/${CYCLE}/remind`, { unitIds: listed });
    expect(reminded.statusCode, reminded.body).toBe(200);
    expect(reminded.json().units.map((u: { unitId: string; sent: boolean }) => [u.unitId, u.sent])).toEqual([
      ['unit-a', true],
      ['unit-c', true],
    ]);

    // 提前晾晒: the cycle's workflow closes reporting and publishes now.
    expect((await post(`/api/cycles/${CYCLE}/publish`, {}, p.leadA)).statusCode).toBe(403);
    expect((await post(`/api/cycles/${CYCLE}/publish`, {})).statusCode).toBe(202);
    await waitForCycle(stack.db, CYCLE, 'published', 60_000);
    expect((await post(`/api/cycles/${CYCLE}/values`, { values: [{ code: 'C1', value: 1 }] }, p.coC)).statusCode).toBe(
      409,
    );
    detail = (await get(`/api/cycles/${CYCLE}`)).json();
    expectConsistent(detail.reporting, detail.units);

    const res = await get(`/api/cycles/${CYCLE}/bulletin`, p.leader);
    expect(res.statusCode, res.body).toBe(200);
    const b = res.json();
    expect(b.title).toBe(bulletinTitle(period));
    // The period in words (2026年10月 / 2026年第三季度), not a month's number as 第N期.
    expect(b.title).toMatch(/^关于\d{4}年(\d{1,2}月|第[一二三四]季度)重点工作晾晒情况的通报$/);
    expect(b.summary).toContain('应报送数据的 4 个单位中，2 个已报齐，2 个未报齐：市民政局、市公安局。');
    expect(b.summary.join('')).not.toMatch(/\d\.\d{4}/);
    const bureaus = b.groups.find((g: { group: string }) => g.group === 'bureau');
    expect(bureaus.label).toBe('政府部门');
    const fin = bureaus.rows.find((r: { unitId: string }) => r.unitId === 'unit-b');
    // 95 of 100 against 时序进度: a percentage in words, never a bare ratio.
    expect(fin).toMatchObject({ rank: 1, unitName: '市财政局', owed: 1, reported: 1 });
    expect(fin.progress).toMatch(/^进度 \d+%（(超出|落后)时序进度 \d+ 个百分点|与时序进度持平）/);
    expect(fin.progress).toBe(
      `进度 ${Math.round(fin.score * 100)}%（${Math.round(fin.score * 100) >= 100 ? '超出' : '落后'}时序进度 ${Math.abs(Math.round(fin.score * 100) - 100)} 个百分点）`,
    );
    const civil = bureaus.rows.find((r: { unitId: string }) => r.unitId === 'unit-a');
    expect(civil).toMatchObject({ owed: 2, reported: 1 });
    // Half its indicators reported: listed, not ranked, and told why.
    expect(civil.rank).toBeNull();
    expect(civil.progress).toBe('不参与排名');
    expect(civil.note).toContain('不参与排名');
    const edu = bureaus.rows.find((r: { unitId: string }) => r.unitId === 'unit-x');
    expect(edu.rank).toBe(2);
    expect(edu.gap).toBe(`差距 ${(Math.round((fin.score - edu.score) * 1000) / 10).toFixed(1)} 个百分点（与市财政局）`);
    expect(b.reds.map((u: { unitName: string }) => u.unitName).sort()).toEqual(
      ['市公安局', '市民政局', '市教育局'].sort(),
    );
    expect(b.reds.find((u: { unitId: string }) => u.unitId === 'unit-c').indicators[0].why).toBe(
      '本期未报送，按红灯晾晒',
    );
    expect(b.notReported.map((u: { unitName: string }) => u.unitName)).toEqual(['市民政局', '市公安局']);

    // The same 通报 as an .xlsx, read back with exceljs.
    const xlsx = await get(`/api/cycles/${CYCLE}/bulletin.xlsx`, p.leader);
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-type']).toContain('spreadsheetml');
    expect(decodeURIComponent(String(xlsx.headers['content-disposition']))).toContain('晾晒通报-重点工作监测-');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const ranking = wb.getWorksheet('排名')!;
    expect(ranking.getRow(1).getCell(1).value).toBe(b.title);
    expect(String(ranking.getRow(2).getCell(1).value)).toContain('北京时间');
    const headers = (ranking.getRow(3).values as unknown[]).slice(1);
    expect(headers).toEqual([
      '分组',
      '名次',
      '单位',
      '进度（相对时序进度）',
      '与时序进度相比',
      '与前一名差距',
      '绿灯',
      '黄灯',
      '红灯',
      '已报 / 应报',
      '说明',
    ]);
    const rows: unknown[][] = [];
    ranking.eachRow((row, n) => n > 3 && rows.push((row.values as unknown[]).slice(1)));
    const finRow = rows.find((r) => r[2] === '市财政局')!;
    expect(finRow[0]).toBe('政府部门');
    expect(finRow[1]).toBe(1);
    expect(finRow[3]).toBeCloseTo(fin.score, 6);
    expect(ranking.getRow(4 + rows.indexOf(finRow)).getCell(4).numFmt).toBe('0.0%');
    expect(finRow[4]).toBe(fin.progress);
    expect(finRow[9]).toBe('1 / 1');
    // No codes: labels only.
    expect(rows.flat().some((v) => v === 'bureau' || v === 'unit-b')).toBe(false);
    const missing = wb.getWorksheet('未报齐单位')!;
    expect((missing.getRow(2).values as unknown[]).slice(1)).toEqual(['单位', '未报送的指标']);
    expect((missing.getRow(3).values as unknown[]).slice(1)).toEqual(['市民政局', '养老床位数']);
    expect((missing.getRow(4).values as unknown[]).slice(1)).toEqual(['市公安局', '刑事案件破案率']);
    const reds = wb.getWorksheet('红灯指标')!;
    const redRows: unknown[][] = [];
    reds.eachRow((row, n) => n > 3 && redRows.push((row.values as unknown[]).slice(1)));
    expect(redRows.map((r) => r[1]).sort()).toEqual(
      ['低保按时发放率', '养老床位数', '刑事案件破案率', '义务教育巩固率'].sort(),
    );
    const eduRow = rows.find((r) => r[2] === '市教育局')!;
    expect(eduRow[5]).toBe(edu.gap);

    // The workflow ends having opened an item per red indicator (and leaves nothing running behind).
    const outcome = await stack.t.client.workflow.getHandle(opened.workflowId!).result();
    expect(outcome).toMatchObject({ cycleId: CYCLE, reds: 4, itemsOpened: 4 });
    // The 通报's 督办事项, the items opened: each by its 督办编号 and title, never its system id.
    const wb2 = new ExcelJS.Workbook();
    await wb2.xlsx.load(
      (await get(`/api/cycles/${CYCLE}/bulletin.xlsx`, p.leader)).rawPayload as unknown as ArrayBuffer,
    );
    const cited: string[] = [];
    wb2.getWorksheet('红灯指标')!.eachRow((row, n) => n > 3 && cited.push(String(row.getCell(4).value)));
    // Read again: the 通报 above was read before the items were opened.
    const after = (await get(`/api/cycles/${CYCLE}/bulletin`, p.leader)).json();
    const redItems = await stack.db.item.findMany({
      where: {
        id: {
          in: after.reds.flatMap((u: { indicators: Array<{ itemId: string }> }) => u.indicators.map((i) => i.itemId)),
        },
      },
    });
    expect(redItems).toHaveLength(4);
    expect(cited.sort()).toEqual(redItems.map((i) => `${i.number} ${i.title}`).sort());
  }, 180_000);
});
