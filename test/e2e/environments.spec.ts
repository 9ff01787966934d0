import * as assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { connectBrowser, e2e, openWorkbench, rowsUntil, screenshot } from './workbench';

describe('UbiOps Environments in the workbench', () => {
  let browser: Browser;
  let page: Page;
  let projects: string[];

  before(async () => {
    const response = await fetch(`${e2e.apiHost}/projects`, { headers: { authorization: `Token ${e2e.apiToken}` } });
    assert.equal(response.status, 200, `GET ${e2e.apiHost}/projects`);
    projects = ((await response.json()) as { name: string }[]).map((project) => project.name).sort();
    assert.ok(projects.length > 0, 'the emulator has projects to show');
    browser = await connectBrowser();
    page = await openWorkbench(browser);
  });

  afterEach(async function () {
    if (page) await screenshot(page, this.currentTest?.fullTitle() ?? 'after');
  });

  after(async () => {
    await page?.context().close();
    await browser?.close();
  });

  it('opens on the workspace folder, with its dependency files in the Explorer', async () => {
    const rows = await rowsUntil(page, '.part.sidebar', (texts) => texts.includes('ubiops.yaml'));
    assert.ok(rows.includes('requirements.txt') && rows.includes('ubiops.yaml'), `Explorer rows: ${rows.join(', ')}`);
  });

  it("lists the emulator's projects in the UbiOps container", async () => {
    const item = page.locator('.part.activitybar [aria-label*="UbiOps"]').first();
    await item.waitFor({ state: 'visible', timeout: 20_000 });
    await item.click();
    await page.mouse.move(800, 400); // no hover tooltip in the screenshot
    // The side bar's title names the container and, as it has a single view, that view: "UbiOps: Environments".
    const view = '.part.sidebar';
    await page.locator(`${view} .title-label`, { hasText: 'UbiOps' }).waitFor({ state: 'visible', timeout: 20_000 });
    const rows = await rowsUntil(page, view, (texts) => projects.every((name) => texts.includes(name)));
    assert.deepEqual(
      rows.filter((row) => projects.includes(row)).sort(),
      projects,
      `Environments rows: ${rows.join(', ')}`,
    );
  });
});
