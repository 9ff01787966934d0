import * as vscode from 'vscode';
import { DependencyFileDiagnostics } from './authoring/diagnostics';
import { DependencyFileQuickFixes } from './authoring/quickFixes';
import { BuildStatusUi } from './builds/buildStatusUi';
import { BuildTracker } from './builds/buildTracker';
import { BuildFollowing } from './builds/followBuilds';
import { registerCommands } from './commands/registerCommands';
import { ConnectionManager } from './connection/connectionManager';
import { ConnectionStatus } from './connection/connectionStatus';
import { BUILD_LOG_SCHEME, BuildLogDocuments } from './documents/buildLogDocuments';
import { DEPENDENCY_FILE_SCHEME, DependencyFileDocuments } from './documents/dependencyFileDocuments';
import { EnvironmentsProvider } from './explorer/environmentsProvider';
import { Walkthrough } from './firstRun/walkthrough';
import { createLog } from './log';

/** What `activate` returns: the parts integration tests drive. Not a public API. */
export interface ExtensionApi {
  readonly connections: ConnectionManager;
  readonly explorer: EnvironmentsProvider;
  readonly tracker: BuildTracker;
  readonly documents: DependencyFileDocuments;
  readonly logs: BuildLogDocuments;
  readonly walkthrough: Walkthrough;
  /** The "UbiOps" log, where command failures are written with their stack. */
  readonly log: vscode.LogOutputChannel;
}

/** The connection manager of this activation, so that `deactivate` can wait for it to close. */
let active: ConnectionManager | undefined;

/** Wires the parts together. Nothing here talks to the network: connections resolve when first needed. */
export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const log = createLog();
  const version = (context.extension.packageJSON as { version?: string }).version ?? '0.0.0';
  const connections = new ConnectionManager(
    context.secrets,
    log,
    vscode.Uri.joinPath(context.globalStorageUri, 'emulator').fsPath,
    `ubiops-environments-vscode/${version}`,
  );
  const tracker = new BuildTracker(async (ref, signal) => {
    const connection = await connections.get();
    if (!connection || connection.host !== ref.host) {
      throw new Error('The connection changed.');
    }
    return connection.client.getBuild(ref.project, ref.environment, ref.revision, ref.build, { signal });
  });
  active = connections;
  const explorer = new EnvironmentsProvider(connections, context.globalState);
  const documents = new DependencyFileDocuments(connections);
  const logs = new BuildLogDocuments(connections, tracker);
  const walkthrough = new Walkthrough();
  context.subscriptions.push(
    log,
    connections,
    tracker,
    new BuildFollowing(tracker, connections),
    explorer,
    documents,
    logs,
    vscode.workspace.registerTextDocumentContentProvider(BUILD_LOG_SCHEME, logs),
    new BuildStatusUi(tracker, documents),
    new ConnectionStatus(connections),
    new DependencyFileDiagnostics(),
    vscode.languages.registerCodeActionsProvider(
      [{ pattern: '**/ubiops.yaml' }, { pattern: '**/requirements.txt' }],
      new DependencyFileQuickFixes(),
      { providedCodeActionKinds: DependencyFileQuickFixes.kinds },
    ),
    connections.onDidChange((connection) => connection && walkthrough.complete('connect')),
    tracker.onDidFinish(() => walkthrough.complete('watch')),
    vscode.workspace.registerFileSystemProvider(DEPENDENCY_FILE_SCHEME, documents, {
      isReadonly: true,
      isCaseSensitive: true,
    }),
    vscode.window.createTreeView('ubiops.environments', {
      treeDataProvider: explorer,
      showCollapseAll: true,
      canSelectMany: true,
    }),
    ...registerCommands({
      connections,
      explorer,
      documents,
      logs,
      tracker,
      log,
      state: context.globalState,
      walkthrough,
    }),
  );
  // A stored or environment token counts as connected for the walkthrough (no request is sent for it).
  void connections.get().then(
    (connection) => connection && walkthrough.complete('connect'),
    () => undefined,
  );
  return { connections, explorer, tracker, documents, logs, walkthrough, log };
}

/**
 * VS Code waits for the promise: the connection's client and the emulator close their sockets before the host
 * goes. The rest is disposed through `context.subscriptions` (disposing the connections again is a no-op).
 */
export function deactivate(): Promise<void> | undefined {
  const connections = active;
  active = undefined;
  return connections?.dispose();
}
