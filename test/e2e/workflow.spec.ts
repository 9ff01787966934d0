import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { connectBrowser, e2e, openWorkbench, screenshot, showView } from './workbench';

const PROJECT = 'demo-project';
const SIDEBAR = '.part.sidebar';

/** The visible tree row whose label starts with `label` (regex source), in the side bar. */
function row(page: Page, label: string): Locator {
  return page
    .locator(`${SIDEBAR} .monaco-list-row`, { has: page.locator('.label-name', { hasText: new RegExp(`^${label}`) }) })
    .first();
}

/**
 * Expands a tree row until a child whose label starts with `child` (regex source) shows under it. A refresh renders
 * the tree again and can collapse the row under the click, so it clicks again while the row is collapsed; a matching
 * row elsewhere in the tree does not count.
 */
async function expand(page: Page, label: string, child: string): Promise<void> {
  const target = row(page, label);
  await target.waitFor({ state: 'visible', timeout: 20_000 });
  const wanted = new RegExp(`^${child}`);
  await pollUntil(async () => {
    if ((await target.getAttribute('aria-expanded')) !== 'true') {
      await target.click();
    }
    const index = Number(await target.getAttribute('data-index'));
    const level = Number(await target.getAttribute('aria-level'));
    const rows = await page.locator(`${SIDEBAR} .monaco-list-row`).evaluateAll((elements) =>
      elements.map((element) => ({
        index: Number(element.getAttribute('data-index')),
        level: Number(element.getAttribute('aria-level')),
        label: (element.querySelector('.label-name') ?? element).textContent?.trim() ?? '',
      })),
    );
    const below = rows.filter((r) => r.index > index).sort((a, b) => a.index - b.index);
    const end = below.findIndex((r) => r.level <= level);
    const children = (end < 0 ? below : below.slice(0, end)).filter((r) => r.level === level + 1);
    return children.some((r) => wanted.test(r.label)) ? true : undefined;
  }, 20_000);
}

