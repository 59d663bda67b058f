/**
 * 指标报送 in a real headless Chromium. A plan with a live cycle (opened today through the API,
 * its workflow collecting): 市财政局's handler, on a phone (390 × 844), sees the indicators it
 * owes with target, baseline, last period's value and 时序进度, types a non-number and is told
 * at the field, saves a draft (kept on the server, lit as it would be, not on the board),
 * reloads and finds it, and submits. The supervision office sees 市财政局 as reported and
 * 市民政局 as not, 催报 it (one notice), and publishes early: the value is on the board.
 * Screenshots at 390 and 1440 px are saved under test-artifacts/console.
 */
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate } from '../../domain/calendar';
import { periodFor } from '../../domain/monitoring';
import { signToken } from '../../lib/tokens';
import { planScheduleId } from '../../workflows/client/schedules';
import { leadB, supervisor } from '../support/actors';
import { bearer, startApiStack, TEST_SECRET, type ApiStack } from '../support/api';
import { launchBrowser, screenshot, watchErrors } from '../support/browser';
import { pdf } from '../support/files';
import { uniqueTaskQueue } from '../support/stack';
import { waitFor } from '../support/wait';

const PLAN = 'e2e-report';
// The cycle a plan opens today reports on last month (monthly plans).
const { period, year } = periodFor(shanghaiDate(Date.now()), 'monthly');
const CYCLE = `${PLAN}-${period}`;
/** The month before the cycle's: last period's value is shown next to the field. */
const previousPeriod = (() => {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
})();

let stack: ApiStack;
let browser: Browser;
let base = '';
const errors: string[] = [];

beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('console-reporting'));
  const plan = await stack.app.inject({
    method: 'POST',
    url: '/api/plans',
    headers: bearer(supervisor),
    payload: {
      id: PLAN,
      year,
      title: '财政运行监测',
      indicators: [
        { code: 'F1', name: '一般公共预算收入增幅', ownerUnitId: 'unit-b', measure: '%', baseline: 2, target: 8 },
        { code: 'F2', name: '政府性基金收入', ownerUnitId: 'unit-b', measure: '亿元', baseline: 100, target: 130 },
        { code: 'M1', name: '城乡低保按时发放率', ownerUnitId: 'unit-a', measure: '%', baseline: 90, target: 100 },
      ],
    },
  });
  expect(plan.statusCode, plan.body).toBe(201);
  await stack.db.indicatorValue.create({
    data: {
      planId: PLAN,
      code: 'F1',
      period: previousPeriod,
      value: 5.2,
      note: '',
      attachments: [],
      source: 'report',
      submittedBy: leadB.userId,
      submittedAt: new Date(),
    },
  });
  // A live cycle: opened today, due some working days from now, its workflow collecting.
  const run = await stack.app.inject({
    method: 'POST',
    url: `/api/plans/${PLAN}/cycles`,
    headers: bearer(supervisor),
    payload: {},
  });
  expect(run.statusCode, run.body).toBe(202);
  await waitFor(async () => {
    const c = await stack.db.cycle.findUnique({ where: { id: CYCLE } });
    return c?.status === 'collecting' && c.workflowId ? c : null;
  });
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.t.client.schedule
    .getHandle(planScheduleId(PLAN))
    .delete()
    .catch(() => {});
  await stack?.close();
});

async function signedIn(userId: string, width: number, height: number, ready: string): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width, height },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  const page = await context.newPage();
  const seen = watchErrors(page);
  page.on('close', () => errors.push(...seen));
  // A link from the 数据报送通知 mail: sign-in keeps the page asked for.
  await page.goto(`${base}/cycles/${CYCLE}`);
  await page.fill('#token', signToken({ userId }, TEST_SECRET));
  await page.click('form.card button[type="submit"]');
  await page.waitForSelector(ready);
  return page;
}

/** Nothing wider than the screen: no sideways scrolling on a phone. */
const fitsWidth = async (page: Page) =>
  page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1') as Promise<boolean>;

