/**
 * The monitoring pages (监测晾晒) at 390×844 and 1440×900 in a real headless Chromium: the cycle
 * list, a live cycle as a unit's handler (the 指标报送 form, empty, with a field refused, with a
 * draft lit) and as the supervision office (报送情况, after a 催报), and a published cycle's
 * 晾晒 board (ranking, indicator lights) for both. On each, axe-core finds no serious or
 * critical violation and nothing is wider than the screen; so too on the 晾晒通报. The findings, page by page, are
 * printed and saved to test-artifacts/console/axe-cycles-report.json.
 */
import type { AxeResults } from 'axe-core';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST } from '../../api/console';
import { shanghaiDate } from '../../domain/calendar';
import { periodFor } from '../../domain/monitoring';
import { signToken } from '../../lib/tokens';
import { planScheduleId } from '../../workflows/client/schedules';
import { leadB, supervisor } from '../support/actors';
import { bearer, startApiStack, TEST_SECRET, type ApiStack } from '../support/api';
import { launchBrowser, screenshot, SCREENSHOTS, watchErrors } from '../support/browser';
import { uniqueTaskQueue } from '../support/stack';
import { waitFor } from '../support/wait';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };
type Size = typeof PHONE;
const sizeName = (s: Size) => `${s.width}×${s.height}`;

/** Two plans: one with a live cycle (collecting), one whose cycle is published. */
const LIVE_PLAN = 'a11y-live';
const BOARD_PLAN = 'a11y-board';
const { period, year } = periodFor(shanghaiDate(Date.now()), 'monthly');
const LIVE = `${LIVE_PLAN}-${period}`;
const BOARD = `${BOARD_PLAN}-${period}`;

let stack: ApiStack;
let browser: Browser;
let base = '';
const errors: string[] = [];

interface Finding {
  page: string;
  size: string;
  scrollWidth: number;
  width: number;
  violations: Record<string, { impact: string; nodes: number; targets: string[] }>;
}
const findings: Finding[] = [];
const serious = (f: Finding) =>
  Object.entries(f.violations)
    .filter(([, v]) => v.impact === 'serious' || v.impact === 'critical')
    .map(([id, v]) => `${id}×${v.nodes} (${v.impact}: ${v.targets.join(' | ')})`);

async function api(method: 'POST', url: string, actor: { userId: string }, payload: object = {}) {
  const r = await stack.app.inject({ method, url, headers: bearer(actor), payload });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return r;
}

async function planWithCycle(id: string, title: string): Promise<void> {
  await api('POST', '/api/plans', supervisor, {
    id,
    year,
    title,
    indicators: [
      { code: 'F1', name: '一般公共预算收入增幅', ownerUnitId: 'unit-b', measure: '%', baseline: 2, target: 8 },
      { code: 'F2', name: '政府性基金收入', ownerUnitId: 'unit-b', measure: '亿元', baseline: 100, target: 130 },
      { code: 'M1', name: '城乡低保按时发放率', ownerUnitId: 'unit-a', measure: '%', baseline: 90, target: 100 },
    ],
  });
  await api('POST', `/api/plans/${id}/cycles`, supervisor);
  await waitFor(async () => {
    const c = await stack.db.cycle.findUnique({ where: { id: `${id}-${period}` } });
    return c?.status === 'collecting' && c.workflowId ? c : null;
  });
}

beforeAll(async () => {
  browser = await launchBrowser();
  // The console as built now, served from a copy: a rebuild while this runs does not take its files away.
  const dist = await mkdtemp(path.join(os.tmpdir(), 'duban-console-'));
  await cp(CONSOLE_DIST, dist, { recursive: true });
  stack = await startApiStack(uniqueTaskQueue('console-cycles-a11y'), { consoleDist: dist });
  await planWithCycle(LIVE_PLAN, '财政运行监测');
  await planWithCycle(BOARD_PLAN, '社会建设指标监测');
  // The board: 市财政局 reported (one green, one red), 市民政局 did not; published early.
  await api('POST', `/api/cycles/${BOARD}/values`, leadB, {
    values: [
      { code: 'F1', value: 7.5, note: '' },
      { code: 'F2', value: 101, note: '' },
    ],
    attachments: [],
  });
  await api('POST', `/api/cycles/${BOARD}/publish`, supervisor);
  await waitFor(async () => {
    const c = await stack.db.cycle.findUnique({ where: { id: BOARD } });
    return c?.status === 'published' ? c : null;
  }, 60_000);
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  if (findings.length > 0) {
    await writeFile(path.join(SCREENSHOTS, 'axe-cycles-report.json'), JSON.stringify(findings, null, 2));
    const lines = findings.map((f) => {
      const rules = Object.entries(f.violations).map(([id, v]) => `${id}(${v.impact})×${v.nodes}`);
      return `${f.size.padEnd(9)} ${f.page.padEnd(36)} width ${String(f.scrollWidth).padStart(4)}/${f.width}  ${rules.join(', ') || '—'}`;
    });
    console.log(`axe-core findings, monitoring pages (${findings.length}):\n${lines.join('\n')}`);
  }
  await browser?.close();
  for (const plan of [LIVE_PLAN, BOARD_PLAN])
    await stack?.t.client.schedule
      .getHandle(planScheduleId(plan))
      .delete()
      .catch(() => {});
  await stack?.close();
});

