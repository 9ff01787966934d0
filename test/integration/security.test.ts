/**
 * Security, inside a real VS Code: the token is bound to its host, never sent over plain http to another machine,
 * untrusted text renders escaped and untrusted, dependency files open as text, Restricted Mode asks before an
 * upload. The token used here is a recognisable canary: after the whole suite, test/integration/run.mjs greps
 * everything code-server and the extension wrote (user data, logs, global storage, settings) for it, and fails
 * the run if it is found anywhere.
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import JSZip from 'jszip';
import * as vscode from 'vscode';
import { UbiOpsClient } from '../../src/api';
import { confirmUntrustedUpload } from '../../src/commands/uploadScan';
import { dependencyFileUri } from '../../src/documents/dependencyFileDocuments';
import { start, type Emulator } from '../../src/emulator';
import type { ExtensionApi } from '../../src/extension';
import type { EnvironmentNode } from '../../src/explorer/environmentNode';
import { until, withAnswers } from './prompts';

const EXTENSION_ID = 'ubiops-environments.ubiops-environments';
/** Also in run.mjs, which greps for it after the suite. */
export const CANARY_TOKEN = 'canary-7f3e9b2c-never-written-anywhere';
const PROJECT = 'demo-project';
const HOSTILE = '[x](command:workbench.action.quit) <img src=x onerror=alert(1)> **bold** `tick`';

const settings = () => vscode.workspace.getConfiguration('ubiops');

