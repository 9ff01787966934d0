import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EnvironmentNode } from '../../src/explorer/environmentNode';
import type { ExtensionApi } from '../../src/extension';
import type { TreeNode } from '../../src/explorer/treeNode';
import { until, withAnswers } from './prompts';
import { EXTENSION_ID, emulatorSession, type Session } from './session';

const TOKEN = 'policy-token-77cc';
const PROJECT = 'demo-project';

function labelOf(node: TreeNode): string {
  const label = node.getTreeItem().label;
  return typeof label === 'string' ? label : (label?.label ?? '');
}

// How every command runs (src/commands/commandRunner.ts): one message, the log, Sign In, silence on cancellation.
describe('One way a command runs', function () {
  this.timeout(60_000);
  let session: Session;
  let api: ExtensionApi;
  const logged: string[] = [];
  /** Run once when the next error reaches the log (before its message is shown). */
  let onLogged: (() => void) | undefined;
  let restoreLog: () => void;

  /** A custom environment of the demo project, as the tree has it. */
  async function environment(name: string): Promise<EnvironmentNode> {
    const project = (await api.explorer.getChildren()).find((node) => labelOf(node) === PROJECT);
    const found = (await api.explorer.getChildren(project)).find(
      (node) => (node as Partial<EnvironmentNode>).environment?.name === name,
    );
    assert.ok(found, `${name} is in the tree`);
    return found as EnvironmentNode;
  }

  before(async () => {
    session = await emulatorSession(TOKEN);
    api = session.api;
    // What the runner writes to the "UbiOps" log at error level, recorded as it goes there.
    const log = api.log as { error: (message: string | Error, ...args: unknown[]) => void };
    const error = log.error;
    log.error = (message, ...args) => {
      logged.push(String(message));
      onLogged?.();
      onLogged = undefined;
      error.call(api.log, message, ...args);
    };
    restoreLog = () => (log.error = error);
  });

  afterEach(() => {
    onLogged = undefined;
    session.emulator.setFaults({});
    logged.length = 0;
  });

  after(async () => {
    restoreLog?.();
    await session?.close();
  });

  it('VS Code has exactly the commands of package.json', async () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { commands: { command: string }[] };
    };
    const contributed = manifest.contributes.commands.map((entry) => entry.command).sort();
    // VS Code adds `<view id>.focus` and the like for the view itself.
    const registered = (await vscode.commands.getCommands(true))
      .filter((id) => id.startsWith('ubiops.') && !id.startsWith('ubiops.environments.'))
      .sort();
    assert.deepEqual(registered, contributed);
  });

  it('a failing command shows one message with Show Log, and the log holds the error with its stack', async () => {
    const target = await environment('data-science');
    session.emulator.setFaults({ errorRate: 1, errorStatuses: [400] });
    const { result, transcript } = await withAnswers([], () =>
      vscode.commands.executeCommand('ubiops.copyFromEnvironment', target),
    );
    assert.equal(result, undefined, 'the command resolves: VS Code shows no message of its own');
    assert.equal(transcript.messages.length, 1, JSON.stringify(transcript.messages));
    const [message] = transcript.messages;
    assert.equal(message.kind, 'error');
    assert.match(message.text, /could not list the environments/);
    assert.deepEqual(message.buttons, ['Show Log'], 'a 400 is not a refused token: no Sign In');
    const entry = logged.find((line) => line.startsWith('ubiops.copyFromEnvironment failed'));
    assert.ok(entry, `the failure is in the log: ${logged.join('\n')}`);
    assert.match(entry, /UbiOpsApiError/);
    assert.match(entry, /\n\s+at /, 'with its stack');
    assert.ok(!entry.includes(TOKEN), 'never the token');
  });

  it('"Show Log" shows the log', async () => {
    const target = await environment('data-science');
    session.emulator.setFaults({ errorRate: 1, errorStatuses: [400] });
    const shown: unknown[] = [];
    const log = api.log as { show: (...args: unknown[]) => void };
    const show = log.show;
    log.show = (...args) => shown.push(args);
    try {
      await withAnswers([{ button: 'Show Log' }], () =>
        vscode.commands.executeCommand('ubiops.copyFromEnvironment', target),
      );
    } finally {
      log.show = show;
    }
    assert.equal(shown.length, 1, 'the log was shown');
  });

  it('a refused token offers Sign In, which asks for a token', async () => {
    const target = await environment('data-science');
    session.emulator.setFaults({ errorRate: 1, errorStatuses: [401] });
    const { transcript } = await withAnswers([{ button: 'Sign In' }, { input: '' }], () =>
      vscode.commands.executeCommand('ubiops.copyFromEnvironment', target),
    );
    assert.equal(transcript.messages.length, 1, JSON.stringify(transcript.messages));
    assert.deepEqual(transcript.messages[0].buttons, ['Sign In', 'Show Log']);
    assert.match(transcript.prompts[0] ?? '', /Sign in to UbiOps/, 'Sign In ran the sign-in command');
  });

  it('a dismissed prompt in the middle of a flow shows nothing', async () => {
    await session.client.createEnvironment(PROJECT, { name: 'policy-cancel', base_environment: 'python3-12' });
    api.explorer.refresh();
    const target = await environment('policy-cancel');
    // The folder dialog is dismissed: the upload flow stops with a cancellation, which the runner keeps quiet.
    const { result, transcript } = await withAnswers([{ open: undefined }], () =>
      vscode.commands.executeCommand('ubiops.uploadFolder', target),
    );
    assert.equal(result, undefined);
    assert.deepEqual(transcript.messages, []);
    assert.deepEqual(logged, [], 'nothing is logged as an error');
  });

  it("a UserError's action runs: Retry after a failed upload uploads again", async () => {
    await session.client.createEnvironment(PROJECT, { name: 'policy-retry', base_environment: 'python3-12' });
    api.explorer.refresh();
    const target = await environment('policy-retry');
    const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'ubiops-policy-'));
    await fs.writeFile(path.join(folder, 'requirements.txt'), 'numpy==1.26.4\n');
    try {
      // The upload is refused once: the server is healthy again by the time Retry is pressed.
      session.emulator.setFaults({ errorRate: 1, errorStatuses: [400] });
      onLogged = () => session.emulator.setFaults({});
      const { transcript } = await withAnswers(
        [{ open: [vscode.Uri.file(folder)] }, { button: 'Upload' }, { button: 'Retry' }],
        () => vscode.commands.executeCommand('ubiops.uploadFolder', target),
      );
      const errors = transcript.messages.filter((message) => message.kind === 'error');
      assert.equal(errors.length, 1, JSON.stringify(transcript.messages));
      assert.match(errors[0].text, /the upload of ubiops-policy-\w+ to policy-retry failed \(UbiOps refused it\)/);
      assert.deepEqual(errors[0].buttons, ['Retry', 'Show Log']);
      const revisions = await session.client.listRevisions(PROJECT, 'policy-retry');
      assert.equal(revisions.length, 1, 'Retry uploaded the folder');
    } finally {
      await fs.rm(folder, { recursive: true, force: true });
    }
  });

  it("a UserError's action runs: Open Settings after a host a token cannot go to", async () => {
    const settings = vscode.workspace.getConfiguration('ubiops');
    await settings.update('apiHost', 'http://ubiops.example.com', vscode.ConfigurationTarget.Global);
    try {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const { transcript } = await withAnswers([{ button: 'Open Settings' }], () =>
        vscode.commands.executeCommand('ubiops.signIn'),
      );
      assert.equal(transcript.messages.length, 1);
      assert.deepEqual(transcript.messages[0].buttons, ['Open Settings'], 'all was said: no Show Log');
      await until('the Settings editor', () => vscode.window.tabGroups.activeTabGroup.activeTab?.label === 'Settings');
    } finally {
      // The host first: whatever else fails here, the tests after this one get their emulator back.
      await settings.update('apiHost', session.emulator.url, vscode.ConfigurationTarget.Global);
      await until('signed in again', async () => (await api.connections.get())?.host === session.emulator.url);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });
});
