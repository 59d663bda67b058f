/**
 * "Why is it red" in a real headless Chromium, on a phone (390×844) and a desktop (1440×900): an
 * item past its deadline shows one bar per stage and the sentence saying why it is red, since when
 * and under which rule; its automatic ladder steps say what they were and to whom, with no status
 * arrow; 办结时限 is shown once; closed items show 按期办结 / 逾期 N 个工作日办结 and no 绿灯, on
 * the item page and in the list. Screenshots in test-artifacts/console/why-red-<width>-*.png.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leadA, supervisor, verifier } from '../support/actors';
import { bearer, startConsoleStack, type ConsoleStack } from '../support/api';
import { axeViolations, DESKTOP, launchBrowser, PHONE, shot, signedInPage, type Viewport } from '../support/browser';
import { DUE } from '../support/dates';
import { openOverdue } from '../support/items';
import { uniqueTaskQueue } from '../support/stack';

let stack: ConsoleStack;
let browser: Browser;
const taskQueue = uniqueTaskQueue('console-why-red');
const errors: string[] = [];
/** Per screen width: an item red for days, one closed on time, one closed late. */
const items: Record<number, { red: string; onTime: string; late: string }> = {};

async function api(actor: { userId: string }, method: 'GET' | 'POST', url: string, payload?: object) {
  const r = await stack.app.inject({ method, url, headers: bearer(actor), ...(payload ? { payload } : {}) });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json();
}

const overdue = async (title: string, days: number) =>
  (await openOverdue(stack, taskQueue, days, { title, leadUnitId: 'unit-a' })).id;

async function closeIt(id: string): Promise<void> {
  await api(leadA, 'POST', `/api/items/${id}/sign`, {});
  await api(leadA, 'POST', `/api/items/${id}/filePlan`, { plan: '一、排查；二、整改。' });
  await api(leadA, 'POST', `/api/items/${id}/submit`, { summary: '已全部整改到位。' });
  await api(verifier, 'POST', `/api/items/${id}/verifyPass`, { opinion: '核查属实' });
}

beforeAll(async () => {
  browser = await launchBrowser();
  stack = await startConsoleStack(taskQueue);
  for (const { width: w } of [PHONE, DESKTOP]) {
    const [red, late] = await Promise.all([
      overdue(`老旧小区加装电梯（红灯，${w}）`, 4),
      overdue(`消防通道清理（逾期办结，${w}）`, 4),
    ]);
    const onTime = (
      await api(supervisor, 'POST', '/api/items', {
        title: `背街小巷整治（按期办结，${w}）`,
        leadUnitId: 'unit-a',
        dueDate: DUE,
      })
    ).item.id as string;
    await Promise.all([closeIt(onTime), closeIt(late)]);
    items[w] = { red, onTime, late };
  }
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  expect(errors).toEqual([]);
});

const session = (size: Viewport, at: string) =>
  signedInPage(browser, stack.base + at, supervisor.userId, { viewport: size, errors, axe: true });

