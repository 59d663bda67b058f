/**
 * The leader's work in a real headless Chromium, on a phone (390×844) and on a desktop
 * (1440×900): 陈领导 lands on his overview (通报问责 to decide, red items, the latest 晾晒), opens an
 * item from the list and gives a binding 批示; the unit's handler sees it on the item page and in
 * 待办 and confirms it; the leader 圈阅s it; he finds the 通报问责 the ladder proposed in 待我处理
 * and decides 不同意 with a reason; the timeline names him at each step. Then a unit's item held by
 * an open co-unit says why 申请销号 is not open, and 提醒配合单位 works. A screenshot at each step
 * (test-artifacts/console/leader-<width>-*.png); nothing scrolls sideways at either width.
 */
import type { AxeResults } from 'axe-core';
import { cp, mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST } from '../../api/console';
import { shanghaiDate, shiftWorkingDays } from '../../domain/calendar';
import type { CycleReport } from '../../domain/monitoring';
import { currentCalendar } from '../../lib/calendar-store';
import { signToken } from '../../lib/tokens';
import { itemWorkflowId } from '../../workflows/ids';
import { itemQuery } from '../../workflows/messages';
import { leadA, leader, supervisor } from '../support/actors';
import { bearer, startApiStack, TEST_SECRET, type ApiStack } from '../support/api';
import { launchBrowser, screenshot, watchErrors } from '../support/browser';
import { DUE } from '../support/dates';
import { open } from '../support/items';
import { uniqueTaskQueue } from '../support/stack';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };
type Size = typeof PHONE;

let stack: ApiStack;
let browser: Browser;
let base = '';
const taskQueue = uniqueTaskQueue('console-leader');
const errors: string[] = [];
const contexts: BrowserContext[] = [];

/** Per screen width: an item for the 批示, one whose ladder proposed 通报问责, one held by its co-unit. */
const items: Record<number, { instructed: string; late: string; coUnit: string }> = {};
const long = '关于推进城镇老旧小区改造中加装电梯和消防通道清理的专项督查事项';

async function api(actor: { userId: string }, method: 'GET' | 'POST', url: string, payload?: object) {
  const r = await stack.app.inject({ method, url, headers: bearer(actor), ...(payload ? { payload } : {}) });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json<{ item: { id: string } }>();
}
const openItem = async (title: string, extra: object = {}) =>
  (await api(supervisor, 'POST', '/api/items', { title, leadUnitId: 'unit-a', dueDate: DUE, ...extra })).item.id;

/**
 * An item twelve working days past its deadline, opened on its workflow as one already running
 * (the API refuses past due dates): its ladder fires up to 通报问责 at once, proposed to the leader.
 */
async function longOverdue(title: string): Promise<string> {
  const cal = await currentCalendar(stack.db);
  const dueDate = shiftWorkingDays(cal, shanghaiDate(Date.now()), -12).date;
  const item = await open(stack.t.client, taskQueue, { title, leadUnitId: 'unit-a', dueDate });
  const handle = stack.t.client.workflow.getHandle(itemWorkflowId(item.id));
  const end = Date.now() + 20_000;
  while (!(await handle.query(itemQuery)).deadlines!.fired.some((f) => f.action === 'accountability')) {
    if (Date.now() > end) throw new Error('no accountability rung fired');
    await new Promise((r) => setTimeout(r, 100));
  }
  await handle.executeUpdate('recorded', { args: [] });
  return item.id;
}

