import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { connectBrowser, e2e, openWorkbench, screenshot, showView } from './workbench';

describe('Writing ubiops.yaml in the workbench', function () {
  this.timeout(90_000);
  let browser: Browser;
  let page: Page;

  before(async () => {
    const folder = path.join(e2e.workspace, 'broken-env');
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(
      path.join(folder, 'ubiops.yaml'),
      '# Build-time settings of the environment\nenvironment_variables:\n  - pip_extra_index_url=https://example.com/simple\napt:\n  packages:\n    - libgomp1\n',
    );
    browser = await connectBrowser();
    page = await openWorkbench(browser);
  });

  after(async () => {
    await page?.context().close();
    await browser?.close();
  });

  it('underlines a lower-case variable name as it is typed, with the rule in the hover', async () => {
    await showView(page, 'Explorer');
    const folderRow = page.locator('.part.sidebar .monaco-list-row', { hasText: 'broken-env' }).first();
    await folderRow.waitFor({ state: 'visible', timeout: 30_000 });
    await folderRow.click();
    const fileRow = page.locator('.part.sidebar .monaco-list-row[aria-level="2"]', { hasText: 'ubiops.yaml' }).first();
    await fileRow.waitFor({ state: 'visible', timeout: 20_000 });
    await fileRow.click();

    const squiggle = page.locator('.editor-instance .squiggly-error').first();
    await squiggle.waitFor({ state: 'attached', timeout: 30_000 });
    await squiggle.hover({ force: true });
    const hover = page.locator('.monaco-hover', { hasText: 'upper-case letters' }).first();
    await hover.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match(await hover.innerText(), /Invalid environment variable name `pip_extra_index_url`/);
    await screenshot(page, 'ubiops-yaml-diagnostic');
  });
});
