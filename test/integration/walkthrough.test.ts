import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BuildNode } from '../../src/explorer/buildNode';
import type { TreeNode } from '../../src/explorer/treeNode';
import { until, withAnswers } from './prompts';
import { EXTENSION_ID, useSession } from './session';
import { folderWith } from './tree';
const TOKEN = 'walkthrough-token-0b3d';
const PROJECT = 'sandbox-project';

describe('The getting-started walkthrough', function () {
  this.timeout(60_000);
  // Not signed in: signing in is the walkthrough's first step.
  const session = useSession(TOKEN, { signIn: false, tempPrefix: 'ubiops-walkthrough-' });

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
    await session.api.connections.signIn(session.emulator.url, TOKEN);
    assert.ok(session.api.walkthrough.completed.has('connect'));

    const project = (await session.api.explorer.getChildren()).find((node) => node.getTreeItem().label === PROJECT)!;
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
    assert.ok(session.api.walkthrough.completed.has('create'));

    // The editor-title action on an open requirements.txt uploads the folder that holds it.
    const folder = await folderWith(session.dir, 'my-model', { 'requirements.txt': 'numpy==1.26.4\n' });
    const file = vscode.Uri.joinPath(folder, 'requirements.txt');
    await withAnswers([{ pick: PROJECT }, { pick: 'walkthrough-env' }, { button: 'Upload' }], () =>
      vscode.commands.executeCommand('ubiops.uploadContainingFolder', file),
    );
    assert.ok(session.api.walkthrough.completed.has('upload'));
    const [revision] = await session.client.listRevisions(PROJECT, 'walkthrough-env');
    assert.ok(revision, 'the folder holding the file was uploaded');

    await withAnswers([], () =>
      until('the build to be watched to its end', () => session.api.walkthrough.completed.has('watch'), 20_000),
    );

    // A second build, then the comparison of the two.
    const second = await session.client.rebuildRevision(PROJECT, 'walkthrough-env', revision.id);
    await until(
      'the rebuild',
      async () =>
        (await session.client.getBuild(PROJECT, 'walkthrough-env', revision.id, second.id)).status === 'success',
    );
    const environment = (await session.api.explorer.getChildren(project)).find(
      (node) => (node as { environmentName?: string }).environmentName === 'walkthrough-env',
    )!;
    session.api.explorer.refresh(environment);
    const [revisionNode] = await session.api.explorer.getChildren(environment);
    const builds = (await session.api.explorer.getChildren(revisionNode)) as (TreeNode & BuildNode)[];
    const newest = builds.find((build) => build.build.id === second.id)!;
    await vscode.commands.executeCommand('ubiops.compareWithPreviousBuild', newest);
    assert.ok(session.api.walkthrough.completed.has('compare'));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