describe.each([PHONE, DESKTOP])('why is it red at %o', (size) => {
  const w = size.width;

  it('shows the bars, the rule and since when, and automatic steps as what they were', async () => {
    const page = await session(size, `/items/${items[w]!.red}`);
    await page.waitForSelector('[data-deadline-timeline] [data-why-light]');
    const t = await api(supervisor, 'GET', `/api/items/${items[w]!.red}/deadline-timeline`);
    const why = page.locator('[data-why-light]');
    expect(await why.getAttribute('data-why-light')).toBe('red');
    const sentence = (await why.textContent())!;
    expect(sentence).toContain('为什么是红灯：办结销号期限');
    expect(sentence).toContain(`自 ${t.light.reason.since} 起为红灯`);
    // The default policy by its Chinese name, not its code.
    expect(sentence).toContain('依据默认期限规则（第 1 版）');
    expect(sentence).not.toContain('default');
    expect(sentence).toContain('办结销号期限后第 3 个工作日 → 红灯预警');
    // One bar per stage the item has, each with its rungs in words.
    expect(
      await page
        .locator('[data-deadline-timeline] .sla-bar')
        .evaluateAll((l) => l.map((e) => e.getAttribute('data-stage'))),
    ).toEqual(['sign', 'closure']);
    const red = page.locator('.sla-bar[data-stage="closure"] li[data-rung="closure-red"]');
    expect(await red.getAttribute('data-rung-status')).toBe('fired');
    expect(await red.textContent()).toContain(`${t.light.reason.rung.day} 红灯预警（已发牵头单位负责人，已报督查室）`);
    expect(await page.locator('.sla-bar[data-stage="closure"] .sla-track .sla-deadline').count()).toBe(1);
    const interview = page.locator('.sla-bar[data-stage="closure"] li[data-rung="closure-interview"]');
    expect(await interview.getAttribute('data-rung-status')).toBe('pending');
    // Still to come: it will be sent, it has not been.
    expect(await interview.textContent()).toContain('约谈提醒（将发牵头单位负责人，将报督查室）');
    expect(await interview.textContent()).not.toContain('已发');
    // The bars stack at 390 px and sit in two columns at 1440: no bar wider than its card either way.
    const [bar, card] = await Promise.all([
      page.locator('.sla-bar[data-stage="closure"] .sla-track').boundingBox(),
      page.locator('[data-deadline-timeline]').boundingBox(),
    ]);
    expect(bar!.width).toBeLessThanOrEqual(card!.width);
    expect(bar!.width).toBeGreaterThan(w === 390 ? 250 : 200);

    // The timeline: the automatic steps say what and to whom, with no status arrow.
    const automatic = page.locator('.timeline > li[data-action="escalate"]');
    const texts = await automatic.allTextContents();
    expect(texts.some((x) => x.includes('红灯预警（已发牵头单位负责人，已报督查室）'))).toBe(true);
    // No co-units on this item: the notices went to no co-unit, and none is named.
    expect(texts.some((x) => x.includes('催办提醒（已发牵头单位承办人、牵头单位负责人）'))).toBe(true);
    for (const x of texts) expect(x).not.toContain('配合单位');
    for (const x of texts) expect(x).not.toContain('→');
    expect(texts.every((x) => x.includes('依据：'))).toBe(true);
    // 办结时限 once, and no second row with the same date.
    const terms = await page.locator('.facts dt').allTextContents();
    expect(terms.filter((x) => x === '办结时限')).toHaveLength(1);
    expect(terms).not.toContain('办结销号期限');
    await shot(page, 'why-red', 'red');

    expect(await axeViolations(page, { within: '[data-deadline-timeline]' })).toEqual([]);
    await page.close();
  });

  it('shows closed items as 按期办结 or 逾期 N 个工作日办结, never 绿灯, on the page and in the list', async () => {
    const page = await session(size, `/items/${items[w]!.onTime}`);
    await page.waitForSelector('[data-closed-how]');
    expect(await page.locator('h1 .light').count()).toBe(0);
    expect(await page.locator('[data-closed-how-header]').textContent()).toBe('按期办结');
    expect(await page.locator('[data-closed-how]').textContent()).toContain('按期办结');
    expect(await page.locator('[data-why-light]').count()).toBe(0);
    expect(await page.locator('.sla-bar[data-stage="verification"] [data-round="passed"]').count()).toBe(1);
    await shot(page, 'why-red', 'closed-on-time');

    await page.goto(`${stack.base}/items/${items[w]!.late}`);
    await page.waitForSelector('[data-closed-how]');
    const late = await api(supervisor, 'GET', `/api/items/${items[w]!.late}`);
    expect(late.item.closedLateWorkingDays).toBeGreaterThan(0);
    const text = `逾期 ${late.item.closedLateWorkingDays} 个工作日办结`;
    expect(await page.locator('[data-closed-how-header]').textContent()).toBe(text);
    expect(await page.locator('[data-closed-how]').textContent()).toContain(text);
    expect(await page.locator('h1 .light').count()).toBe(0);
    await shot(page, 'why-red', 'closed-late');

    await page.goto(`${stack.base}/items?status=closed`);
    for (const [id, how] of [
      [items[w]!.onTime, '按期办结'],
      [items[w]!.late, text],
    ] as const) {
      const row = page.locator(`tr[data-item="${id}"]`);
      await row.waitFor();
      expect(await row.locator('.light').count()).toBe(0);
      expect(await row.locator('[data-closed-how]').textContent()).toBe(how);
    }
    await shot(page, 'why-red', 'closed-list');
    await page.close();
  });
});
