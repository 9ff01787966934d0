import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'ubiops-environments.ubiops-environments';

describe('The extension in a real VS Code', () => {
  it('runs in the VS Code version the runner started, which engines.vscode allows', () => {
    // run.mjs --vscode newest|oldest: code-server 4.139.1 = VS Code 1.139.1, 4.96.4 = VS Code 1.96.4.
    const expected = process.env.UBIOPS_INTEGRATION_VSCODE;
    assert.ok(expected, 'the runner names the VS Code version');
    assert.equal(vscode.version, expected);
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { engines: { vscode: string } };
    const floor = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(manifest.engines.vscode)!.slice(1).map(Number);
    const running = vscode.version.split('.').map(Number);
    assert.ok(
      running[0] === floor[0] && (running[1] > floor[1] || (running[1] === floor[1] && running[2] >= floor[2])),
      `${vscode.version} satisfies ${manifest.engines.vscode}`,
    );
  });

  it('is installed under its id, with the manifest it was built with', () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is installed`);
    const manifest = extension.packageJSON as { name: string; publisher: string; main: string };
    assert.equal(`${manifest.publisher}.${manifest.name}`, EXTENSION_ID);
    assert.equal(manifest.main, './dist/extension.js');
  });

  it('activates without an error', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it('ships the icons its manifest names', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    const containers =
      (extension.packageJSON as { contributes?: { viewsContainers?: Record<string, { icon?: string }[]> } }).contributes
        ?.viewsContainers ?? {};
    for (const { icon } of Object.values(containers).flat()) {
      if (!icon) continue;
      const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(extension.extensionUri, icon));
      assert.match(Buffer.from(bytes).toString('utf8'), /<svg[\s>]/, `${icon} is an SVG`);
    }
  });
});
