import * as vscode from 'vscode';
import type { ConnectionManager } from '../connection/connectionManager';
import type { EnvironmentsProvider } from '../explorer/environmentsProvider';
import type { TreeNode } from '../explorer/treeNode';
import { signIn, signOut, tryEmulator } from './connectionCommands';

/** One line per command: each handler takes the node it was invoked on, or asks for what it needs. */
export function registerCommands(
  connections: ConnectionManager,
  explorer: EnvironmentsProvider,
  log: vscode.LogOutputChannel,
): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('ubiops.signIn', () => signIn(connections)),
    vscode.commands.registerCommand('ubiops.signOut', () => signOut(connections)),
    vscode.commands.registerCommand('ubiops.tryEmulator', () => tryEmulator(connections)),
    vscode.commands.registerCommand('ubiops.refresh', (node?: TreeNode) => explorer.refresh(node)),
    vscode.commands.registerCommand('ubiops.showLog', () => log.show()),
  ];
}