/** A published 晾晒 for the overview to show (as the cycle workflow stores it; only its standings are read). */
async function seedCycle(): Promise<void> {
  const standing = (unitId: string, group: string, rank: number | null, score: number | null, l: number[]) => ({
    unitId,
    group,
    indicators: 3,
    reported: rank === null ? 1 : 3,
    score,
    rank,
    ranked: rank !== null,
    ...(rank === null ? { reason: '报送指标 1/3，不足 60%，不参与排名' } : {}),
    lights: { green: l[0], yellow: l[1], red: l[2] },
    byCategory: {},
    toRise: null,
  });
  const standings = [
    standing('unit-a', 'bureau', 2, 0.94, [2, 1, 0]),
    standing('unit-b', 'bureau', 1, 1.12, [3, 0, 0]),
    standing('unit-c', 'bureau', 3, 0.61, [0, 1, 2]),
    standing('unit-x', 'bureau', null, null, [0, 0, 3]),
    standing('district-a', 'district', 1, 0.87, [1, 1, 1]),
  ];
  await stack.db.plan.create({
    data: {
      id: 'leader-plan',
      year: 2026,
      title: '2026 年民生实事监测',
      source: '测试',
      rules: {},
      tasks: [],
      createdBy: supervisor.userId,
    },
  });
  await stack.db.indicator.createMany({
    data: standings.map((s, i) => ({
      planId: 'leader-plan',
      code: `L${i}`,
      name: `指标${i}`,
      ownerUnitId: s.unitId,
      measure: '%',
      baseline: 0,
      target: 100,
      direction: 'higher',
      weight: 1,
      category: '民生',
      source: 'report',
      invented: true,
    })),
  });
  const report = {
    cycleId: 'leader-plan-2026-10',
    planId: 'leader-plan',
    period: '2026-10',
    elapsed: 0.83,
    publishedAt: new Date().toISOString(),
    indicators: [],
    notApplicable: [],
    standings,
    requests: [],
    reds: [],
  } as unknown as CycleReport;
  await stack.db.cycle.create({
    data: {
      id: 'leader-plan-2026-10',
      planId: 'leader-plan',
      period: '2026-10',
      openedAt: new Date(),
      dueDate: DUE,
      status: 'published',
      publishedAt: new Date(),
      report: report as never,
    },
  });
}

