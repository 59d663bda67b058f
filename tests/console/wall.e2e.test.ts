/**
 * The 督查室's wall screen (大屏) and the 晾晒通报's print layout in a real headless Chromium.
 * The wall at 1920 × 1080: reached from the dashboard, its figures those of GET /api/dashboard,
 * the latest 晾晒's best and worst units, a clock, nothing scrolled or clipped, and a new item
 * counted after its own one-minute refresh (the page's clock run forward). The 通报 printed
 * (print media, and a PDF by Chromium read back with pdfjs): its title and ranking, no
 * navigation and no buttons. 开启周期 from the cycle list (once, however often clicked) and 催报
 * of every unit not reported, the list shown before anything is sent. Screenshots under
 * test-artifacts/console.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, shanghaiDate } from '../../domain/calendar';
import { periodFor } from '../../domain/monitoring';
import { bulletinTitle, periodWords, publishedWords } from '../../domain/monitoring-words';
import { coC, leadB, leader, supervisor } from '../support/actors';
import { bearer, startConsoleStack, type ConsoleStack } from '../support/api';
import {
  axeViolations,
  DESKTOP,
  launchBrowser,
  newPage,
  screenshot,
  SCREENSHOTS,
  signIn,
  smallTargets,
  type Viewport,
} from '../support/browser';
import { DUE } from '../support/dates';
import { deletePlanSchedules, SAMPLE_INDICATORS, waitForCycle } from '../support/monitoring';
import { pdfText } from '../support/pdf';
import { uniqueTaskQueue } from '../support/stack';

const PLAN = 'wall-plan';
const LIVE_PLAN = 'wall-live';
const { period, year } = periodFor(shanghaiDate(Date.now()), 'monthly');
const CYCLE = `${PLAN}-${period}`;

let stack: ConsoleStack;
let browser: Browser;
const errors: string[] = [];

async function api(actor: { userId: string }, method: 'GET' | 'POST', url: string, payload?: object) {
  const r = await stack.app.inject({ method, url, headers: bearer(actor), ...(payload ? { payload } : {}) });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json();
}

const newItem = (title: string, leadUnitId: string) =>
  api(supervisor, 'POST', '/api/items', { title, leadUnitId, dueDate: DUE });

beforeAll(async () => {
  browser = await launchBrowser();
  stack = await startConsoleStack(uniqueTaskQueue('console-wall'));
  for (const [title, unit] of [
    ['老旧小区消防通道整改', 'unit-a'],
    ['农贸市场环境整治', 'unit-b'],
    ['背街小巷路灯修复', 'unit-c'],
  ] as Array<[string, string]>)
    await newItem(title, unit);
  // One overdue (entered late, its deadline passed): the wall's 超期事项最多的单位 table has a row.
  await api(supervisor, 'POST', '/api/items', {
    title: '河道清淤整治',
    leadUnitId: 'unit-a',
    dueDate: addDays(shanghaiDate(Date.now()), -3),
    backdated: true,
    openedOn: addDays(shanghaiDate(Date.now()), -40),
  });
  // A published 晾晒: 市财政局 reported (one green, one red), 市民政局 did not.
  await api(supervisor, 'POST', '/api/plans', {
    id: PLAN,
    year,
    title: '社会建设指标监测',
    indicators: [SAMPLE_INDICATORS.F1, SAMPLE_INDICATORS.F2, SAMPLE_INDICATORS.M1, SAMPLE_INDICATORS.P1],
  });
  await api(supervisor, 'POST', `/api/plans/${PLAN}/cycles`, {});
  await waitForCycle(stack.db, CYCLE, 'collecting');
  await api(leadB, 'POST', `/api/cycles/${CYCLE}/values`, {
    values: [
      { code: 'F1', value: 7.5, note: '' },
      { code: 'F2', value: 101, note: '' },
    ],
    attachments: [],
  });
  await api(coC, 'POST', `/api/cycles/${CYCLE}/values`, {
    values: [{ code: 'P1', value: 80, note: '' }],
    attachments: [],
  });
  await api(supervisor, 'POST', `/api/cycles/${CYCLE}/publish`, {});
  await waitForCycle(stack.db, CYCLE, 'published', 60_000);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await deletePlanSchedules(stack?.t.client, [PLAN, LIVE_PLAN]);
  await stack?.close();
});

async function session(userId: string, viewport: Viewport, at: string, axe = false): Promise<Page> {
  const page = await newPage(browser, { viewport, errors, axe });
  // The page's timers under the test's hand: the wall's one-minute refresh is run forward, not waited for.
  await page.clock.install();
  await signIn(page, stack.base + at, userId);
  return page;
}

interface DashboardBody {
  open: number;
  overdue: number;
  byLight: Array<{ light: string; count: number }>;
  trend: Array<{ closed: number }>;
  overdueByUnit: Array<{ unitName: string }>;
  cycles: Array<{ cycleId: string; top: Array<{ unitName: string }>; bottom: Array<{ unitName: string }> }>;
}

/** The wall's figures as the API gives them. */
function expected(d: DashboardBody): Record<string, string> {
  const light = (l: string) => d.byLight.find((b) => b.light === l)?.count ?? 0;
  return {
    open: d.open.toLocaleString('zh-CN'),
    overdue: d.overdue.toLocaleString('zh-CN'),
    red: String(light('red')),
    yellow: String(light('yellow')),
    green: String(light('green')),
    'closed-recent': String(d.trend.slice(-4).reduce((s, w) => s + w.closed, 0)),
  };
}