async function session(userId: string, size: Size, at: string, ready: string): Promise<Page> {
  const context = await browser.newContext({
    viewport: size,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    // axe-core is injected as an inline script, which the console's CSP (script-src 'self') would refuse.
    bypassCSP: true,
  });
  const page = await context.newPage();
  const seen = watchErrors(page);
  page.on('close', () => {
    errors.push(...seen);
    void context.close();
  });
  await page.goto(base + at);
  await page.fill('#token', signToken({ userId }, TEST_SECRET));
  await page.click('form.card button[type="submit"]');
  await page.waitForSelector(ready);
  return page;
}

/** axe-core and the page's width, as the page is now; recorded, each failure reported softly. */
async function audit(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.waitForFunction("!document.body.textContent.includes('正在加载…')");
  const size = page.viewportSize()!;
  const scrollWidth = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  await page.addScriptTag({ path: AXE });
  const result = (await page.evaluate('axe.run()')) as AxeResults;
  const finding: Finding = {
    page: name,
    size: sizeName(size),
    scrollWidth,
    width: size.width,
    violations: Object.fromEntries(
      result.violations.map((v) => [
        v.id,
        {
          impact: v.impact ?? 'unknown',
          nodes: v.nodes.length,
          targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
        },
      ]),
    ),
  };
  findings.push(finding);
  if (!name.includes('·'))
    await screenshot(page, `a11y-${size.width}-${name.replace(/[\s:：（）/]+/g, '-').replace(/-+$/, '')}`);
  expect.soft(scrollWidth, `${name} at ${finding.size}: page wider than the screen`).toBeLessThanOrEqual(size.width);
  expect.soft(serious(finding), `${name} at ${finding.size}: serious or critical axe-core violations`).toEqual([]);
}

describe.each([PHONE, DESKTOP])('the monitoring pages at %o', (size) => {
  it("a unit's handler: the cycle list, 指标报送, the published board", async () => {
    const page = await session(leadB.userId, size, '/cycles', 'main h1');
    await page.waitForSelector(`a[href="/cycles/${LIVE}"]`);
    await audit(page, '经办人: 监测晾晒');

    await page.goto(`${base}/cycles/${LIVE}`);
    await page.waitForSelector('.report-form [data-indicator="F1"]');
    await audit(page, '经办人: 指标报送');
    await page.fill('#value-F1', '七点五');
    await page.click('[data-save-draft]');
    await page.waitForSelector('[data-indicator="F1"] .field-error');
    await audit(page, '经办人: 指标报送 · 数值有误');
    await page.fill('#value-F1', '7.5');
    await page.fill('#value-F2', '118');
    await page.click('[data-save-draft]');
    await page.waitForSelector('.report-form [role="status"]:has-text("草稿已保存")');
    await audit(page, '经办人: 指标报送 · 草稿已保存');
    // The draft is the unit's: cleared again so the other size starts from an empty form.
    await stack.db.reportDraft.deleteMany({ where: { cycleId: LIVE } });

    await page.goto(`${base}/cycles/${BOARD}`);
    await page.waitForSelector('.board-indicators [data-indicator="F1"]');
    await audit(page, '经办人: 晾晒（已晾晒）');
    await page.close();
  }, 120_000);

  it('the supervision office: the cycle list, 报送情况 and 催报, the published board', async () => {
    const page = await session(supervisor.userId, size, '/cycles', 'main h1');
    await page.waitForSelector(`a[href="/cycles/${BOARD}"]`);
    await audit(page, '督查: 监测晾晒');

    await page.goto(`${base}/cycles/${LIVE}`);
    await page.waitForSelector('.reporting [data-unit="unit-a"]:has-text("市民政局")');
    await audit(page, '督查: 报送情况');
    const remind = page.locator('[data-remind="unit-a"]');
    if (!(await remind.isDisabled())) {
      await remind.click();
      await page.click('[data-remind-confirm]');
      await page.waitForSelector('[data-remind="unit-a"]:has-text("今日已催报")');
    }
    await audit(page, '督查: 报送情况 · 已催报');

    await page.goto(`${base}/cycles/${BOARD}`);
    await page.waitForSelector('.board-indicators [data-indicator="F1"]');
    expect(await page.locator('.ranking').count()).toBeGreaterThan(0);
    await audit(page, '督查: 晾晒（已晾晒）');

    await page.goto(`${base}/cycles/${BOARD}/bulletin`);
    await page.waitForSelector('.bulletin[data-loaded] h1');
    await audit(page, '督查: 晾晒通报');
    await page.close();
  }, 120_000);
});

describe('the console', () => {
  it('logged no errors on these pages', () => {
    expect(errors).toEqual([]);
  });
});