beforeAll(async () => {
  browser = await launchBrowser();
  // The console as built now, served from a copy: a rebuild while these minutes run does not
  // take its files away from under the pages.
  const dist = await mkdtemp(path.join(os.tmpdir(), 'duban-console-'));
  await cp(CONSOLE_DIST, dist, { recursive: true });
  stack = await startApiStack(taskQueue, { consoleDist: dist });
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;

  await seedCycle();
  for (const size of [PHONE, DESKTOP]) {
    const w = size.width;
    const [late, instructed, coUnit] = await Promise.all([
      longOverdue(`${long}（长期逾期，${w}）`),
      openItem(`${long}（领导关注，${w}）`, { description: '请于规定时限内完成排查并报送整改方案。' }),
      openItem(`${long}（配合单位未办结，${w}）`, { coUnitIds: ['unit-c'] }),
    ]);
    await api(leadA, 'POST', `/api/items/${coUnit}/sign`, {});
    await api(leadA, 'POST', `/api/items/${coUnit}/filePlan`, { plan: '一、全面排查；二、清理占用。' });
    items[w] = { instructed, late, coUnit };
  }
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function session(userId: string, size: Size, at: string): Promise<Page> {
  const context = await browser.newContext({
    viewport: size,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    // axe-core is injected as an inline script, which the console's CSP (script-src 'self') would refuse.
    bypassCSP: true,
  });
  contexts.push(context);
  const page = await context.newPage();
  const seen = watchErrors(page);
  page.on('close', () => errors.push(...seen));
  await page.goto(base + at);
  await page.fill('#token', signToken({ userId }, TEST_SECRET));
  await page.click('form.card button[type="submit"]');
  await page.waitForSelector('header.top');
  return page;
}

/** Waits until the page has drawn what it loads, checks that nothing scrolls sideways, and takes the screenshot. */
async function shot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.waitForFunction("!document.body.textContent.includes('正在加载…')");
  const width = page.viewportSize()!.width;
  const scrollWidth = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  expect.soft(scrollWidth, `${name}: page wider than the screen`).toBeLessThanOrEqual(width);
  await screenshot(page, `leader-${width}-${name}`);
}

/** axe-core's serious and critical findings on the page as it is now. */
async function axeSerious(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const result = (await page.evaluate('axe.run()')) as AxeResults;
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.nodes.map((n) => n.target.join(' ')).join(' | ')})`);
}

/** A page of the navigation, through the 菜单 on a phone. */
async function goTo(page: Page, href: string): Promise<void> {
  const toggle = page.locator('header.top button[aria-expanded]');
  if (await toggle.isVisible()) await toggle.click();
  await page.click(`header.top nav a[href="${href}"]`);
}

/** Opens an action's form, fills it, sends it and waits for the new timeline entry. */
async function doAction(page: Page, action: string, fill: (form: ReturnType<Page['locator']>) => Promise<void>) {
  const before = await page.locator('.timeline > li').count();
  await page.click(`button[data-open-action="${action}"]`);
  const form = page.locator(`form.action-form[data-action="${action}"]`);
  await fill(form);
  await form.locator('button[type="submit"]').click();
  await page.locator('.timeline > li').nth(before).waitFor();
}

const entry = (page: Page, action: string) => page.locator(`.timeline > li[data-action="${action}"]`);
const pendingCount = async (page: Page) =>
  Number(await page.locator('[data-accountability-pending]').getAttribute('data-accountability-pending'));

describe.each([PHONE, DESKTOP])('the leader’s work at %o', (size) => {
  const w = size.width;
  let leaderPage: Page;
  let pendingBefore = 0;

  it('the leader lands on his overview: 通报问责 to decide, red items, the latest 晾晒, the units most overdue', async () => {
    leaderPage = await session(leader.userId, size, '/');
    await leaderPage.waitForSelector('.dashboard[data-loaded="true"] [data-accountability-pending]');
    pendingBefore = await pendingCount(leaderPage);
    expect(pendingBefore).toBeGreaterThanOrEqual(1);
    expect(await leaderPage.textContent('[data-accountability-pending]')).toContain('项通报问责建议待您决定');
    // The item proposed for 通报问责 is among the red ones, with its lead unit and days overdue, a link to it.
    const red = leaderPage.locator(`[data-red-items] tr[data-item="${items[w]!.late}"]`);
    expect(await red.textContent()).toContain('市民政局');
    expect(await red.locator('.overdue-days').textContent()).toMatch(/\d+ 个工作日/);
    expect(await red.locator('a').getAttribute('href')).toBe(`/items/${items[w]!.late}`);
    // The latest 晾晒: lights of every unit, the best and the worst, a link to the board.
    const cycle = leaderPage.locator('[data-cycles] li[data-cycle="leader-plan-2026-10"]');
    expect(await cycle.textContent()).toContain('绿 6');
    expect(await cycle.locator('[data-top]').textContent()).toContain('市财政局（政府部门第 1 名）');
    expect(await cycle.locator('[data-bottom]').textContent()).toContain('市公安局（政府部门第 3 名）');
    expect(await cycle.locator('a').getAttribute('href')).toBe('/cycles/leader-plan-2026-10');
    expect(await leaderPage.locator('[data-overdue-units]').textContent()).toContain('市民政局');
    await leaderPage.waitForSelector('.dashboard canvas');
    await shot(leaderPage, '01-overview');
    expect(await axeSerious(leaderPage)).toEqual([]);
  }, 60_000);

  it('he opens an item from the list and gives a binding 批示', async () => {
    await goTo(leaderPage, '/items');
    const row = leaderPage.locator(`table.items tr[data-item="${items[w]!.instructed}"]`);
    await row.waitFor();
    await shot(leaderPage, '02-list');
    await row.locator('a').first().click();
    await leaderPage.waitForSelector('.item-page[data-status="assigned"]');
    await shot(leaderPage, '03-item');
    await leaderPage.click('button[data-open-action="instruct"]');
    const form = leaderPage.locator('form.action-form[data-action="instruct"]');
    await form.locator('textarea[name="instruction"]').fill('请市民政局本月底前完成排查，每周报送进展。');
    await form.locator('select[name="binding"]').selectOption('yes');
    await shot(leaderPage, '04-instruct-form');
    const before = await leaderPage.locator('.timeline > li').count();
    await form.locator('button[type="submit"]').click();
    await leaderPage.locator('.timeline > li').nth(before).waitFor();
    const given = entry(leaderPage, 'instruct');
    expect(await given.textContent()).toContain('领导批示');
    expect(await given.textContent()).toContain('陈领导');
    expect(await given.textContent()).toContain('请市民政局本月底前完成排查');
    expect(await leaderPage.textContent('[data-pending-instruction]')).toContain('陈领导，须责任单位确认');
    await shot(leaderPage, '05-instructed');
  }, 60_000);

  it('the unit handler sees it in 待办 and on the item page, and confirms it', async () => {
    const page = await session(leadA.userId, size, '/inbox');
    const card = page.locator(`table.inbox tr[data-item="${items[w]!.instructed}"]`);
    await card.waitFor();
    expect(await card.textContent()).toContain('确认领导批示');
    await shot(page, '06-unit-inbox');
    await card.locator('a').click();
    await page.waitForSelector('.item-page');
    const notice = page.locator('[data-pending-instruction]');
    expect(await notice.textContent()).toContain('请市民政局本月底前完成排查，每周报送进展。');
    // On a phone the notice is on the first screen, before the timeline.
    expect((await notice.boundingBox())!.y).toBeLessThan(size.height);
    await shot(page, '07-unit-notice');
    await doAction(page, 'acknowledgeInstruction', (f) =>
      f.locator('textarea[name="note"]').fill('已收悉，已部署各街道开展排查。'),
    );
    expect(await page.locator('[data-pending-instruction]').count()).toBe(0);
    expect(await entry(page, 'acknowledgeInstruction').textContent()).toContain('张经办');
    await shot(page, '08-unit-confirmed');
    // Still to sign, no longer to confirm.
    await page.goto(`${base}/inbox`);
    await card.waitFor();
    expect(await card.textContent()).not.toContain('确认领导批示');
    await page.close();
  }, 60_000);

  it('the leader 圈阅s it; the timeline names him at each step', async () => {
    await leaderPage.reload();
    await leaderPage.waitForSelector('.item-page');
    await leaderPage.waitForSelector('.timeline > li[data-action="acknowledgeInstruction"]');
    await doAction(leaderPage, 'initial', (f) => f.locator('textarea[name="note"]').fill('阅。请持续跟进。'));
    const initialled = await entry(leaderPage, 'initial').textContent();
    expect(initialled).toContain('圈阅');
    expect(initialled).toContain('陈领导');
    expect(initialled).toContain('阅。请持续跟进。');
    expect(await entry(leaderPage, 'instruct').textContent()).toContain('陈领导');
    expect(await entry(leaderPage, 'acknowledgeInstruction').textContent()).toContain('已收悉');
    await shot(leaderPage, '09-initialled');
  }, 60_000);

  it('he finds the proposed 通报问责 in 待我处理 and decides 不同意 with a reason', async () => {
    await goTo(leaderPage, '/dashboard');
    await leaderPage.waitForSelector('.dashboard[data-loaded="true"] [data-accountability-pending]');
    await leaderPage.click('[data-accountability-pending] a[href="/inbox"]');
    const card = leaderPage.locator(`table.inbox tr[data-item="${items[w]!.late}"]`);
    await card.waitFor();
    expect(await card.textContent()).toContain('通报问责决定');
    await shot(leaderPage, '10-inbox');
    await card.locator('a').click();
    await leaderPage.waitForSelector('.item-page');
    await leaderPage.click('button[data-open-action="decideAccountability"]');
    const form = leaderPage.locator('form.action-form[data-action="decideAccountability"]');
    await form.locator('select[name="approved"]').selectOption('no');
    await form.locator('textarea[name="reason"]').fill('已约谈单位主要负责人，暂不通报，继续督促整改。');
    await shot(leaderPage, '11-decide-form');
    const before = await leaderPage.locator('.timeline > li').count();
    await form.locator('button[type="submit"]').click();
    await leaderPage.locator('.timeline > li').nth(before).waitFor();
    const decided = await entry(leaderPage, 'decideAccountability').textContent();
    expect(decided).toContain('通报问责决定');
    expect(decided).toContain('陈领导');
    expect(decided).toContain('不同意');
    expect(decided).toContain('已约谈单位主要负责人');
    // Decided: no longer offered, and gone from his 待办.
    expect(await leaderPage.locator('button[data-open-action="decideAccountability"]').count()).toBe(0);
    await shot(leaderPage, '12-decided');
    await goTo(leaderPage, '/dashboard');
    await leaderPage.waitForSelector('.dashboard[data-loaded="true"] [data-accountability-pending]');
    expect(await pendingCount(leaderPage)).toBe(pendingBefore - 1);
    await leaderPage.close();
  }, 60_000);

  it('the unit’s item held by its co-unit says why 申请销号 is not open, and 提醒配合单位 works', async () => {
    const page = await session(leadA.userId, size, `/items/${items[w]!.coUnit}`);
    await page.waitForSelector('.item-page[data-status="rectifying"]');
    const blocked = page.locator('[data-blocked-action="submit"]');
    expect(await blocked.textContent()).toContain('申请销号暂不能办理：配合单位市公安局尚未办结');
    expect(await blocked.textContent()).toContain('提醒配合单位');
    expect(await page.locator('button[data-open-action="submit"]').count()).toBe(0);
    await shot(page, '13-unit-blocked');
    await doAction(page, 'remindCoUnits', (f) =>
      f.locator('textarea[name="note"]').fill('请市公安局本周内反馈配合整改情况。'),
    );
    const reminded = await entry(page, 'remindCoUnits').textContent();
    expect(reminded).toContain('提醒配合单位');
    expect(reminded).toContain('张经办');
    expect(
      await stack.db.notificationRequest.count({
        where: { subjectKind: 'item', subjectId: items[w]!.coUnit, kind: 'co_unit_reminder' },
      }),
    ).toBe(1);
    await shot(page, '14-unit-reminded');
    await page.close();
  }, 60_000);
});

describe('the pages', () => {
  it('had no script error', async () => {
    for (const c of contexts) for (const p of c.pages()) await p.close();
    expect(errors).toEqual([]);
  });
});
