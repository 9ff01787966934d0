/**
 * What the end-to-end specs share: the context test/e2e/run.mjs set up (a Chromium to connect to, code-server
 * serving the packaged extension, the emulator it is connected to), a fresh workbench page, and screenshots.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run the end-to-end suite with "npm run test:e2e" (test/e2e/run.mjs).`);
  return value;
}

/** The environment variables test/e2e/run.mjs sets, by the name the specs read them as. */
const VARIABLES = {
  browserEndpoint: 'UBIOPS_E2E_BROWSER',
  workbenchUrl: 'UBIOPS_E2E_WORKBENCH',
  apiHost: 'UBIOPS_E2E_API_HOST',
  apiToken: 'UBIOPS_E2E_API_TOKEN',
  resultsDir: 'UBIOPS_E2E_RESULTS',
  /** The folder the workbench is open on. */
  workspace: 'UBIOPS_E2E_WORKSPACE',
} as const;

/** The run's context, each value read when asked for (a spec run without run.mjs fails saying so). */
export const e2e = Object.defineProperties(
  {},
  Object.fromEntries(
    Object.entries(VARIABLES).map(([key, name]) => [key, { get: () => required(name), enumerable: true }]),
  ),
) as { readonly [K in keyof typeof VARIABLES]: string };

export async function connectBrowser(): Promise<Browser> {
  return chromium.connect(e2e.browserEndpoint);
}

/** A new page on the workbench, resolved once the activity bar is there. */
export async function openWorkbench(browser: Browser): Promise<Page> {
  // The workbench's clipboard is the browser's: allowed, so that copy commands work as for a user who allowed it.
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = await context.newPage();
  await page.goto(e2e.workbenchUrl);
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
  return page;
}

/** Saves test-results/e2e/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(e2e.resultsDir, { recursive: true });
  const file = path.join(e2e.resultsDir, `${name.replace(/[^\w.-]+/g, '-').replace(/^-|-$/g, '')}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * The labels of the visible rows (`.monaco-list-row`) of the trees and lists in `container`, read until `done`
 * accepts them or the timeout passes. A row's label is its `.label-name`, without the description beside it.
 */
export async function rowsUntil(
  page: Page,
  container: string,
  done: (rows: string[]) => boolean,
  timeoutMs = 20_000,
): Promise<string[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const rows = await page
      .locator(`${container} .monaco-list-row`)
      .evaluateAll((elements) =>
        elements
          .filter((element) => element.checkVisibility())
          .map((element) => (element.querySelector('.label-name') ?? element).textContent?.trim() ?? ''),
      );
    if (done(rows) || performance.now() > deadline) return rows;
    await page.waitForTimeout(250);
  }
}

/**
 * Shows a side-bar container by its activity-bar label. Clicking the item of the container already shown would
 * hide the side bar, so it is clicked only when the side bar shows something else.
 */
export async function showView(page: Page, label: string): Promise<void> {
  const item = page.locator(`.part.activitybar [aria-label*="${label}"]`).first();
  await item.waitFor({ state: 'visible', timeout: 30_000 });
  const title = page.locator('.part.sidebar .title-label').first();
  const shown = (await title.isVisible().catch(() => false)) ? await title.innerText() : '';
  if (!shown.toUpperCase().includes(label.toUpperCase())) {
    await item.click();
  }
  await page
    .locator('.part.sidebar .title-label', { hasText: new RegExp(label, 'i') })
    .first()
    .waitFor({ state: 'visible', timeout: 20_000 });
}
