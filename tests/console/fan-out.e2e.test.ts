/**
 * 举一反三 in the console, in a real headless Chromium against the running product: the supervisor
 * fans an item out to three units picked by hand on a desktop (the requirements prefilled from the
 * item); on a phone (390 px) one unit's handler finds it first in 待办 and answers 不存在 with a
 * reason and a file, another answers 存在 (a second tap confirms, an item is opened for the unit);
 * each answer page fits the screen, its controls are big enough for a thumb and carry labels. The
 * third unit answers through the API; the supervisor's board shows the coverage, the sampled
 * answers, and a spot-check 推翻 opens an item, linked from the board; the opened item links back,
 * oversight opening the fan-out lands on the board, and a second fan-out counts out the units
 * asked already. Screenshots under
 * test-artifacts/console/fan-out-*.png.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coC, leadB, outsider, supervisor } from '../support/actors';
import { bearer, startConsoleStack, type ConsoleStack } from '../support/api';
import {
  axeViolations,
  DESKTOP,
  fitsWidth,
  launchBrowser,
  PHONE,
  settled,
  shot,
  signedInPage,
  smallTargets,
} from '../support/browser';
import { DUE } from '../support/dates';
import { pdf } from '../support/files';
import { uniqueTaskQueue } from '../support/stack';
import { waitFor } from '../support/wait';

let stack: ConsoleStack;
let browser: Browser;
const errors: string[] = [];
let origin = '';
let fanOutId = '';
const REQUIREMENTS = '请对照本事项，全面排查辖区内燃气管道老化、违规占压等同类问题，如实答复。';

interface Coverage {
  asked: number;
  answered: number;
  absent: number;
  present: number;
  silent: number;
  sampled: number;
  checked: number;
  overturned: number;
  itemsOpened: number;
}
interface Detail {
  status: string;
  coverage: Coverage;
  units: Array<{ unitId: string; answer: string | null; sampled: boolean; itemId: string | null }>;
}

async function api<T>(
  actor: { userId: string },
  method: 'GET' | 'POST',
  url: string,
  payload?: object,
  headers: Record<string, string> = {},
): Promise<T> {
  const r = await stack.app.inject({
    method,
    url,
    headers: { ...bearer(actor), ...headers },
    ...(payload ? { payload } : {}),
  });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json<T>();
}
const detail = () => api<Detail>(supervisor, 'GET', `/api/fan-outs/${fanOutId}`);
/** The coverage as the board shows it: each count by its key. */
const boardCoverage = (page: Page) =>
  page.$$eval('[data-fan-out] [data-coverage]', (lis) =>
    Object.fromEntries(
      lis.map((li) => [li.getAttribute('data-coverage'), Number(li.querySelector('strong')?.textContent)]),
    ),
  );

beforeAll(async () => {
  stack = await startConsoleStack(uniqueTaskQueue('console-fan-out'));
  browser = await launchBrowser();
  origin = (
    await api<{ item: { id: string } }>(supervisor, 'POST', '/api/items', {
      title: '老旧小区燃气管道老化引发泄漏',
      description: REQUIREMENTS,
      leadUnitId: 'unit-a',
      dueDate: DUE,
    })
  ).item.id;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  expect(errors).toEqual([]);
});

/** A unit's handler on a phone: the 举一反三 first in 待办, a tap to its answer form. */
async function answerPage(userId: string): Promise<Page> {
  const page = await signedInPage(browser, `${stack.base}/inbox`, userId, { viewport: PHONE, errors, axe: true });
  const first = page.locator('[data-fan-outs-mine] li[data-fan-out]').first();
  await first.waitFor();
  expect(await first.getAttribute('data-fan-out')).toBe(fanOutId);
  expect(await first.locator('[data-answer-due]').textContent()).toContain('前答复');
  await first.locator('a').click();
  await page.waitForSelector('form[data-answer-form]');
  expect(await page.textContent('[data-requirements]')).toBe(REQUIREMENTS);
  return page;
}

/** The answer form on a phone: no sideways scrolling, every control a thumb can hit, nothing axe-core finds serious. */
async function checkPhoneForm(page: Page): Promise<void> {
  expect(await fitsWidth(page)).toBe(true);
  expect(
    await smallTargets(
      page,
      'form[data-answer-form] label.answer-option, form[data-answer-form] textarea, form[data-answer-form] button',
    ),
  ).toEqual([]);
  expect(await axeViolations(page, { seriousOnly: true })).toEqual([]);
}

