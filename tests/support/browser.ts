import type { AxeResults } from 'axe-core';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { CONSOLE_DIST } from '../../api/console';
import { ROOT } from '../../lib/root';
import { signToken } from '../../lib/tokens';
import { TEST_SECRET } from './config';

/** Debian's chromium (scripts/setup.sh installs it for the tests); playwright cannot fetch its own here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(ROOT, 'test-artifacts', 'console');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no chromium at ${CHROMIUM}: run ./scripts/test.sh (it installs it) or set CHROMIUM_PATH`);
  if (!existsSync(path.join(CONSOLE_DIST, 'index.html')))
    throw new Error('the console is not built: run ./scripts/setup.sh or npm run build:console');
  await mkdir(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/** Fails the test on any script error in the page: a console that throws is broken even if the test clicks through. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1440, height: 900 };
export type Viewport = typeof PHONE;

export interface PageOptions {
  viewport: Viewport;
  /** The page's script errors (watchErrors) are added here when it closes. */
  errors: string[];
  /** axe-core is injected as an inline script, which the console's CSP (script-src 'self') would refuse: bypassed. */
  axe?: boolean;
}

/** A new page as a user in China has it (zh-CN, Asia/Shanghai), in its own context, closed with the page. */
export async function newPage(browser: Browser, { viewport, errors, axe = false }: PageOptions): Promise<Page> {
  const context = await browser.newContext({
    viewport,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    ...(axe ? { bypassCSP: true } : {}),
  });
  const page = await context.newPage();
  const seen = watchErrors(page);
  page.on('close', () => {
    errors.push(...seen);
    context.close().catch(() => {});
  });
  return page;
}

/** Signs in on the console's form shown at `url` (signed in, the page asked for stays), and waits for `ready`. */
export async function signIn(page: Page, url: string, userId: string, ready = 'header.top'): Promise<void> {
  await page.goto(url);
  await page.fill('#token', signToken({ userId }, TEST_SECRET));
  await page.click('form.card button[type="submit"]');
  await page.waitForSelector(ready);
}

/** A new page (newPage) on `url`, signed in as `userId` (signIn). */
export async function signedInPage(
  browser: Browser,
  url: string,
  userId: string,
  options: PageOptions & { ready?: string },
): Promise<Page> {
  const page = await newPage(browser, options);
  await signIn(page, url, userId, options.ready);
  return page;
}

/** Waits until the page has drawn what it loads: no request running, no 正在加载. */
export async function settled(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.waitForFunction("!document.body.textContent.includes('正在加载…')");
}

/** Nothing wider than the screen (a pixel of rounding allowed): no sideways scrolling. */
export const fitsWidth = (page: Page) =>
  page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1') as Promise<boolean>;

/** The page settled, checked (softly) for sideways scrolling, and its screenshot saved as `<prefix>-<width>-<name>`. */
export async function shot(page: Page, prefix: string, name: string): Promise<void> {
  await settled(page);
  const width = page.viewportSize()!.width;
  const scrollWidth = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  expect.soft(scrollWidth, `${name}: page wider than the screen`).toBeLessThanOrEqual(width);
  await screenshot(page, `${prefix}-${width}-${name}`);
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core run on the page as it is now, on the part `within` selects (the whole page unless told); the page needs `axe`. */
export async function runAxe(page: Page, within?: string): Promise<AxeResults> {
  await page.addScriptTag({ path: AXE });
  return (await page.evaluate(within ? `axe.run(${JSON.stringify(within)})` : 'axe.run()')) as AxeResults;
}

/** axe-core's violations (the serious and critical ones only with `seriousOnly`), each as its rule and where. */
export async function axeViolations(
  page: Page,
  { within, seriousOnly = false }: { within?: string; seriousOnly?: boolean } = {},
) {
  const { violations } = await runAxe(page, within);
  return violations
    .filter((v) => !seriousOnly || v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.nodes.map((n) => n.target.join(' ')).join(' | ')})`);
}

/**
 * The elements `selector` finds that are smaller than 44 × 44 px, the least a finger can hit,
 * each as its start and size; those not laid out (0 × 0) are left out.
 */
export async function smallTargets(page: Page, selector: string): Promise<string[]> {
  // Run in the page as text: the tests are compiled without the DOM's types.
  return (await page.evaluate(`[...document.querySelectorAll(${JSON.stringify(selector)})]
    .map((el) => [el.outerHTML.slice(0, 60), el.getBoundingClientRect()])
    .filter(([, r]) => (r.width > 0 || r.height > 0) && (r.height < 44 || r.width < 44))
    .map(([h, r]) => h + ' ' + Math.round(r.width) + '×' + Math.round(r.height))`)) as string[];
}
