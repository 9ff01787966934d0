import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'ubiops-environments.ubiops-environments';

describe('The extension in a real VS Code', () => {
  it('runs in VS Code 1.139', () => {
    assert.match(vscode.version, /^1\.139\.\d+/);
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
    const containers = (extension.packageJSON as { contributes?: { viewsContainers?: Record<string, { icon?: string }[]> } })
      .contributes?.viewsContainers ?? {};
    for (const { icon } of Object.values(containers).flat()) {
      if (!icon) continue;
      const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(extension.extensionUri, icon));
      assert.match(Buffer.from(bytes).toString('utf8'), /<svg[\s>]/, `${icon} is an SVG`);
    }
  });
});
