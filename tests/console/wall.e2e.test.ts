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
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST } from '../../api/console';
import { shanghaiDate } from '../../domain/calendar';
import { periodFor } from '../../domain/monitoring';
import { bulletinTitle } from '../../domain/monitoring-words';
import { signToken } from '../../lib/tokens';
import { ROOT } from '../../lib/root';
import { planScheduleId } from '../../workflows/client/schedules';
import { coC, leadB, leader, supervisor } from '../support/actors';
import { bearer, startApiStack, TEST_SECRET, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { launchBrowser, screenshot, SCREENSHOTS, watchErrors } from '../support/browser';
import { uniqueTaskQueue } from '../support/stack';
import { waitFor } from '../support/wait';

const PLAN = 'wall-plan';
const LIVE_PLAN = 'wall-live';
const { period, year } = periodFor(shanghaiDate(Date.now()), 'monthly');
const CYCLE = `${PLAN}-${period}`;

let stack: ApiStack;
let browser: Browser;
let base = '';
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
  // The console as built now, served from a copy: a rebuild while this runs does not take its files away.
  const dist = await mkdtemp(path.join(os.tmpdir(), 'duban-console-'));
  await cp(CONSOLE_DIST, dist, { recursive: true });
  stack = await startApiStack(uniqueTaskQueue('console-wall'), { consoleDist: dist });
  for (const [title, unit] of [
    ['老旧小区消防通道整改', 'unit-a'],
    ['农贸市场环境整治', 'unit-b'],
    ['背街小巷路灯修复', 'unit-c'],
  ] as Array<[string, string]>)
    await newItem(title, unit);
  // A published 晾晒: 市财政局 reported (one green, one red), 市民政局 did not.
  await api(supervisor, 'POST', '/api/plans', {
    id: PLAN,
    year,
    title: '社会建设指标监测',
    indicators: [
      { code: 'F1', name: '一般公共预算收入增幅', ownerUnitId: 'unit-b', measure: '%', baseline: 2, target: 8 },
      { code: 'F2', name: '政府性基金收入', ownerUnitId: 'unit-b', measure: '亿元', baseline: 100, target: 130 },
      { code: 'M1', name: '城乡低保按时发放率', ownerUnitId: 'unit-a', measure: '%', baseline: 90, target: 100 },
      { code: 'P1', name: '刑事案件破案率', ownerUnitId: 'unit-c', measure: '%', baseline: 50, target: 90 },
    ],
  });
  await api(supervisor, 'POST', `/api/plans/${PLAN}/cycles`, {});
  await waitFor(async () => {
    const c = await stack.db.cycle.findUnique({ where: { id: CYCLE } });
    return c?.status === 'collecting' && c.workflowId ? c : null;
  });
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
  await waitFor(async () => {
    const c = await stack.db.cycle.findUnique({ where: { id: CYCLE } });
    return c?.status === 'published' ? c : null;
  }, 60_000);
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  for (const plan of [PLAN, LIVE_PLAN])
    await stack?.t.client.schedule
      .getHandle(planScheduleId(plan))
      .delete()
      .catch(() => {});
  await stack?.close();
});

async function session(userId: string, viewport: { width: number; height: number }, at: string): Promise<Page> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  const seen = watchErrors(page);
  page.on('close', () => {
    errors.push(...seen);
    context.close().catch(() => {});
  });
  // The page's timers under the test's hand: the wall's one-minute refresh is run forward, not waited for.
  await page.clock.install();
  await page.goto(base + at);
  await page.fill('#token', signToken({ userId }, TEST_SECRET));
  await page.click('form.card button[type="submit"]');
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
    const page = await session(supervisor.userId, { width: 1920, height: 1080 }, '/dashboard');
    await page.waitForSelector('.dashboard[data-loaded="true"]');
    await page.click('a[href="/wall"]');
    await page.waitForSelector('.wall[data-loaded] [data-wall="open"]');
    await page.waitForSelector('.wall .chart canvas');
    expect(await page.locator('header.top').count()).toBe(0);

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

/** The text of every page of a PDF, read with pdfjs (with the CJK character maps). */
async function pdfText(data: Buffer): Promise<string> {
  // pdfjs 6 expects Promise.withResolvers (Node 22); given here for an older Node.
  const P = Promise as unknown as { withResolvers?: () => unknown };
  P.withResolvers ??= () => {
    let resolve: unknown, reject: unknown;
    const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
    return { promise, resolve, reject };
  };
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const pdfjs = path.join(ROOT, 'node_modules', 'pdfjs-dist');
  const doc = await getDocument({
    data: new Uint8Array(data),
    cMapUrl: `${pdfjs}/cmaps/`,
    cMapPacked: true,
    standardFontDataUrl: `${pdfjs}/standard_fonts/`,
  }).promise;
  const pages: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    pages.push(content.items.map((i) => ('str' in i ? i.str : '')).join(''));
  }
  await doc.cleanup();
  return pages.join('\n');
}

describe('the 晾晒通报 printed, and the supervisor’s buttons', () => {
  it('prints its title, summary and ranking on A4 without navigation or buttons', async () => {
    const page = await session(leader.userId, { width: 1440, height: 900 }, `/cycles/${CYCLE}`);
    await page.waitForSelector('.board-indicators [data-indicator="F1"]');
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
        { code: 'L1', name: '城乡低保按时发放率', ownerUnitId: 'unit-a', measure: '%', baseline: 90, target: 100 },
        { code: 'L2', name: '刑事案件破案率', ownerUnitId: 'unit-c', measure: '%', baseline: 50, target: 90 },
      ],
    });
    const page = await session(supervisor.userId, { width: 1440, height: 900 }, '/cycles');
    page.on('dialog', (d) => void d.accept().catch(() => {}));
    await page.click(`[data-start-cycle="${LIVE_PLAN}"]`);
    await page.waitForSelector(`.start-cycle [role="status"]:has-text("已开启 ${period} 监测周期")`);
    const live = await waitFor(async () => {
      const c = await stack.db.cycle.findUnique({ where: { id: `${LIVE_PLAN}-${period}` } });
      return c?.status === 'collecting' && c.workflowId ? c : null;
    });
    // Again: the open cycle is answered, no second one.
    await page.click(`[data-start-cycle="${LIVE_PLAN}"]`);
    await page.waitForSelector(`.start-cycle [role="status"]:has-text("${period} 监测周期已开启过，未重复开启")`);
    expect(await stack.db.cycle.count({ where: { planId: LIVE_PLAN } })).toBe(1);

    await page.goto(`${base}/cycles/${live.id}`);
    await page.waitForSelector('[data-reporting-summary]');
    expect(await page.locator('[data-reporting-summary]').textContent()).toBe(
      '报送进度：应报送数据的 2 个单位中，0 个已报齐，2 个未报齐（市民政局、市公安局）。',
    );
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

  it('logged no errors in the pages', () => {
    expect(errors).toEqual([]);
  });
});
