import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { BuildNode } from '../../src/explorer/buildNode';
import type { TreeNode } from '../../src/explorer/treeNode';
import { until, withAnswers } from './prompts';
import { emulatorSession, type Session } from './session';

const TOKEN = 'tree-rows-token-7d21';
const PROJECT = 'demo-project';

/**
 * What VS Code's tree view does with a data provider (`src/vs/workbench/api/common/extHostTreeViews.ts`): it keeps
 * the elements `getChildren` gave it, and on `onDidChangeTreeData(element)` it looks the element up BY IDENTITY
 * (`this.nodes.get(element)`): an element it was not given is ignored; one it holds is rendered again with
 * `getTreeItem`, and its children are asked again when it is expanded. `undefined` renders everything again.
 * `rows` is what the screen shows, by id.
 */
class Screen implements vscode.Disposable {
  private readonly held = new Set<TreeNode>();
  private readonly expanded: (TreeNode | undefined)[] = [];
  private readonly subscription: vscode.Disposable;
  readonly rows = new Map<string, string>();

  constructor(private readonly provider: ExtensionApi['explorer']) {
    this.subscription = provider.onDidChangeTreeData((element) => void this.changed(element ?? undefined));
  }

  /** Expands a row (the root without one), as a click does, and shows its children. */
  async expand(node?: TreeNode): Promise<TreeNode[]> {
    if (!this.expanded.includes(node)) this.expanded.push(node);
    const children = await this.provider.getChildren(node);
    for (const child of children) {
      this.held.add(child);
      this.render(child);
    }
    return children;
  }

  /** The row on screen of an element found by its label, under an expanded element. */
  async child(node: TreeNode | undefined, label: string | RegExp): Promise<TreeNode> {
    const found = (await this.expand(node)).find((child) => this.matches(child, label));
    assert.ok(found, `${label} is shown under ${node?.id ?? 'the root'}`);
    return found;
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private matches(node: TreeNode, label: string | RegExp): boolean {
    const text = this.label(node);
    const name = (node as { environment?: { name: string } }).environment?.name;
    return typeof label === 'string' ? text === label || name === label : label.test(text);
  }

  private label(node: TreeNode): string {
    const label = this.provider.getTreeItem(node).label;
    return typeof label === 'string' ? label : (label?.label ?? '');
  }

  private render(node: TreeNode): void {
    this.rows.set(node.id, this.label(node));
  }

  private async changed(element: TreeNode | undefined): Promise<void> {
    if (element === undefined) {
      for (const node of [...this.expanded]) await this.expand(node);
      return;
    }
    if (!this.held.has(element)) {
      return; // VS Code does not know this object: nothing on screen changes.
    }
    this.render(element);
    if (this.expanded.includes(element)) await this.expand(element);
  }
}

describe('The rows on screen follow what the palette did', function () {
  this.timeout(60_000);
  let session: Session;
  let api: ExtensionApi;
  let screen: Screen;

  before(async () => {
    // The seed's running builds run for a minute or more, whatever the build time: there is time to cancel one.
    session = await emulatorSession(TOKEN, { buildSeconds: 2 });
    ({ api } = session);
    api.explorer.refresh();
    screen = new Screen(api.explorer);
  });

  after(async () => {
    screen?.dispose();
    await session?.close();
  });

  it('shows the cancel of a build chosen from the palette in the row the tree shows', async () => {
    const project = await screen.child(undefined, PROJECT);
    const environment = await screen.child(project, 'nlp-transformers');
    const revisions = await screen.expand(environment);
    let row: BuildNode | undefined;
    for (const revision of revisions) {
      const builds = (await screen.expand(revision)) as BuildNode[];
      row = builds.find((build) => build.build?.status === 'processing') ?? row;
    }
    assert.ok(row, 'nlp-transformers has a processing build on screen');
    assert.equal(screen.rows.get(row.id), 'Processing');

    await withAnswers(
      [
        { pick: PROJECT },
        { pick: 'nlp-transformers' },
        { pick: screen.rows.get(row.parent.id)! },
        { pick: /Processing/ },
      ],
      async () => {
        await vscode.commands.executeCommand('ubiops.cancelBuild');
        await until(
          'the row on screen to show the cancel',
          () => /^Cancell(ing|ed)$/.test(screen.rows.get(row.id) ?? '') || undefined,
        );
      },
    );
    await until('the row on screen to show the build cancelled', () => screen.rows.get(row.id) === 'Cancelled');
  });

  it('shows the build of a rebuild chosen from the palette, and its end, in the revision the tree shows', async () => {
    const project = await screen.child(undefined, PROJECT);
    const environment = await screen.child(project, 'data-science');
    const revision = (await screen.expand(environment)).find((node) =>
      /\.active/.test(api.explorer.getTreeItem(node).contextValue ?? ''),
    );
    assert.ok(revision, 'data-science has an active revision on screen');
    const before = new Set((await screen.expand(revision)).map((node) => node.id));

    await withAnswers([{ pick: PROJECT }, { pick: 'data-science' }, { pick: screen.rows.get(revision.id)! }], () =>
      vscode.commands.executeCommand('ubiops.rebuildRevision'),
    );
    const added = await until('the new build row under the revision on screen', () =>
      [...screen.rows.keys()].find((id) => id.startsWith(`${revision.id}/builds/`) && !before.has(id)),
    );
    assert.match(screen.rows.get(added) ?? '', /^(Queued|Building|Processing|Success)$/);
    await until('the new row to show the build finished', () =>
      /^(Success|Failed)$/.test(screen.rows.get(added) ?? ''),
    );
  });
});
