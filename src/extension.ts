import * as vscode from 'vscode';
import { registerCommands } from './commands/registerCommands';
import { ConnectionManager } from './connection/connectionManager';
import { EnvironmentsProvider } from './explorer/environmentsProvider';
import { createLog } from './log';

/** What `activate` returns: the parts integration tests drive. Not a public API. */
export interface ExtensionApi {
  readonly connections: ConnectionManager;
  readonly explorer: EnvironmentsProvider;
}

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
  const explorer = new EnvironmentsProvider(connections);
  context.subscriptions.push(
    log,
    connections,
    explorer,
    vscode.window.createTreeView('ubiops.environments', { treeDataProvider: explorer, showCollapseAll: true }),
    ...registerCommands(connections, explorer, log),
  );
  return { connections, explorer };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
