import * as vscode from 'vscode';
import type { BuildTracker } from '../builds/buildTracker';
import type { ConnectionManager } from '../connection/connectionManager';
import type { DependencyFileDocuments } from '../documents/dependencyFileDocuments';
import type { EnvironmentsProvider } from '../explorer/environmentsProvider';
import type { TreeNode } from '../explorer/treeNode';
import { compareWithPreviousBuild, compareWithWorkspace, openDependencyFile, rebuildRevision } from './buildCommands';
import { signIn, signOut, tryEmulator } from './connectionCommands';
import { clearFilter, copyId, filterEnvironments } from './viewCommands';

export interface CommandDeps {
  connections: ConnectionManager;
  explorer: EnvironmentsProvider;
  documents: DependencyFileDocuments;
  tracker: BuildTracker;
  log: vscode.LogOutputChannel;
}

/** One line per command: each handler takes the node it was invoked on, or asks for what it needs. */
export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { connections, explorer, log } = deps;
  const command = (id: string, handler: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, handler);
  return [
    command('ubiops.signIn', () => signIn(connections)),
    command('ubiops.signOut', () => signOut(connections)),
    command('ubiops.tryEmulator', () => tryEmulator(connections)),
    command('ubiops.refresh', (node?: TreeNode) => explorer.refresh(node)),
    command('ubiops.showLog', () => log.show()),
    command('ubiops.filterEnvironments', () => filterEnvironments(explorer)),
    command('ubiops.clearFilter', () => clearFilter(explorer)),
    command('ubiops.copyId', (node?: TreeNode) => copyId(explorer, node)),
    command('ubiops.openDependencyFile', (node?: never) => openDependencyFile(deps, node)),
    command('ubiops.compareWithPreviousBuild', (node?: never) => compareWithPreviousBuild(deps, node)),
    command('ubiops.compareWithWorkspace', (node?: never) => compareWithWorkspace(deps, node)),
    command('ubiops.rebuildRevision', (node?: never) => rebuildRevision(deps, node)),
  ];
}