async function shown(page: Page): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of ['open', 'overdue', 'red', 'yellow', 'green', 'closed-recent'])
    out[key] = ((await page.locator(`[data-wall="${key}"]`).textContent()) ?? '').trim();
  return out;
}

describe('the wall screen (大屏)', () => {
  it('shows the dashboard’s figures on one 1920 × 1080 screen and refreshes itself every minute', async () => {
    const page = await session(supervisor.userId, { width: 1920, height: 1080 }, '/dashboard', true);
    await page.waitForSelector('.dashboard[data-loaded="true"]');
    await page.click('a[href="/wall"]');
    await page.waitForSelector('.wall[data-loaded] [data-wall="open"]');
    await page.waitForSelector('.wall .chart canvas');
    expect(await page.locator('header.top').count()).toBe(0);
    // The overdue units' table on the dark wall, every text legible (it was near-white on white).
    await page.waitForSelector('[data-wall-overdue] tbody tr');
    expect(await axeViolations(page, { within: '.wall' })).toEqual([]);
    expect(
      await page.evaluate(`getComputedStyle(document.querySelector('[data-wall-overdue] td')).backgroundColor`),
    ).toBe('rgba(0, 0, 0, 0)');

    const dash = (await api(supervisor, 'GET', '/api/dashboard')) as DashboardBody;
    // The three items opened here and those the 晾晒 opened for its red indicators.
    expect(dash.open).toBe(await stack.db.item.count({ where: { status: { notIn: ['closed', 'withdrawn'] } } }));
    expect(await shown(page)).toEqual(expected(dash));
    // The latest 晾晒: the board's best and worst units, in words.
    expect(await page.getAttribute('[data-wall-cycle]', 'data-wall-cycle')).toBe(dash.cycles[0]!.cycleId);
    const top = (await page.locator('[data-wall-top]').textContent()) ?? '';
    for (const u of dash.cycles[0]!.top) expect(top).toContain(u.unitName);
    expect(top).toMatch(/进度 \d+%/);
    const bottom = (await page.locator('[data-wall-bottom]').textContent()) ?? '';
    for (const u of dash.cycles[0]!.bottom) expect(bottom).toContain(u.unitName);
    expect(await page.locator('[data-clock]').textContent()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    // One screen: nothing scrolls, no panel's content is cut off.
    const fits = (await page.evaluate(`(() => {
      const d = document.documentElement;
      const panels = [...document.querySelectorAll('.wall-panel, .wall-figure')];
      return {
        page: d.scrollWidth <= innerWidth && d.scrollHeight <= innerHeight,
        clipped: panels
          .filter((p) => p.scrollHeight > p.clientHeight + 1 || p.scrollWidth > p.clientWidth + 1)
          .map((p) => p.className + ' ' + p.scrollWidth + '×' + p.scrollHeight + ' in ' + p.clientWidth + '×' + p.clientHeight),
      };
    })()`)) as { page: boolean; clipped: string[] };
    expect(fits).toEqual({ page: true, clipped: [] });
    await screenshot(page, 'wall-1920');

    // A new item: counted at the next refresh, a minute on, without a reload.
    await newItem('城中村积水点整治', 'unit-a');
    const after = (await api(supervisor, 'GET', '/api/dashboard')) as DashboardBody;
    expect(after.open).toBe(dash.open + 1);
    expect(((await page.locator('[data-wall="open"]').textContent()) ?? '').trim()).toBe(String(dash.open));
    await page.clock.fastForward(61_000);
    await page.waitForSelector(`[data-wall="open"]:text-is("${after.open}")`);
    expect(await shown(page)).toEqual(expected(after));
    await page.close();
  }, 120_000);
});

describe('the 晾晒通报 printed, and the supervisor’s buttons', () => {
  it('prints its title, summary and ranking on A4 without navigation or buttons', async () => {
    const page = await session(leader.userId, DESKTOP, `/cycles/${CYCLE}`);
    await page.waitForSelector('.board-indicators [data-indicator="F1"]');
    // Its header names the plan and the period in words.
    const published = await stack.db.cycle.findUniqueOrThrow({ where: { id: CYCLE } });
    const heading = (await page.locator('main h1').textContent()) ?? '';
    expect(heading).toContain(`社会建设指标监测 · ${periodWords(period)}`);
    expect(heading).toContain(publishedWords(period, shanghaiDate(published.publishedAt!.getTime())));
    // The board in words: percentages of 时序进度, no bare ratios.
    const pace = (await page.locator('.ranking .pace').allTextContents()).join(' ');
    expect(pace).toMatch(/进度 \d+%（(超出|落后)时序进度 \d+ 个百分点|与时序进度持平）/);
    expect(pace).not.toMatch(/\d\.\d{4}/);
    expect(await page.locator('[data-light-rule]').textContent()).toContain('红灯：不足 80%');
    await page.click(`a[href="/cycles/${CYCLE}/bulletin"]`);
    await page.waitForSelector('.bulletin[data-loaded] h1');
    const title = bulletinTitle(period);
    expect(await page.locator('.bulletin h1').textContent()).toBe(title);
    expect(await page.locator('.bulletin-summary').allTextContents()).toContain(
      '应报送数据的 3 个单位中，2 个已报齐，1 个未报齐：市民政局。',
    );
    expect(await page.locator('[data-red-unit="unit-a"]').textContent()).toContain('本期未报送，按红灯晾晒');
    // On screen: the buttons are there.
    expect(await page.locator('.bulletin button:visible').count()).toBe(2);
    await screenshot(page, 'bulletin-1440');

    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('button:visible').count()).toBe(0);
    expect(await page.locator('header.top').isVisible()).toBe(false);
    expect(await page.locator('.bulletin h1').isVisible()).toBe(true);
    expect(await page.locator('.bulletin-table[data-group="bureau"]').isVisible()).toBe(true);

    const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    await writeFile(path.join(SCREENSHOTS, 'bulletin.pdf'), pdf);
    const text = (await pdfText(pdf)).replace(/\s+/g, '');
    expect(text).toContain(title);
    expect(text).toContain('各组排名');
    expect(text).toContain('市财政局');
    expect(text).toContain('政府部门');
    expect(text).toMatch(/进度\d+%/);
    for (const absent of ['督查总览', '事项列表', '导出Excel', '打印', '返回晾晒']) expect(text).not.toContain(absent);
    await page.close();
  }, 120_000);

  it('opens a cycle from the cycle list once, and 催报 shows whom it will remind before it does', async () => {
    await api(supervisor, 'POST', '/api/plans', {
      id: LIVE_PLAN,
      year,
      title: '民生实事监测',
      indicators: [
        { ...SAMPLE_INDICATORS.M1, code: 'L1' },
        { ...SAMPLE_INDICATORS.P1, code: 'L2' },
      ],
    });
    const page = await session(supervisor.userId, DESKTOP, '/cycles');
    const asked: string[] = [];
    page.on('dialog', (d) => {
      asked.push(d.message());
      void d.accept().catch(() => {});
    });
    await page.click(`[data-start-cycle="${LIVE_PLAN}"]`);
    await page.waitForSelector(`.start-cycle [role="status"]:has-text("已开启 ${periodWords(period)} 监测周期")`);
    // The confirm named the period and the reporting deadline.
    expect(asked[0]).toContain(`民生实事监测”${periodWords(period)}监测周期`);
    expect(asked[0]).toContain('报送截止为开启后第 5 个工作日');
    const live = await waitForCycle(stack.db, `${LIVE_PLAN}-${period}`, 'collecting');
    // Listed under its plan without a reload.
    await page.waitForSelector(`.card table a[href="/cycles/${live.id}"]:has-text("${periodWords(period)}")`);
    // Again: the open cycle is answered, no second one.
    await page.click(`[data-start-cycle="${LIVE_PLAN}"]`);
    await page.waitForSelector(
      `.start-cycle [role="status"]:has-text("${periodWords(period)} 监测周期已开启过，未重复开启")`,
    );
    expect(await stack.db.cycle.count({ where: { planId: LIVE_PLAN } })).toBe(1);

    await page.goto(`${stack.base}/cycles/${live.id}`);
    await page.waitForSelector('[data-reporting-summary]');
    expect(await page.locator('[data-reporting-summary]').textContent()).toBe(
      '报送进度：应报送数据的 2 个单位中，0 个已报齐，2 个未报齐（市民政局、市公安局）。',
    );
    // 催报 of one unit asks first too, naming it and what it owes.
    await page.click('[data-remind="unit-a"]');
    expect(await page.locator('[data-remind-preview] li').allTextContents()).toEqual([
      '市民政局：未报送 城乡低保按时发放率',
    ]);
    await page.click('[data-remind-cancel]');
    await page.click('[data-remind-all]');
    const preview = await page.locator('[data-remind-preview] li').allTextContents();
    expect(preview).toEqual(['市民政局：未报送 城乡低保按时发放率', '市公安局：未报送 刑事案件破案率']);
    expect(await stack.db.notificationRequest.count({ where: { subjectId: live.id, kind: 'report_urged' } })).toBe(0);
    await page.click('[data-remind-confirm]');
    await page.waitForSelector('.reporting [role="status"]:has-text("已向市民政局、市公安局发送催报通知")');
    const urged = await stack.db.notificationRequest.findMany({ where: { subjectId: live.id, kind: 'report_urged' } });
    expect(urged.map((n) => n.unitIds[0]).sort()).toEqual(['unit-a', 'unit-c']);
    await page.close();
  }, 120_000);

  it('at 390 px, the dashboard’s 大屏展示 and the board’s 查看 are tap targets (44 px)', async () => {
    const page = await session(supervisor.userId, { width: 390, height: 844 }, '/dashboard');
    await page.waitForSelector('.dashboard[data-loaded="true"] a[href="/wall"]');
    expect(await smallTargets(page, '.wall-link a')).toEqual([]);
    await page.goto(`${stack.base}/cycles/${CYCLE}`);
    await page.waitForSelector('.board-indicators [data-indicator="F1"]');
    expect(await page.locator('.board-indicators a[href^="/items/"]').count()).toBeGreaterThan(0);
    expect(await smallTargets(page, '.board-indicators a[href^="/items/"]')).toEqual([]);
    await page.close();
  }, 60_000);

  it('logged no errors in the pages', () => {
    expect(errors).toEqual([]);
  });
});