describe('指标报送 on a phone', () => {
  it('lets 市财政局 fill its indicators, keep a draft, and submit', async () => {
    const page = await signedIn(leadB.userId, 390, 844, '.report-form [data-indicator="F1"]');
    expect(await fitsWidth(page)).toBe(true);
    // Only its own indicators, each with what it is measured against.
    expect(await page.locator('.report-form [data-indicator]').count()).toBe(2);
    const f1 = page.locator('.report-form [data-indicator="F1"]');
    expect(await f1.locator('legend').textContent()).toContain('一般公共预算收入增幅');
    const facts = (await f1.locator('.report-facts').textContent()) ?? '';
    expect(facts).toContain('8%');
    expect(facts).toContain('2%');
    expect(await f1.locator('.previous').textContent()).toBe(`5.2%（${previousPeriod}）`);
    expect(await f1.locator('.expected').textContent()).toMatch(/^\d+\.\d%，本期应达 ≥ [\d.]+%（绿灯）/);
    expect(await page.locator('.report-form [data-indicator="F2"] .previous').textContent()).toBe('无');

    // The input is as wide as the screen allows, and the submit button sits at the bottom, whole and large.
    const input = await page.locator('#value-F1').boundingBox();
    expect(input!.width).toBeGreaterThan(300);
    const submit = await page.locator('[data-submit]').boundingBox();
    expect(submit!.y + submit!.height).toBeLessThanOrEqual(844);
    expect(submit!.height).toBeGreaterThanOrEqual(44);
    expect(submit!.width).toBeGreaterThan(150);

    // Not a number: told at the field, in Chinese, and nothing is saved.
    await page.fill('#value-F1', '七点五');
    await page.click('[data-save-draft]');
    expect(await f1.locator('.field-error').textContent()).toContain('应为数字');
    expect(await page.getAttribute('#value-F1', 'aria-invalid')).toBe('true');
    expect(await stack.db.reportDraft.count()).toBe(0);

    await page.fill('#value-F1', '7.5');
    expect(await f1.locator('.field-error').count()).toBe(0);
    await page.fill('#note-F1', '含一次性土地出让收入');
    await page.fill('#value-F2', '118');
    await page.setInputFiles('#report-files', {
      name: '财政收入月报.pdf',
      mimeType: 'application/pdf',
      buffer: pdf('e2e-report'),
    });
    await page.waitForSelector('.report-files li:has-text("财政收入月报.pdf")');
    await page.click('[data-save-draft]');
    await page.waitForSelector('.report-form [role="status"]:has-text("草稿已保存")');
    // Lit as it would be: 7.5 of 2→8 is ahead of the year; 118 of 100→130 is behind it.
    expect(await f1.locator('.predicted').textContent()).toContain('绿灯');
    expect(await page.locator('[data-indicator="F2"] .predicted').textContent()).toContain('红灯');
    // A draft on the server, no value, nothing on the board.
    expect(await stack.db.reportDraft.count({ where: { cycleId: CYCLE, unitId: 'unit-b' } })).toBe(1);
    expect(await stack.db.indicatorValue.count({ where: { planId: PLAN, period } })).toBe(0);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'reporting-unit-390');

    // Reloaded (or on another device): the draft is there.
    await page.reload();
    await page.waitForSelector('.report-form [data-indicator="F1"]');
    expect(await page.inputValue('#value-F1')).toBe('7.5');
    expect(await page.inputValue('#note-F1')).toBe('含一次性土地出让收入');
    expect(await page.inputValue('#value-F2')).toBe('118');
    expect(await page.locator('.report-files li').textContent()).toContain('财政收入月报.pdf');

    await page.click('[data-submit]');
    await page.waitForSelector('.report-form [role="status"]:has-text("已提交 2 项指标")');
    await page.waitForSelector('[data-indicator="F1"] .submitted');
    const values = await stack.db.indicatorValue.findMany({
      where: { planId: PLAN, period },
      orderBy: { code: 'asc' },
    });
    expect(values.map((v) => [v.code, v.value, v.note])).toEqual([
      ['F1', 7.5, '含一次性土地出让收入'],
      ['F2', 118, ''],
    ]);
    expect((values[0]!.attachments as Array<{ name: string }>).map((a) => a.name)).toEqual(['财政收入月报.pdf']);
    // Submitted: the draft is gone.
    expect(await stack.db.reportDraft.count()).toBe(0);
    expect(await fitsWidth(page)).toBe(true);

    await page.setViewportSize({ width: 1440, height: 900 });
    await page.reload();
    await page.waitForSelector('[data-indicator="F1"] .submitted');
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'reporting-unit-1440');
    await page.close();
  }, 120_000);
});

