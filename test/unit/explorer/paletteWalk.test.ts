import assert from 'node:assert/strict';
import type { EnvironmentsProvider as Provider } from '../../../src/explorer/environmentsProvider';
import type { BuildNode } from '../../../src/explorer/buildNode';
import type { TreeNode } from '../../../src/explorer/treeNode';
import type { pickNode as PickNode } from '../../../src/commands/pickNode';
import { EnvironmentsModel } from '../../../src/model/environmentsModel';
import { DEMO_PROJECT as PROJECT, useEmulatorSuite } from '../../helpers/emulator';
import { installVscodeStub, memoryState, window } from '../../helpers/vscodeStub';

/**
 * The tree and the palette's walk (`pickNode`) are the real code, over a stub `vscode` (test/helpers/vscodeStub.ts) whose
 * quick picks answer from a script; the client is real, against the emulator, which counts the requests.
 */
describe('The palette walk over what the tree browsed', () => {
  const lab = useEmulatorSuite({
    token: 'palette-token',
    tempPrefix: 'ubiops-palette-',
    emulator: { buildSeconds: 3600 },
  });
  let provider: Provider;
  let pickNode: typeof PickNode;

  before(async () => {
    installVscodeStub();
    // Loaded after the stub: these modules import `vscode`.
    ({ pickNode } = await import('../../../src/commands/pickNode.js'));
    const { EnvironmentsProvider } = await import('../../../src/explorer/environmentsProvider.js');
    const { client } = lab;
    const connection = { host: client.host, client, source: 'emulator', model: new EnvironmentsModel(client) };
    const connections = { get: async () => connection, onDidChange: () => ({ dispose() {} }) };
    provider = new EnvironmentsProvider(connections as never, memoryState);
  });

  after(() => {
    provider?.dispose();
    delete window.showQuickPick;
  });

  /** Every row the tree shows, once expanded, by id: what VS Code holds. */
  async function browse(node?: TreeNode, rows = new Map<string, TreeNode>()): Promise<Map<string, TreeNode>> {
    for (const child of await provider.getChildren(node)) {
      rows.set(child.id, child);
      if (child.loadChildren) await browse(child, rows);
    }
    return rows;
  }

  /** Answers each quick pick with the first item whose label and description match, in turn. */
  function answer(...wanted: RegExp[]): string[] {
    const offered: string[] = [];
    window.showQuickPick = async (items: { label: string; description?: string }[]) => {
      const match = wanted.shift()!;
      offered.push(items.map((item) => `${item.label} ${item.description ?? ''}`).join(' | '));
      return items.find((item) => match.test(`${item.label} ${item.description ?? ''}`));
    };
    return offered;
  }

  it('sends no request after browsing, and hands the command the very node the tree holds', async () => {
    const rows = await browse();
    const processing = [...rows.values()].find(
      (row): row is BuildNode =>
        (row as BuildNode).kind === 'build' && (row as BuildNode).build.status === 'processing',
    );
    assert.ok(processing, 'the demo data has a processing build');
    const revisionLabel = processing.parent.getTreeItem().label as string;
    const offered = answer(
      new RegExp(PROJECT),
      new RegExp(processing.parent.environmentName),
      new RegExp(revisionLabel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
      /Processing/,
    );
    const before = lab.emulator.stats().requests;
    const picked = await pickNode<BuildNode>(provider, 'build', 'Cancel a Build', (node) => node.cancellable);
    assert.equal(lab.emulator.stats().requests - before, 0, 'the walk read the model only');
    assert.equal(offered.length, 4, offered.join('\n'));
    assert.ok(picked, 'a build was picked');
    assert.equal(picked, rows.get(picked.id), 'the node of the tree, not a copy');
  });
});
