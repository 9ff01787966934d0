import assert from 'node:assert/strict';
import type { EnvironmentsProvider as Provider } from '../../../src/explorer/environmentsProvider';
import type { BuildNode } from '../../../src/explorer/buildNode';
import type { TreeNode } from '../../../src/explorer/treeNode';
import type { pickNode as PickNode } from '../../../src/commands/pickNode';
import { EnvironmentsModel } from '../../../src/model/environmentsModel';
import { DEMO_PROJECT as PROJECT, useEmulatorSuite } from '../../helpers/emulator';
import { installVscodeStub, memoryState, QuickPick, window } from '../../helpers/vscodeStub';

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
    delete window.createQuickPick;
  });

  /** Every row the tree shows, once expanded, by id: what VS Code holds. */
  async function browse(node?: TreeNode, rows = new Map<string, TreeNode>()): Promise<Map<string, TreeNode>> {
    for (const child of await provider.getChildren(node)) {
      rows.set(child.id, child);
      if (child.loadChildren) await browse(child, rows);
    }
    return rows;
  }

  const rowText = (item: { label: string; description?: string }) => `${item.label} ${item.description ?? ''}`;

  /** Answers each quick pick with the first item whose label and description match, in turn. */
  function answer(...wanted: RegExp[]): string[] {
    return script(
      ...wanted.map((match) => (pick: Pick) => pick.pressEnter(pick.items.find((i) => match.test(rowText(i)))!)),
    );
  }

  type Pick = QuickPick<{ label: string; description?: string }>;

  /** Each quick pick shown is answered by the next step, which may press a button and take the pick again. */
  function script(...steps: ((pick: Pick) => void | Promise<void>)[]): string[] {
    const offered: string[] = [];
    window.createQuickPick = () =>
      new QuickPick(async (pick: Pick) => {
        offered.push(pick.items.map(rowText).join(' | '));
        await steps.shift()!(pick);
      });
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

  it('Refresh shows what changed elsewhere without leaving the walk, and Back goes up a level', async () => {
    await browse();
    await lab.client.createEnvironment(PROJECT, { name: 'made-elsewhere', base_environment: 'python3-12' });
    const seen: string[][] = [];
    const offered = script(
      (pick) => pick.pressEnter(pick.items.find((i) => i.label.includes(PROJECT))!),
      async (pick) => {
        seen.push(pick.items.map(rowText));
        const [back, refresh] = pick.buttons;
        pick.pressButton(refresh);
        await pick.idle();
        seen.push(pick.items.map(rowText));
        pick.pressButton(back);
      },
      (pick) => pick.pressEnter(pick.items.find((i) => i.label.includes(PROJECT))!),
      (pick) => pick.pressEnter(pick.items.find((i) => i.label.includes('made-elsewhere'))!),
    );
    const before = lab.emulator.stats().requests;
    const picked = await pickNode(provider, 'environment', 'Upload Folder as New Revision');
    assert.equal(offered.length, 4, 'project, environments (refreshed, then Back), project again, environments');
    assert.ok(!seen[0].some((row) => row.includes('made-elsewhere')), 'not known before the Refresh');
    assert.ok(
      seen[1].some((row) => row.includes('made-elsewhere')),
      seen[1].join('\n'),
    );
    assert.ok(lab.emulator.stats().requests - before >= 1, 'Refresh asked the server');
    assert.equal((picked as TreeNode & { environmentName?: string })?.environmentName, 'made-elsewhere');
    const rows = await provider.getChildren((picked as TreeNode).parent);
    assert.ok(rows.includes(picked as TreeNode), 'the tree shows the refreshed level too, with the same node');
  });

  it('a level with nothing to choose stays open with what the tree says, and Back leaves it', async () => {
    await lab.client.createEnvironment(PROJECT, { name: 'nothing-here', base_environment: 'python3-12' });
    provider.refresh();
    const seen: string[][] = [];
    script(
      (pick) => pick.pressEnter(pick.items.find((i) => i.label.includes(PROJECT))!),
      (pick) => pick.pressEnter(pick.items.find((i) => i.label.includes('nothing-here'))!),
      async (pick) => {
        seen.push(pick.items.map(rowText));
        pick.pressEnter(pick.items[0]); // the message row: looks again, and the level stays open
        await pick.idle();
        seen.push(pick.items.map(rowText));
        pick.pressButton(pick.buttons[0]); // Back
      },
      (pick) => {
        seen.push(pick.items.map(rowText));
        pick.hide();
      },
    );
    const before = lab.emulator.stats().requests;
    const picked = await pickNode(provider, 'build', 'Show Build Log');
    assert.equal(picked, undefined);
    assert.match(seen[0].join(), /No revisions yet/);
    assert.match(seen[1].join(), /No revisions yet/, 'still open after looking again');
    assert.ok(lab.emulator.stats().requests - before >= 1, 'looking again asked the server');
    assert.ok(
      seen[2].some((row) => row.includes('nothing-here')),
      'Back shows the environments',
    );
  });
});