async function api(method: string, pathname: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${e2e.apiHost}${pathname}`, {
    method,
    headers: { authorization: `Token ${e2e.apiToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(response.status < 300, `${method} ${pathname}: ${response.status}`);
  return response.status === 204 ? undefined : response.json();
}

describe('Working with environments in the workbench', function () {
  this.timeout(120_000);
  let browser: Browser;
  let page: Page;

  before(async () => {
    browser = await connectBrowser();
    page = await openWorkbench(browser);
    await showView(page, 'UbiOps');
    await row(page, PROJECT).waitFor({ state: 'visible', timeout: 30_000 });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      await screenshot(page, `failed-${this.currentTest.title}`);
    }
  });

  after(async () => {
    await page?.context().close();
    await browser?.close();
  });

  it('shows builds in several states, and opens a dependency file read-only', async () => {
    // A wider side bar, as a user reading build rows would have.
    const sash = page.locator('.monaco-sash.vertical').first();
    const box = await sash.boundingBox();
    if (box) {
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(620, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
    }
    await expand(page, PROJECT, 'web-scraper');
    for (const environment of ['web-scraper', 'NLP with transformers', 'image-tools', 'experiment']) {
      await expand(page, environment, '\\w+ \\d');
    }
    // Every revision of those environments, to their builds: success, failed, processing, queued, cancelled.
    for (let round = 0; round < 10; round++) {
      const collapsed = page.locator(`${SIDEBAR} .monaco-list-row[aria-level="3"][aria-expanded="false"]`).first();
      if ((await collapsed.count()) === 0) break;
      await collapsed.click();
      await page.waitForTimeout(300);
    }
    for (const status of ['Success', 'Failed', 'Processing', 'Queued', 'Cancelled']) {
      await row(page, status).waitFor({ state: 'visible', timeout: 20_000 });
    }
    await page.mouse.move(1000, 600);
    await screenshot(page, 'tree-with-builds');

    // The files of data-science's active build.
    await page.locator(`${SIDEBAR} .title-actions [aria-label^="Collapse All"]`).first().click();
    await expand(page, PROJECT, 'Data science');
    await expand(page, 'Data science', '\\w+ \\d');
    await page.locator(`${SIDEBAR} .monaco-list-row[aria-level="3"]`).first().click();
    await row(page, 'Success').waitFor({ state: 'visible', timeout: 20_000 });
    await row(page, 'Success').click();
    await row(page, 'requirements\\.txt').waitFor({ state: 'visible', timeout: 20_000 });
    await row(page, 'ubiops\\.yaml').click();
    const tab = page.locator('.tabs-container .tab', { hasText: 'ubiops.yaml' }).first();
    await tab.waitFor({ state: 'visible', timeout: 20_000 });
    await page
      .locator('.editor-instance .view-lines', { hasText: 'apt' })
      .first()
      .waitFor({ state: 'visible', timeout: 20_000 });
    const text = await page.locator('.editor-instance .view-lines').first().innerText();
    assert.match(text, /packages/);
    await screenshot(page, 'dependency-file-open');
  });

  it("opens a failed build's log from its row, at its first error", async () => {
    await showView(page, 'UbiOps');
    await page.locator(`${SIDEBAR} .title-actions [aria-label^="Collapse All"]`).first().click();
    await expand(page, PROJECT, 'web-scraper');
    await expand(page, 'web-scraper', '\\w+ \\d');
    for (let round = 0; round < 4; round++) {
      const collapsed = page.locator(`${SIDEBAR} .monaco-list-row[aria-level="3"][aria-expanded="false"]`).first();
      if ((await collapsed.count()) === 0) break;
      await collapsed.click();
      await page.waitForTimeout(300);
    }
    const failed = row(page, 'Failed');
    await failed.waitFor({ state: 'visible', timeout: 20_000 });
    await failed.hover();
    await failed.locator('.action-label[aria-label^="Show Build Log"]').click();
    const lines = page.locator('.editor-instance .view-lines', { hasText: 'ERROR' }).first();
    await lines.waitFor({ state: 'visible', timeout: 20_000 });
    const tab = page.locator('.tabs-container .tab', { hasText: /^build-[0-9a-f]{8}\.log/ }).first();
    await tab.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await lines.innerText(), /requirements\.txt,\sline\s2/); // the editor renders spaces as U+00A0
    await page.mouse.move(1000, 700);
    await screenshot(page, 'build-log');
  });

  it('uploads a folder from the Explorer context menu, ending in a successful build', async () => {
    const folder = path.join(e2e.workspace, 'model-env');
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, 'requirements.txt'), 'numpy==2.1.3\n');
    await api('POST', `/projects/${PROJECT}/environments`, { name: 'e2e-upload', base_environment: 'python3-12' });
    // Made outside VS Code, after the tree read the project: it shows (in the tree and in the palette) on a Refresh.
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').fill('>UbiOps: Refresh');
    await page
      .locator('.quick-input-widget .monaco-list-row', { hasText: 'UbiOps: Refresh' })
      .first()
      .waitFor({ state: 'visible', timeout: 20_000 });
    await page.keyboard.press('Enter');

    // The Explorer, then the folder's context menu.
    await showView(page, 'Explorer');
    const folderRow = row(page, 'model-env');
    await folderRow.waitFor({ state: 'visible', timeout: 30_000 });
    await folderRow.click({ button: 'right' });
    const menuItem = page.locator('.context-view .action-label', { hasText: 'Upload Folder as New Revision' }).first();
    await menuItem.waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot(page, 'explorer-context-menu');
    await menuItem.click();

    // Project, then environment, in the QuickPicks; then the confirmation that shows what will be uploaded.
    const quickInput = page.locator('.quick-input-widget input');
    for (const answer of [PROJECT, 'e2e-upload']) {
      await page
        .locator('.quick-input-widget .monaco-list-row', { hasText: answer })
        .first()
        .waitFor({ state: 'visible', timeout: 20_000 });
      await quickInput.fill(answer);
      await page.keyboard.press('Enter');
    }
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match(await dialog.innerText(), /Upload model-env to e2e-upload/);
    assert.match(await dialog.innerText(), /requirements\.txt/);
    await dialog.locator('.monaco-button', { hasText: /^Upload$/ }).click();

    // The build is followed until it succeeds; the tree shows it.
    const revisions = await pollUntil(async () => {
      const list = (await api('GET', `/projects/${PROJECT}/environments/e2e-upload/revisions`)) as { id: string }[];
      return list.length ? list : undefined;
    });
    await pollUntil(async () => {
      const builds = (await api(
        'GET',
        `/projects/${PROJECT}/environments/e2e-upload/revisions/${revisions[0].id}/builds`,
      )) as { status: string }[];
      return builds[0]?.status === 'success' ? builds : undefined;
    });
    await showView(page, 'UbiOps');
    // e2e-upload was created behind the extension's back, after the project was expanded: refresh the view.
    await page.locator(`${SIDEBAR} .title-actions [aria-label^="Refresh"]`).first().click();
    await expand(page, PROJECT, 'e2e-upload');
    await expand(page, 'e2e-upload', '\\w+ \\d');
    // The row after the environment's is its new revision (once its children have loaded); its build succeeded.
    const index = Number(await row(page, 'e2e-upload').getAttribute('data-index'));
    const revisionRow = page.locator(`${SIDEBAR} .monaco-list-row[data-index="${index + 1}"][aria-level="3"]`);
    await revisionRow.waitFor({ state: 'visible', timeout: 30_000 });
    if ((await revisionRow.getAttribute('aria-expanded')) !== 'true') {
      await revisionRow.click();
    }
    const buildRow = page.locator(`${SIDEBAR} .monaco-list-row[data-index="${index + 2}"][aria-level="4"]`);
    await buildRow.locator('.label-name', { hasText: /^Success/ }).waitFor({ state: 'visible', timeout: 30_000 });
    await page.mouse.move(900, 500);
    await screenshot(page, 'upload-built');
  });
});

