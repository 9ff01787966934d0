import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import { start, type Emulator } from '../../src/emulator';
import { withWindow } from './prompts';
import { extensionApi } from './session';
import { labelOf } from './tree';

const TOKEN = 'integration-token-7d1e';

describe('UbiOps connection and the Environments view', function () {
  this.timeout(30_000);
  let api: ExtensionApi;
  let emulator: Emulator;
  let expectedProjects: string[];

  before(async () => {
    api = await extensionApi();
    emulator = await start({ port: 0, tokens: [TOKEN], buildSeconds: 1 });
    const response = await fetch(`${emulator.url}/projects`, { headers: { authorization: `Token ${TOKEN}` } });
    expectedProjects = ((await response.json()) as { name: string }[]).map((project) => project.name).sort();
    await vscode.workspace
      .getConfiguration('ubiops')
      .update('apiHost', emulator.url, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.commands.executeCommand('ubiops.signOut');
    await vscode.workspace.getConfiguration('ubiops').update('apiHost', undefined, vscode.ConfigurationTarget.Global);
    await emulator?.close();
  });

  it('registers its commands and its view', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const command of [
      'ubiops.signIn',
      'ubiops.signOut',
      'ubiops.tryEmulator',
      'ubiops.refresh',
      'ubiops.showLog',
    ]) {
      assert.ok(commands.includes(command), `${command} is registered`);
    }
    // Focusing a view that is not contributed throws.
    await vscode.commands.executeCommand('ubiops.environments.focus');
  });

  it('refuses a wrong token, says so, and stores nothing', async () => {
    const errors: string[] = [];
    await withWindow(
      {
        showInputBox: async () => 'Token wrong-token',
        showErrorMessage: async (message: string) => {
          errors.push(message);
          return undefined;
        },
      },
      () => vscode.commands.executeCommand('ubiops.signIn'),
    );
    assert.equal(errors.length, 1);
    assert.match(errors[0], /refused the token \(401\)/);
    assert.ok(!errors[0].includes('wrong-token'), 'the token is not echoed');
    assert.equal(await api.connections.get(), undefined);
    assert.deepEqual(await api.explorer.getChildren(), [], 'the view shows its welcome content');
  });

  it('signs in with a pasted token, keeps it, and lists the projects', async () => {
    const infos: string[] = [];
    await withWindow(
      {
        showInputBox: async (options?: vscode.InputBoxOptions) => {
          assert.equal(options?.password, true, 'the token is asked in a password box');
          return `Token ${TOKEN}`;
        },
        showInformationMessage: async (message: string) => {
          infos.push(message);
          return undefined;
        },
      },
      () => vscode.commands.executeCommand('ubiops.signIn'),
    );
    assert.match(infos.join('\n'), /Signed in to UbiOps/);
    const connection = await api.connections.get();
    assert.equal(connection?.source, 'secretStorage');
    assert.equal(connection?.host, emulator.url);

    const rows = await api.explorer.getChildren();
    assert.deepEqual(rows.map(labelOf).sort(), expectedProjects);
  });

  it('shows an error row with a retry when the server cannot be reached, then recovers', async () => {
    emulator.setFaults({ errorRate: 1, errorStatuses: [500] });
    try {
      api.explorer.refresh();
      const [row] = await api.explorer.getChildren();
      const item = row.getTreeItem();
      assert.match(labelOf(row), /Could not load: 500/);
      assert.equal(item.command?.command, 'ubiops.refresh');
    } finally {
      emulator.setFaults({});
    }
    await vscode.commands.executeCommand('ubiops.refresh');
    assert.deepEqual((await api.explorer.getChildren()).map(labelOf).sort(), expectedProjects);
  });

  it('signs out: the token is forgotten and the view offers to sign in again', async () => {
    await withWindow({ showInformationMessage: async () => undefined }, () =>
      vscode.commands.executeCommand('ubiops.signOut'),
    );
    assert.equal(await api.connections.get(), undefined);
    assert.deepEqual(await api.explorer.getChildren(), []);
  });

  it('tries the local emulator with no account and shows its demo projects', async () => {
    await withWindow({ showInformationMessage: async () => undefined }, () =>
      vscode.commands.executeCommand('ubiops.tryEmulator'),
    );
    const connection = await api.connections.get();
    assert.equal(connection?.source, 'emulator');
    assert.match(connection.host, /^http:\/\/127\.0\.0\.1:\d+\/v2\.1$/);
    const rows = (await api.explorer.getChildren()).map(labelOf);
    assert.ok(rows.includes('demo-project'), `demo-project is listed (got ${rows.join(', ')})`);
  });

  it('never takes the host from workspace settings', async () => {
    assert.ok(vscode.workspace.workspaceFolders?.length, 'the suite runs with a folder open');
    const inspected = vscode.workspace.getConfiguration('ubiops').inspect('apiHost');
    assert.ok(inspected, 'the setting is contributed');
    // Application scope: VS Code itself refuses a workspace value for it.
    await assert.rejects(
      Promise.resolve(
        vscode.workspace
          .getConfiguration('ubiops')
          .update('apiHost', 'https://evil.example.com', vscode.ConfigurationTarget.Workspace),
      ),
      (error: Error) => {
        assert.match(error.message, /apiHost/);
        assert.doesNotMatch(error.message, /no workspace is opened/i);
        return true;
      },
    );
  });
});
