// npm run bench:tree — requests and connections of the Environments tree, from the tree's real code.
// EnvironmentsProvider and its node classes run in plain Node (a stub `vscode` module, test/helpers/vscodeStub.ts) with a
// real client against the emulator and its demo data; the emulator counts requests and TCP connections
// (`emulator.stats()`). The reference is the number of nodes expanded in the same run.
//   a user's session: every expandable node expanded one after the other, depth first, as clicks do (a click
//     comes at least one turn of the event loop after the previous answer: THINK_MS between them);
//     goal: one request per expansion, every request on one kept-alive connection;
//   expand all at once: every node of a level expanded together (a restored tree, or a fast user);
//     reports the connections undici opens for concurrent requests;
//   the same tree walked again (the palette's walk after browsing): no request, the model answers;
//   the same node asked twice at once: one request, shared.
import * as os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { UbiOpsClient as Client } from '../src/api';
import type { TreeNode } from '../src/explorer/treeNode';
import { installVscodeStub, memoryState } from '../test/helpers/vscodeStub';

installVscodeStub();

const TOKEN = 'bench-token';
const THINK_MS = 20;

interface Tally {
  expansions: number;
  requests: number;
}

async function main(): Promise<void> {
  const { start } = await import('../src/emulator/index.js');
  const { UbiOpsClient } = await import('../src/api/index.js');
  const { EnvironmentsProvider } = await import('../src/explorer/environmentsProvider.js');
  const { EnvironmentsModel } = await import('../src/model/environmentsModel.js');
  // Builds stay running for the whole run, so the tree shows every state the seed makes without changing under us.
  const emulator = await start({ port: 0, tokens: [TOKEN], buildSeconds: 3600 });
  const clients: Client[] = [];

  /** A provider with its own client, hence its own connection pool: a fresh session. */
  const session = () => {
    const client = new UbiOpsClient({ host: emulator.url, token: TOKEN });
    clients.push(client);
    const connection = { host: client.host, client, source: 'emulator' as const, model: new EnvironmentsModel(client) };
    const connections = { get: async () => connection, onDidChange: () => ({ dispose() {} }) };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return new EnvironmentsProvider(connections as any, memoryState);
  };
  const kindOf = (node: TreeNode | undefined) => (node ? ((node as { kind?: string }).kind ?? 'message') : 'root');

  try {
    // ---- a user's session: one expansion at a time ----
    const provider = session();
    const byKind = new Map<string, Tally>();
    const before = emulator.stats();
    let expansions = 0;
    const expand = async (node: TreeNode | undefined): Promise<void> => {
      await sleep(THINK_MS);
      const at = emulator.stats().requests;
      const children = await provider.getChildren(node);
      const tally = byKind.get(kindOf(node)) ?? { expansions: 0, requests: 0 };
      tally.expansions++;
      tally.requests += emulator.stats().requests - at;
      byKind.set(kindOf(node), tally);
      expansions++;
      for (const child of children) {
        if (child.loadChildren) await expand(child);
      }
    };
    await expand(undefined);
    const after = emulator.stats();
    const requests = after.requests - before.requests;
    const connections = after.connections - before.connections;

    // ---- the same tree walked again (the palette's walk, or the view shown again): the model answers ----
    const walk = async (node: TreeNode | undefined): Promise<void> => {
      for (const child of await provider.getChildren(node)) {
        if (child.loadChildren) await walk(child);
      }
    };
    const beforeAgain = emulator.stats().requests;
    await walk(undefined);
    const againRequests = emulator.stats().requests - beforeAgain;

    // ---- expand all at once, level by level ----
    const concurrent = session();
    const startAll = emulator.stats();
    let level: (TreeNode | undefined)[] = [undefined];
    let concurrentExpansions = 0;
    let widest = 0;
    while (level.length) {
      await sleep(THINK_MS); // the workbench asks for a level once it has shown the one above
      widest = Math.max(widest, level.length);
      concurrentExpansions += level.length;
      const children = await Promise.all(level.map((node) => concurrent.getChildren(node)));
      level = children.flat().filter((child) => !!child.loadChildren);
    }
    const endAll = emulator.stats();

    // ---- two loads of one node at once ----
    const shared = session();
    const [project] = await shared.getChildren();
    const beforeShared = emulator.stats().requests;
    await Promise.all([shared.getChildren(project), shared.getChildren(project)]);
    const sharedRequests = emulator.stats().requests - beforeShared;

    const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
    console.log(
      `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}; the emulator's demo data`,
    );
    for (const [kind, tally] of byKind) {
      const ratio = tally.requests / tally.expansions;
      const why =
        kind === 'environment' && ratio === 2
          ? ' (by design: revisions + the environment detail, the only answer that says which revision is active)'
          : '';
      const what = kind === 'root' ? 'the root (projects)' : `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
      console.log(
        `tree: expanding ${what}: ${tally.requests} requests for ${tally.expansions} expansions, ratio ${ratio.toFixed(2)}; goal 1: ${verdict(ratio === 1)}${why}`,
      );
    }
    console.log(
      `tree: a session of ${expansions} expansions, one at a time: ${requests} requests, ratio ${(requests / expansions).toFixed(2)} ` +
        `(goal 1.00): ${verdict(requests === expansions)}; TCP connections opened ${connections} (goal 1): ${verdict(connections === 1)}` +
        `${connections === 2 ? " (the environment's two requests run side by side, so a second connection opens once and is reused)" : ''}`,
    );
    console.log(
      `tree: expand all (${concurrentExpansions} expansions, up to ${widest} at once): ${endAll.requests - startAll.requests} requests, ` +
        `TCP connections opened ${endAll.connections - startAll.connections} ` +
        `(one per request in flight at once, kept alive and reused by the next level; not capped, see docs/performance.md)`,
    );
    console.log(
      `tree: walking the browsed tree again (${expansions} expansions): ${againRequests} requests (goal 0): ${verdict(againRequests === 0)}`,
    );
    console.log(
      `tree: the same node loaded twice at once: ${sharedRequests} request${sharedRequests === 1 ? '' : 's'} (goal 1): ${verdict(sharedRequests === 1)}`,
    );
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await emulator.close();
  }
}

void main();