describe('The getting-started walkthrough in the workbench', function () {
  this.timeout(60_000);

  it('opens from the command palette, with the steps the user has done checked', async () => {
    const browser = await connectBrowser();
    const page = await openWorkbench(browser);
    try {
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 20_000 });
      await input.fill('>Welcome: Open Walkthrough');
      await page
        .locator('.quick-input-widget .monaco-list-row', { hasText: 'Open Walkthrough' })
        .first()
        .waitFor({ state: 'visible', timeout: 20_000 });
      await page.keyboard.press('Enter');
      const ours = page
        .locator('.quick-input-widget .monaco-list-row', { hasText: 'Get Started with UbiOps Environments' })
        .first();
      await ours.waitFor({ state: 'visible', timeout: 20_000 });
      await ours.click();
      const steps = page.locator('button.getting-started-step');
      await steps.first().waitFor({ state: 'visible', timeout: 20_000 });
      const titles = await steps.locator('.step-title').allInnerTexts();
      assert.ok(
        titles.some((title) => /Connect to UbiOps/.test(title)),
        `steps: ${titles.join(' | ')}`,
      );
      assert.ok(titles.some((title) => /Upload a folder/.test(title)));
      // The window is connected (UBIOPS_API_TOKEN): the first step ticks itself once the extension has activated.
      await page
        .locator('button.getting-started-step[aria-checked="true"]', { hasText: 'Connect to UbiOps' })
        .first()
        .waitFor({ state: 'attached', timeout: 30_000 });
      await page.mouse.move(1000, 700);
      await screenshot(page, 'walkthrough');
    } finally {
      await page.context().close();
      await browser.close();
    }
  });
});

async function pollUntil<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (performance.now() > deadline) {
      throw new Error('timed out');
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