describe('Security: the token, untrusted text and Restricted Mode', function () {
  this.timeout(60_000);
  let api: ExtensionApi;
  let emulator: Emulator;
  let other: Emulator;
  let client: UbiOpsClient;

  before(async () => {
    api = await vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.activate();
    emulator = await start({ port: 0, tokens: [CANARY_TOKEN], buildSeconds: 0 });
    other = await start({ port: 0, tokens: [CANARY_TOKEN], buildSeconds: 0 });
    client = new UbiOpsClient({ host: emulator.url, token: CANARY_TOKEN });
    await client.createEnvironment(PROJECT, {
      name: 'hostile-text',
      base_environment: 'python3-12',
      display_name: 'Hostile **display**',
      description: HOSTILE,
    });
    await settings().update('apiHost', emulator.url, vscode.ConfigurationTarget.Global);
    await withAnswers([{ input: `Token ${CANARY_TOKEN}` }], () => vscode.commands.executeCommand('ubiops.signIn'));
    assert.equal((await api.connections.get())?.host, emulator.url, 'signed in with the canary token');
  });

  after(async () => {
    await withAnswers([], () => vscode.commands.executeCommand('ubiops.signOut')).catch(() => undefined);
    await settings().update('apiHost', undefined, vscode.ConfigurationTarget.Global);
    await client?.close();
    await emulator?.close();
    await other?.close();
  });

  async function environmentNode(name: string): Promise<EnvironmentNode> {
    api.explorer.refresh();
    const [project] = (await api.explorer.getChildren()).filter(
      (node) => (node as { projectName?: string }).projectName === PROJECT,
    );
    const found = (await api.explorer.getChildren(project)).find(
      (node) => (node as Partial<EnvironmentNode>).environment?.name === name,
    );
    assert.ok(found, `${name} is in the tree`);
    return found as EnvironmentNode;
  }

  it('runs a few commands with the token: refresh, expand, copy a name', async () => {
    await vscode.commands.executeCommand('ubiops.refresh');
    const node = await environmentNode('data-science');
    const revisions = await api.explorer.getChildren(node);
    assert.ok(revisions.length > 0);
    await vscode.commands.executeCommand('ubiops.copyName', node);
    await vscode.commands.executeCommand('ubiops.showLog');
  });

  it('renders names, descriptions and labels from the server untrusted and escaped in tooltips', async () => {
    const item = (await environmentNode('hostile-text')).getTreeItem();
    const tooltip = item.tooltip;
    assert.ok(tooltip instanceof vscode.MarkdownString, 'the tooltip is Markdown');
    assert.ok(!tooltip.isTrusted, 'not trusted: no command link can run');
    assert.ok(!tooltip.supportHtml, 'no HTML');
    assert.ok(!tooltip.supportThemeIcons || !tooltip.value.includes('$('), 'no theme icons from server text');
    // The description sits inside a code span, where neither links nor HTML nor emphasis are interpreted.
    const line = tooltip.value.split('\n').find((text) => text.includes('command:workbench.action.quit'));
    assert.ok(line, 'the description is shown');
    assert.match(
      line,
      /^- description: `\[x\]\(command:workbench\.action\.quit\) <img src=x onerror=alert\(1\)> \*\*bold\*\* 'tick'`$/,
    );
    assert.ok(!/(^|[^`])\[x\]\(command:/.test(line.replace(/`[^`]*`/g, '')), 'no link outside a code span');
    assert.equal(
      typeof item.label === 'string' ? item.label : item.label?.label,
      'Hostile **display**',
      'the label is plain text',
    );
  });

  it('offers server names in QuickPicks as text: no icon, no link', async () => {
    const shown = '$(alert) [x](command:workbench.action.quit)';
    await client.createEnvironment(PROJECT, {
      name: 'hostile-pick',
      base_environment: 'python3-12',
      display_name: shown,
    });
    api.explorer.refresh();
    const { transcript } = await withAnswers([{ pick: PROJECT }, { pick: 'hostile-pick' }], () =>
      vscode.commands.executeCommand('ubiops.copyName'),
    );
    const offered = transcript.offered.find((item) => item.includes('hostile-pick'));
    assert.ok(offered, `the environment is offered: ${transcript.offered.join(' / ')}`);
    assert.equal(offered.replace(/\u200b/g, '').includes(shown), true, 'the display name reads as it is');
    // VS Code's readings of `$(icon)` (iconLabels.ts) and of links (linkedText.ts) find nothing in the server's text.
    const serverPart = offered.slice(offered.indexOf(')') + 1);
    assert.equal(/\$\([A-Za-z0-9-]+\)/.test(serverPart), false, offered);
    assert.equal(/\]\((command|https?|file):/.test(serverPart), false, offered);
    assert.equal(await vscode.env.clipboard.readText(), 'hostile-pick');
  });

  it('opens dependency files as read-only text, whatever they contain', async () => {
    const archive = new JSZip();
    archive.file('environment_package/requirements.txt', `# ${HOSTILE}\nnumpy==1.26.4\n`);
    const file = path.join(os.tmpdir(), `hostile-${randomUUID()}.zip`);
    await fs.writeFile(file, await archive.generateAsync({ type: 'nodebuffer' }));
    const created = await client.uploadRevision(PROJECT, 'hostile-text', file);
    await fs.rm(file, { force: true });
    const ref = {
      host: emulator.url,
      project: PROJECT,
      environment: 'hostile-text',
      revision: created.revision,
      build: created.build,
    };
    await until('the build to finish', async () =>
      ['success', 'failed'].includes((await client.getBuild(PROJECT, 'hostile-text', ref.revision, ref.build)).status),
    );
    const uri = dependencyFileUri(ref, 'requirements.txt');
    const document = await vscode.workspace.openTextDocument(uri);
    assert.equal(document.getText(), `# ${HOSTILE}\nnumpy==1.26.4\n`, 'shown exactly as it is, as text');
    assert.ok(
      ['plaintext', 'pip-requirements'].includes(document.languageId),
      `a text language, not Markdown or HTML (${document.languageId})`,
    );
    assert.equal(vscode.workspace.fs.isWritableFileSystem(uri.scheme), false, 'read-only');
  });

  it('binds the token to its host: another host shows signed-out and asks again', async () => {
    await settings().update('apiHost', other.url, vscode.ConfigurationTarget.Global);
    await until(
      'the connection to follow the setting',
      async () => (await api.connections.get()) === undefined || undefined,
    );
    assert.deepEqual(await api.explorer.getChildren(), [], 'the view shows its sign-in content');
    // Signing in asks for a token for the new host, naming it.
    const { transcript } = await withAnswers([{ input: '' }], () => vscode.commands.executeCommand('ubiops.signIn'));
    assert.match(transcript.prompts[0] ?? '', new RegExp(`Sign in to UbiOps \\(127\\.0\\.0\\.1:${other.port}\\)`));
    // Back to the first host: its token is still there.
    await settings().update('apiHost', emulator.url, vscode.ConfigurationTarget.Global);
    const back = await until(
      'the first host to be signed in again',
      async () => (await api.connections.get())?.host === emulator.url || undefined,
    );
    assert.ok(back);
  });

  it('refuses plain http to another machine before asking for a token', async () => {
    await settings().update('apiHost', 'http://ubiops.example.com', vscode.ConfigurationTarget.Global);
    try {
      const { transcript } = await withAnswers([], () => vscode.commands.executeCommand('ubiops.signIn'));
      assert.deepEqual(transcript.prompts, [], 'no token was asked for');
      const error = transcript.messages.find((message) => message.kind === 'error');
      assert.match(
        error?.text ?? '',
        /ubiops\.example\.com is set with http:\/\/\. A token is sent over plain http only to a server on this machine/,
      );
    } finally {
      await settings().update('apiHost', emulator.url, vscode.ConfigurationTarget.Global);
      await until('signed in again', async () => (await api.connections.get())?.host === emulator.url || undefined);
    }
  });

  it('asks before uploading a folder of a workspace in Restricted Mode', async function () {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder, 'the suite runs with a folder open');
    const workspace = vscode.workspace as unknown as Record<string, unknown>;
    const descriptor = Object.getOwnPropertyDescriptor(workspace, 'isTrusted');
    try {
      // The harness runs with workspace trust off (every workspace trusted): stand in for Restricted Mode.
      Object.defineProperty(workspace, 'isTrusted', { configurable: true, get: () => false });
    } catch {
      this.skip();
    }
    try {
      assert.equal(vscode.workspace.isTrusted, false);
      const refused = await withAnswers([{ button: undefined }], () => confirmUntrustedUpload(folder));
      assert.equal(refused.result, false, 'dismissing the question uploads nothing');
      assert.match(refused.transcript.messages[0]?.text ?? '', /Restricted Mode\. Upload its files to UbiOps anyway\?/);
      const accepted = await withAnswers([{ button: 'Upload Anyway' }], () => confirmUntrustedUpload(folder));
      assert.equal(accepted.result, true);
      const outside = await withAnswers([], () => confirmUntrustedUpload(os.tmpdir()));
      assert.equal(outside.result, true, 'a folder outside the workspace is not asked about');
    } finally {
      if (descriptor) Object.defineProperty(workspace, 'isTrusted', descriptor);
      else delete workspace.isTrusted;
    }
    assert.equal(vscode.workspace.isTrusted, true);
  });
});