describe('举一反三 in the console', () => {
  it('the supervisor fans the item out to three units picked by hand', async () => {
    const page = await signedInPage(browser, `${stack.base}/items/${origin}`, supervisor.userId, {
      viewport: DESKTOP,
      errors,
    });
    await page.click('[data-start-fan-out]');
    const form = page.locator('form[data-start-fan-out-form]');
    // The requirements come from the item.
    expect(await form.locator('#fan-out-requirements').inputValue()).toBe(REQUIREMENTS);
    // By kind: every 政府部门 but the origin's lead unit, counted as the server will.
    await form.locator('input[name="kinds"][value="bureau"]').check();
    const bureaus = await stack.db.unit.count({ where: { kind: 'bureau', id: { not: 'unit-a' } } });
    expect(await form.locator('[data-unit-count]').getAttribute('data-unit-count')).toBe(String(bureaus));
    await form.locator('label:has-text("逐个选择") input').check();
    for (const name of ['市财政局', '市公安局', '市教育局']) {
      await form.locator('#fan-out-units').fill(name);
      await form.locator('#fan-out-units').press('Enter');
    }
    expect(await form.locator('[data-unit-count]').getAttribute('data-unit-count')).toBe('3');
    // Every 不存在 answer is spot-checked.
    await form.locator('#fan-out-share').fill('100');
    await form.locator('button[type="submit"]').click();
    await page.locator('[data-fan-out]').waitFor();
    fanOutId = (await page.locator('[data-fan-out]').getAttribute('data-fan-out'))!;
    const asked = await waitFor(async () => ((await detail()).coverage.asked === 3 ? detail() : null));
    expect(asked.units.map((u) => u.unitId).sort()).toEqual(['unit-b', 'unit-c', 'unit-x']);
    await shot(page, 'fan-out', 'started');
    await page.close();
  }, 120_000);

  it('a unit answers 不存在 with a reason and a file on a phone', async () => {
    const page = await answerPage(leadB.userId);
    await checkPhoneForm(page);
    // Sent without a choice: the form says what is missing, at the field.
    await page.click('[data-submit-answer]');
    expect(await page.textContent('#answer-error')).toContain('排查结果');
    await page.click('label.answer-option:has(input[value="absent"])');
    await page.fill('#fan-out-reason', '经全面排查，本单位管辖范围内无燃气管道老化问题。');
    await page.setInputFiles('#fan-out-files', {
      name: '排查台账.pdf',
      mimeType: 'application/pdf',
      buffer: pdf('fan-out-e2e'),
    });
    await shot(page, 'fan-out', 'answer-absent');
    await page.click('[data-submit-answer]');
    await page.waitForSelector('[data-answered="absent"]');
    expect(await page.textContent('[data-answered]')).toContain('排查台账.pdf');
    expect(await fitsWidth(page)).toBe(true);
    const row = (await detail()).units.find((u) => u.unitId === 'unit-b')!;
    expect(row.answer).toBe('absent');
    await page.close();
  });

  it('a unit answers 存在 on a phone: a second tap confirms, an item is opened for it', async () => {
    const page = await answerPage(coC.userId);
    await page.click('label.answer-option:has(input[value="present"])');
    await page.fill('#fan-out-reason', '城东片区两处小区燃气管道锈蚀。');
    await page.click('[data-submit-answer]');
    // Nothing sent yet: the unit is told an item will be opened.
    await page.waitForSelector('[data-confirm-present]');
    expect((await detail()).units.find((u) => u.unitId === 'unit-c')!.answer).toBeNull();
    await checkPhoneForm(page);
    await shot(page, 'fan-out', 'answer-present');
    await page.click('[data-submit-answer]');
    await page.waitForSelector('[data-answered="present"]');
    const link = page.locator('[data-answered] a');
    const href = (await link.getAttribute('href'))!;
    const opened = decodeURIComponent(href.replace('/items/', ''));
    const item = await api<{ item: { leadUnitId: string } }>(supervisor, 'GET', `/api/items/${opened}`);
    expect(item.item.leadUnitId).toBe('unit-c');
    expect(await fitsWidth(page)).toBe(true);
    await page.close();
  });

  it('the board shows the coverage; a spot-check 推翻 opens an item, linked from the board', async () => {
    await api(
      outsider,
      'POST',
      `/api/fan-outs/${fanOutId}/answers`,
      { answer: 'absent', reason: '本单位无燃气管道。' },
      { 'idempotency-key': 'fan-out-e2e-x' },
    );
    // Every unit has answered: the sample (all of the 不存在, at a share of 100%) is drawn.
    await waitFor(async () => (await detail()).status === 'sampled');
    const page = await signedInPage(browser, `${stack.base}/items/${origin}`, supervisor.userId, {
      viewport: DESKTOP,
      errors,
    });
    await page.locator('[data-fan-out] tr[data-unit]').first().waitFor();
    expect(await boardCoverage(page)).toMatchObject({
      asked: 3,
      answered: 3,
      absent: 2,
      present: 1,
      silent: 0,
      sampled: 2,
      checked: 0,
      overturned: 0,
      itemsOpened: 1,
    });
    // The 存在 row links to the item opened for its unit.
    expect(await page.locator('tr[data-unit="unit-c"] a').count()).toBe(1);

    await page.selectOption('[data-unit-state]', 'sampled');
    await settled(page);
    expect(
      await page.$$eval('[data-fan-out] tr[data-unit]', (trs) => trs.map((t) => t.getAttribute('data-unit'))),
    ).toEqual(['unit-b', 'unit-x']);
    const check = page.locator('[data-spot-check-form="unit-b"]');
    // A decision needs its note.
    await check.locator('[data-overturn]').click();
    expect(await check.locator('[role="alert"]').textContent()).toContain('抽查意见');
    await check.locator('textarea').fill('现场抽查发现两处管道老化未如实上报。');
    await check.locator('[data-overturn]').click();
    await page.locator('tr[data-unit="unit-b"] [data-spot-check="overturned"]').waitFor();
    const link = page.locator('tr[data-unit="unit-b"] a');
    await link.waitFor();
    await shot(page, 'fan-out', 'board');

    const after = await detail();
    expect(after.coverage).toMatchObject({ checked: 1, overturned: 1, itemsOpened: 2 });
    const opened = after.units.find((u) => u.unitId === 'unit-b')!.itemId!;
    expect(await link.getAttribute('href')).toBe(`/items/${encodeURIComponent(opened)}`);
    const item = await api<{ item: { leadUnitId: string } }>(supervisor, 'GET', `/api/items/${opened}`);
    expect(item.item.leadUnitId).toBe('unit-b');
    expect(await boardCoverage(page)).toMatchObject({ checked: 1, overturned: 1, itemsOpened: 2 });
    await page.close();
  }, 120_000);

  it('oversight on a fan-out lands on the board; an opened item links back; a second fan-out counts out the units asked', async () => {
    // The supervisor following a link to the fan-out (a notice's, say) is sent to the origin's board.
    const page = await signedInPage(browser, `${stack.base}/fan-outs/${fanOutId}`, supervisor.userId, {
      viewport: DESKTOP,
      errors,
    });
    await page.waitForURL(`${stack.base}/items/${origin}`);
    await page.locator('[data-fan-out-board]').waitFor();
    // The item opened for unit-c's 存在 says where it came from, a link to the origin.
    const opened = (await detail()).units.find((u) => u.unitId === 'unit-c')!.itemId!;
    await page.goto(`${stack.base}/items/${encodeURIComponent(opened)}`);
    const from = page.locator('[data-fan-out-origin] a');
    await from.waitFor();
    expect(await from.textContent()).toMatch(/^源自举一反三：督〔\d{4}〕\d+号$/);
    await from.click();
    await page.waitForURL(`${stack.base}/items/${origin}`);
    // By kind again: the three units asked already are counted out, and the form says so.
    await page.click('[data-start-fan-out]');
    const form = page.locator('form[data-start-fan-out-form]');
    await form.locator('input[name="kinds"][value="bureau"]').check();
    const bureaus = await stack.db.unit.count({ where: { kind: 'bureau', id: { not: 'unit-a' } } });
    expect(await form.locator('[data-unit-count]').getAttribute('data-unit-count')).toBe(String(bureaus - 3));
    expect(await form.locator('[data-skipped]').getAttribute('data-skipped')).toBe('3');
    await page.close();
  });
});
