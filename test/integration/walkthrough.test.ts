import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { UbiOpsClient } from '../../src/api';
import type { Emulator } from '../../src/emulator';
import type { ExtensionApi } from '../../src/extension';
import type { BuildNode } from '../../src/explorer/buildNode';
import type { TreeNode } from '../../src/explorer/treeNode';
import { until, withAnswers } from './prompts';
import { EXTENSION_ID, emulatorSession, type Session } from './session';
const TOKEN = 'walkthrough-token-0b3d';
const PROJECT = 'sandbox-project';

describe('The getting-started walkthrough', function () {
  this.timeout(60_000);
  let session: Session;
  let api: ExtensionApi;
  let emulator: Emulator;
  let client: UbiOpsClient;
  let dir: string;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ubiops-walkthrough-'));
    // Not signed in: signing in is the walkthrough's first step.
    session = await emulatorSession(TOKEN, { signIn: false });
    ({ api, emulator, client } = session);
  });

  after(async () => {
    await session?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('is contributed with its five steps, each completed by a context key the extension sets', () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { walkthroughs: { id: string; steps: { id: string; completionEvents: string[] }[] }[] };
    };
    const [walkthrough] = manifest.contributes.walkthroughs;
    assert.deepEqual(
      walkthrough.steps.map((step) => step.id),
      ['connect', 'create', 'upload', 'watch', 'compare'],
    );
    for (const step of walkthrough.steps) {
      assert.deepEqual(step.completionEvents, [`onContext:ubiops.walkthrough.${step.id}`]);
    }
  });

  it('completes each step as the user does it: connect, create, upload, watch the build, compare', async () => {
    await api.connections.signIn(emulator.url, TOKEN);
    assert.ok(api.walkthrough.completed.has('connect'));

    const project = (await api.explorer.getChildren()).find((node) => node.getTreeItem().label === PROJECT)!;
    await withAnswers(
      [
        { input: 'walkthrough-env' },
        { pick: 'python3-12' },
        { input: '' },
        { input: '' },
        { input: '' },
        { button: undefined },
      ],
      () => vscode.commands.executeCommand('ubiops.createEnvironment', project),
    );
    assert.ok(api.walkthrough.completed.has('create'));

    // The editor-title action on an open requirements.txt uploads the folder that holds it.
    const folder = path.join(dir, 'my-model');
    await fs.mkdir(folder);
    await fs.writeFile(path.join(folder, 'requirements.txt'), 'numpy==1.26.4\n');
    const file = vscode.Uri.file(path.join(folder, 'requirements.txt'));
    await withAnswers([{ pick: PROJECT }, { pick: 'walkthrough-env' }, { button: 'Upload' }], () =>
      vscode.commands.executeCommand('ubiops.uploadContainingFolder', file),
    );
    assert.ok(api.walkthrough.completed.has('upload'));
    const [revision] = await client.listRevisions(PROJECT, 'walkthrough-env');
    assert.ok(revision, 'the folder holding the file was uploaded');

    await withAnswers([], () =>
      until('the build to be watched to its end', () => api.walkthrough.completed.has('watch'), 20_000),
    );

    // A second build, then the comparison of the two.
    const second = await client.rebuildRevision(PROJECT, 'walkthrough-env', revision.id);
    await until(
      'the rebuild',
      async () => (await client.getBuild(PROJECT, 'walkthrough-env', revision.id, second.id)).status === 'success',
    );
    const environment = (await api.explorer.getChildren(project)).find(
      (node) => (node as { environmentName?: string }).environmentName === 'walkthrough-env',
    )!;
    api.explorer.refresh(environment);
    const [revisionNode] = await api.explorer.getChildren(environment);
    const builds = (await api.explorer.getChildren(revisionNode)) as (TreeNode & BuildNode)[];
    const newest = builds.find((build) => build.build.id === second.id)!;
    await vscode.commands.executeCommand('ubiops.compareWithPreviousBuild', newest);
    assert.ok(api.walkthrough.completed.has('compare'));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