describe('报送情况 and 催报 for the supervision office', () => {
  it('shows who has reported, chases who has not, and publishes the values on the board', async () => {
    // Named once the unit list has loaded.
    const page = await signedIn(supervisor.userId, 1440, 900, '.reporting [data-unit="unit-a"]:has-text("市民政局")');
    const b = (await page.locator('[data-unit="unit-b"]').textContent()) ?? '';
    expect(b).toContain('市财政局');
    expect(b).toContain('已报齐');
    expect(b).toContain('2 / 2');
    const a = (await page.locator('[data-unit="unit-a"]').textContent()) ?? '';
    expect(a).toContain('未报齐');
    expect(a).toContain('0 / 1');
    // A unit that has reported cannot be chased.
    expect(await page.locator('[data-remind="unit-b"]').count()).toBe(0);

    // 催报 shows whom it will chase and for what before it sends.
    await page.click('[data-remind="unit-a"]');
    expect(await page.locator('[data-preview-unit="unit-a"]').textContent()).toContain('市民政局');
    expect(
      await stack.db.notificationRequest.count({
        where: { subjectKind: 'cycle', subjectId: CYCLE, kind: 'report_urged' },
      }),
    ).toBe(0);
    await page.click('[data-remind-confirm]');
    await page.waitForSelector('.reporting [role="status"]:has-text("已向市民政局发送催报通知")');
    await page.waitForSelector('[data-remind="unit-a"]:has-text("今日已催报")');
    expect(await page.locator('[data-remind="unit-a"]').isDisabled()).toBe(true);
    const notices = await stack.db.notificationRequest.findMany({
      where: { subjectKind: 'cycle', subjectId: CYCLE, kind: 'report_urged' },
    });
    expect(notices.map((n) => n.unitIds)).toEqual([['unit-a']]);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'reporting-supervisor-1440');

    // The same list on a phone: cards, nothing wider than the screen.
    const phone = await signedIn(supervisor.userId, 390, 844, '.reporting [data-unit="unit-a"]:has-text("市民政局")');
    expect(await fitsWidth(phone)).toBe(true);
    await screenshot(phone, 'reporting-supervisor-390');
    await phone.close();

    // 提前晾晒: the values reported are on the board.
    page.once('dialog', (d) => void d.accept());
    await page.click('[data-publish]');
    await page.waitForSelector('.board-indicators [data-indicator="F1"]', { timeout: 60_000 });
    expect(await page.locator('.board-indicators [data-indicator="F1"] .value').textContent()).toBe('7.5');
    expect(await page.locator('.board-indicators [data-indicator="F2"] .value').textContent()).toBe('118');
    expect(await page.locator('.board-indicators [data-indicator="M1"] .value').textContent()).toBe('未报送');
    expect(await page.locator('.board-indicators [data-indicator="F1"] .light').textContent()).toBe('绿灯');
    expect(await page.locator('.ranking').count()).toBeGreaterThan(0);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'reporting-board-1440');
    await page.close();

    // The unit sees its values on the board too, and the form closed.
    const unit = await signedIn(leadB.userId, 390, 844, '.board-indicators [data-indicator="F1"]');
    expect(await unit.locator('.report-form input').count()).toBe(0);
    expect(await unit.locator('.report-form h2').textContent()).toContain('本期已晾晒');
    expect(await fitsWidth(unit)).toBe(true);
    await screenshot(unit, 'reporting-board-390');
    await unit.close();
    expect(errors).toEqual([]);
  }, 180_000);
});
