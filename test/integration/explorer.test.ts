import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { UbiOpsClient } from '../../src/api';
import type { Emulator } from '../../src/emulator';
import type { ExtensionApi } from '../../src/extension';
import type { EnvironmentBuild, EnvironmentList } from '../../src/api';
import { BuildNode } from '../../src/explorer/buildNode';
import type { DependencyFileNode } from '../../src/explorer/dependencyFileNode';
import { EnvironmentNode } from '../../src/explorer/environmentNode';
import type { ProjectNode } from '../../src/explorer/projectNode';
import type { RevisionNode } from '../../src/explorer/revisionNode';
import type { TreeNode } from '../../src/explorer/treeNode';
import { useTempDir } from '../helpers/tempDir';
import { zipOf } from '../helpers/zip';
import { until, withAnswers } from './prompts';
import { emulatorSession, type Session } from './session';
import { labelOf } from './tree';

const TOKEN = 'explorer-token-31c9';
const PROJECT = 'demo-project';

function environmentName(node: TreeNode): string | undefined {
  return (node as Partial<EnvironmentNode>).environment?.name;
}

function kind(node: TreeNode): string | undefined {
  return (node as { kind?: string }).kind;
}

describe('The Environments explorer', function () {
  this.timeout(60_000);
  let session: Session;
  let api: ExtensionApi;
  let emulator: Emulator;
  let requests: string[];
  let client: UbiOpsClient;
  const temp = useTempDir('ubiops-explorer-');

  const children = (node?: TreeNode) => api.explorer.getChildren(node);
  const child = async (node: TreeNode | undefined, label: string) => {
    const found = (await children(node)).find(
      (candidate) => labelOf(candidate) === label || environmentName(candidate) === label,
    );
    assert.ok(found, `${label} is a child of ${node ? labelOf(node) : 'the root'}`);
    return found;
  };

  /** A new environment with one uploaded revision holding this requirements.txt; its build has started. */
  async function environmentWithRequirements(name: string, requirements: string) {
    await client.createEnvironment(PROJECT, { name, base_environment: 'python3-12' });
    const file = await temp.file(`${name}.zip`, await zipOf({ 'requirements.txt': requirements }));
    return client.uploadRevision(PROJECT, name, file);
  }

  before(async () => {
    requests = [];
    session = await emulatorSession(TOKEN, { log: (line) => requests.push(line) });
    ({ api, emulator, client } = session);
  });

  after(() => session?.close());

  it('shows projects, then the custom environments with their marks', async () => {
    const project = await child(undefined, PROJECT);
    assert.equal(project.getTreeItem().contextValue, 'ubiops.project');
    const environments = await children(project);
    const byName = new Map(environments.map((node) => [environmentName(node), node.getTreeItem()]));
    assert.equal(byName.get('data-science')?.contextValue, 'ubiops.environment.custom');
    assert.match(String(byName.get('data-science')?.description), /on python3-12 · team:data/);
    assert.equal(byName.get('fraud-detector-v1')?.contextValue, 'ubiops.environment.implicit');
    assert.match(String(byName.get('legacy-reports')?.contextValue), /deprecated|custom/);
    assert.ok(![...byName.keys()].includes('python3-12'), 'base environments are filtered out by default');
  });

  it('filters by kind and by labels with the API', async () => {
    await api.explorer.setFilter({ type: 'base', labels: {} });
    const project = await child(undefined, PROJECT);
    const base = await children(project);
    assert.ok(base.length > 0);
    assert.ok(base.every((node) => node.getTreeItem().contextValue?.startsWith('ubiops.environment.base')));

    await api.explorer.setFilter({ type: 'custom', labels: { hardware: 'gpu' } });
    const gpu = await children(await child(undefined, PROJECT));
    assert.deepEqual(gpu.map(environmentName), ['gpu-training']);
    assert.ok(
      requests.some((line) => /labels=hardware(%3A|:)gpu/.test(line)),
      'the label filter is the API query',
    );
    await api.explorer.setFilter({ type: 'custom', labels: {} });
  });

  it('marks the active and the expired revisions', async () => {
    const project = await child(undefined, PROJECT);
    const revisions = await children(await child(project, 'data-science'));
    const active = revisions.filter((node) => /\.active/.test(node.getTreeItem().contextValue ?? ''));
    assert.equal(active.length, 1);
    assert.match(String(active[0].getTreeItem().description), /active/);

    const legacy = await children(await child(project, 'legacy-reports'));
    const expired = legacy.filter((node) => node.getTreeItem().contextValue?.endsWith('.expired'));
    assert.equal(expired.length, 1);
    assert.match(String(expired[0].getTreeItem().description), /file expired/);
  });

  it('shows every build status with its icon and context value', async () => {
    const project = await child(undefined, PROJECT);
    const seen = new Map<string, vscode.TreeItem>();
    for (const name of ['data-science', 'web-scraper', 'nlp-transformers', 'image-tools', 'experiment']) {
      for (const revision of await children(await child(project, name))) {
        for (const build of await children(revision)) {
          if (kind(build) === 'build') {
            seen.set((build as BuildNode).build.status, build.getTreeItem());
          }
        }
      }
    }
    const icon = (status: string) => (seen.get(status)?.iconPath as vscode.ThemeIcon | undefined)?.id;
    assert.equal(icon('success'), 'pass');
    assert.equal(icon('failed'), 'error');
    assert.equal(icon('cancelled'), 'circle-slash');
    assert.equal(icon('queued'), 'loading~spin');
    assert.equal(icon('processing'), 'sync~spin');
    for (const status of ['success', 'failed', 'cancelled', 'queued', 'processing']) {
      assert.equal(seen.get(status)?.contextValue, `ubiops.build.${status}`);
    }
    assert.match(String(seen.get('failed')?.description), /requirements\.txt/);
  });

  it('browses the Docker-image environment, whose nullable fields are null, without a throw', async () => {
    const project = await child(undefined, PROJECT);
    const image = await child(project, 'custom-image');
    assert.equal((image as EnvironmentNode).environment.display_name, null);
    assert.equal((image as EnvironmentNode).environment.base_environment, null);
    assert.ok(image.getTreeItem().tooltip, 'a tooltip');
    const [revision] = await children(image);
    revision.getTreeItem();
    const [build] = (await children(revision)).filter((node) => kind(node) === 'build') as BuildNode[];
    build.getTreeItem();
    const files = (await children(build)) as DependencyFileNode[];
    const yamlNode = files.find((file) => file.fileName === 'ubiops.yaml');
    assert.ok(yamlNode, 'the file without content is listed');
    yamlNode.getTreeItem();
    const document = await vscode.workspace.openTextDocument(yamlNode.uri);
    assert.equal(document.getText(), '', 'a null content opens as an empty document');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('sends one request per expansion, shared by concurrent loads', async () => {
    const project = await child(undefined, PROJECT);
    const environment = await child(project, 'web-scraper');
    // Only this environment's requests count: a project list still on its way from an earlier test's refresh
    // (seen once on a loaded machine) is not this expansion's.
    const mine = (): string[] =>
      requests.filter((line) => line.includes(`/projects/${PROJECT}/environments/web-scraper`));
    requests.length = 0;
    api.explorer.refresh(environment);
    const [first, second] = await Promise.all([children(environment), children(environment)]);
    assert.equal(first, second, 'concurrent loads share one result');
    // The revision list, and the environment (which revision is active): the list cannot say it.
    assert.equal(mine().length, 2, requests.join('\n'));
    requests.length = 0;
    await children(first[0]);
    assert.equal(mine().length, 1, requests.join('\n'));
  });

  it('opens dependency files read-only with their content, and diffs two builds', async () => {
    const project = await child(undefined, PROJECT);
    const [revision] = await children(await child(project, 'data-science'));
    const [build] = (await children(revision)).filter((node) => kind(node) === 'build') as BuildNode[];
    const files = (await children(build)) as DependencyFileNode[];
    const expected = await client.listBuildDependencyFiles(
      PROJECT,
      'data-science',
      build.ref.revision,
      build.ref.build,
    );
    assert.deepEqual(files.map((file) => file.fileName).sort(), expected.map((file) => file.name).sort());

    const yamlNode = files.find((file) => file.fileName === 'ubiops.yaml')!;
    const document = await vscode.workspace.openTextDocument(yamlNode.uri);
    assert.equal(document.getText(), expected.find((file) => file.name === 'ubiops.yaml')!.content);
    assert.equal(document.languageId, 'yaml');
    assert.match(document.uri.path, /\/demo-project\/data-science\/build-[0-9a-f]{8}\/ubiops\.yaml$/);
    assert.equal(
      vscode.workspace.fs.isWritableFileSystem(document.uri.scheme),
      false,
      'VS Code treats the files as read-only',
    );
    await assert.rejects(
      Promise.resolve(vscode.workspace.fs.writeFile(document.uri, Buffer.from('x'))),
      'a write is refused',
    );

    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('ubiops.compareWithPreviousBuild', build);
    const tabs = await until('a diff tab', () => {
      const open = vscode.window.tabGroups.all.flatMap((group) => group.tabs);
      return open.length ? open : undefined;
    });
    assert.ok(
      tabs.some((tab) => /↔/.test(tab.label)),
      `a diff of the builds is open (${tabs.map((tab) => tab.label).join(', ')})`,
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  for (const outcome of ['success', 'failed'] as const) {
    it(`follows a build from queued to ${outcome}, in place, and tells the user`, async () => {
      const name = `followed-${outcome}`;
      const created = await environmentWithRequirements(name, outcome === 'success' ? 'numpy==1.26.4\n' : 'numpy==\n');

      const { transcript } = await withAnswers([], async (seen) => {
        const project = await child(undefined, PROJECT);
        api.explorer.refresh(project);
        const [revision] = await children(await child(project, name));
        const [build] = (await children(revision)) as BuildNode[];
        assert.ok(['queued', 'building', 'processing'].includes(build.build.status));
        assert.ok(api.tracker.isFollowing(created.build), 'a running build on screen is followed');
        await until(
          `the build to finish as ${outcome}`,
          () => api.explorer.buildNode(created.build)?.build.status === outcome,
        );
        assert.equal(build.getTreeItem().contextValue, `ubiops.build.${outcome}`, 'the row changed in place');
        await until('the notification', () => seen.messages.find((message) => message.text.includes(name)));
      });
      const message = transcript.messages.find((item) => item.text.includes(name))!.text;
      assert.match(message, outcome === 'success' ? /succeeded/ : /failed: .*requirements\.txt/);
      assert.equal(api.tracker.isFollowing(created.build), false);
    });
  }

  it("tells a failed build's hostile first line as text: no link in the notification, none out of the tooltip's code", async () => {
    const name = 'followed-hostile';
    const created = await environmentWithRequirements(
      name,
      '--[Details](command:workbench.action.quit)\n    ```\n[y](command:workbench.action.quit)\n',
    );
    const { transcript } = await withAnswers([], async (seen) => {
      const project = await child(undefined, PROJECT);
      api.explorer.refresh(project);
      const [revision] = await children(await child(project, name));
      await children(revision);
      await until('the notification', () => seen.messages.find((message) => message.text.includes(name)), 20_000);
    });
    const text = transcript.messages.find((item) => item.text.includes(name))!.text;
    assert.match(text, /failed: .*\[Details\]/, `the server's words are there: ${text}`);
    // VS Code's own reading of links in notifications (src/vs/base/common/linkedText.ts) finds none.
    assert.equal(text.match(/\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)/gi), null, text);

    const build = api.explorer.buildNode(created.build)!;
    const tooltip = build.getTreeItem().tooltip as vscode.MarkdownString;
    assert.equal(tooltip.isTrusted, false);
    const [, fence] = /\n(`{3,})text\n/.exec(tooltip.value) ?? [];
    assert.ok(fence && fence.length > 3, `the error's code block has a fence longer than the text's (${fence})`);
    assert.ok(tooltip.value.trimEnd().endsWith(fence), 'the code block closes at the end');
  });

  it('shows image-based environments, null fields and the building and cancelling statuses without a throw or "null"', async () => {
    const project = (await child(undefined, PROJECT)) as ProjectNode;
    const data = ((await children(project)).find((node) => environmentName(node) === 'data-science') as EnvironmentNode)
      .environment;
    const image: EnvironmentList = {
      ...data,
      name: 'on-an-image',
      display_name: null,
      description: null,
      labels: null,
      base_environment: null,
      base_environment_display_name: null,
      system: false,
    };
    const item = new EnvironmentNode(project.context, project, image).getTreeItem();
    assert.equal(item.label, 'on-an-image');
    assert.match(String(item.description), /custom Docker image/);
    assert.doesNotMatch(String(item.description), /base environment|null|undefined/);
    assert.equal(item.contextValue, 'ubiops.environment.custom', 'it takes uploads like any custom environment');
    const tooltip = (item.tooltip as vscode.MarkdownString).value;
    assert.match(tooltip, /custom Docker image/);
    assert.doesNotMatch(tooltip.split('\n\n')[0], /null|undefined/);

    const system = new EnvironmentNode(project.context, project, {
      ...image,
      name: 'platform-base',
      project: 'demo-project',
      system: true,
    });
    assert.equal(system.isBase, true, '`system` marks a base environment');
    assert.match(String(system.getTreeItem().contextValue), /^ubiops\.environment\.base/);

    const environment = (await child(project, 'data-science')) as EnvironmentNode;
    const [revision] = (await children(environment)) as RevisionNode[];
    const [real] = (await children(revision)).filter((node) => kind(node) === 'build') as BuildNode[];
    const row = (fields: Partial<EnvironmentBuild>) =>
      new BuildNode(revision.context, revision, { ...real.build, ...fields }).getTreeItem();
    const building = row({ status: 'building', error_message: null, size: null });
    assert.equal(building.label, 'Building');
    assert.equal(building.contextValue, 'ubiops.build.building');
    assert.equal((building.iconPath as vscode.ThemeIcon).id, 'sync~spin');
    assert.doesNotMatch(String(building.description), /null|undefined/);
    const cancelling = row({ status: 'cancelled_pending', error_message: null });
    assert.equal(cancelling.label, 'Cancelling');
    assert.equal(cancelling.contextValue, 'ubiops.build.cancelled_pending');
    assert.match((cancelling.iconPath as vscode.ThemeIcon).id, /~spin$/, 'still changing');
    const failed = row({ status: 'failed', error_message: null, size: undefined });
    assert.doesNotMatch(String(failed.description), /null|undefined/);
    assert.equal(row({ status: 'warming_up' }).contextValue, 'ubiops.build.processing', 'an unknown status is running');
  });

  it('shows an error row offering to sign in again on a 401', async () => {
    emulator.setTokens(['another-token']);
    try {
      api.explorer.refresh();
      const [row] = await children();
      const item = row.getTreeItem();
      assert.match(labelOf(row), /sign in again/);
      assert.equal(item.command?.command, 'ubiops.signIn');
    } finally {
      emulator.setTokens([TOKEN]);
    }
  });

  it('shows an error row with a retry when connections drop, and recovers', async () => {
    emulator.setFaults({ dropRate: 1 });
    try {
      api.explorer.refresh();
      const [row] = await children();
      assert.match(labelOf(row), /Could not load: cannot reach 127\.0\.0\.1/);
      assert.equal(row.getTreeItem().command?.command, 'ubiops.refresh');
    } finally {
      emulator.setFaults({});
    }
    await vscode.commands.executeCommand('ubiops.refresh');
    assert.ok((await children()).some((node) => labelOf(node) === PROJECT));
  });
});
