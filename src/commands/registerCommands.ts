import * as vscode from 'vscode';
import type { BuildTracker } from '../builds/buildTracker';
import type { ConnectionManager } from '../connection/connectionManager';
import type { BuildLogDocuments } from '../documents/buildLogDocuments';
import type { DependencyFileDocuments } from '../documents/dependencyFileDocuments';
import { connectionMenu, switchHost } from '../connection/connectionStatus';
import type { EnvironmentsProvider } from '../explorer/environmentsProvider';
import type { Walkthrough } from '../firstRun/walkthrough';
import type { TreeNode } from '../explorer/treeNode';
import { compareWithPreviousBuild, compareWithWorkspace, openDependencyFile, rebuildRevisions } from './buildCommands';
import { signIn, signOut, tryEmulator } from './connectionCommands';
import { showBuildLog } from './logCommands';
import {
  copyName,
  createEnvironment,
  deleteEnvironments,
  editEnvironment,
  renameEnvironment,
  showUsage,
} from './environmentCommands';
import { cancelBuilds, copyFromEnvironment, downloadRevision, uploadFolder } from './revisionCommands';
import { clearFilter, copyId, filterEnvironments } from './viewCommands';

export interface CommandDeps {
  connections: ConnectionManager;
  explorer: EnvironmentsProvider;
  documents: DependencyFileDocuments;
  logs: BuildLogDocuments;
  tracker: BuildTracker;
  log: vscode.LogOutputChannel;
  /** Per-machine state: the view's filter, the folder last uploaded to each environment. */
  state: vscode.Memento;
  walkthrough: Walkthrough;
}

/** The folder of a dependency file (editor title, CodeLens), or of the active editor's file. */
function containingFolder(file?: vscode.Uri): vscode.Uri | undefined {
  const uri = file ?? vscode.window.activeTextEditor?.document.uri;
  return uri?.scheme === 'file' ? vscode.Uri.joinPath(uri, '..') : undefined;
}

/**
 * One line per command. Each handler takes the node it was invoked on (and the tree's multi-selection), a URI from
 * the Explorer, or nothing, in which case it asks for what it needs.
 */
export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { connections, explorer, log } = deps;
  type Node = TreeNode | undefined;
  type Nodes = readonly TreeNode[] | undefined;
  const command = (id: string, handler: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, handler);
  return [
    command('ubiops.signIn', () => signIn(connections)),
    command('ubiops.signOut', () => signOut(connections)),
    command('ubiops.tryEmulator', () => tryEmulator(connections)),
    command('ubiops.refresh', (node: Node) => explorer.refresh(node)),
    command('ubiops.showLog', () => log.show()),
    command('ubiops.connectionMenu', () => connectionMenu(connections)),
    command('ubiops.switchHost', () => switchHost(connections)),
    command('ubiops.filterEnvironments', () => filterEnvironments(explorer)),
    command('ubiops.clearFilter', () => clearFilter(explorer)),
    command('ubiops.copyId', (node: Node) => copyId(explorer, node)),
    command('ubiops.copyName', (node: Node) => copyName(deps, node)),
    command('ubiops.createEnvironment', (node: Node) => createEnvironment(deps, node)),
    command('ubiops.editEnvironment', (node: Node) => editEnvironment(deps, node)),
    command('ubiops.renameEnvironment', (node: Node) => renameEnvironment(deps, node)),
    command('ubiops.deleteEnvironment', (node: Node, nodes: Nodes) => deleteEnvironments(deps, node, nodes)),
    command('ubiops.showUsage', (node: Node) => showUsage(deps, node)),
    command('ubiops.uploadFolder', (target: vscode.Uri | Node) => uploadFolder(deps, target)),
    command('ubiops.uploadContainingFolder', (file?: vscode.Uri) => uploadFolder(deps, containingFolder(file))),
    command('ubiops.copyFromEnvironment', (node: Node) => copyFromEnvironment(deps, node)),
    command('ubiops.downloadRevision', (node: Node) => downloadRevision(deps, node)),
    command('ubiops.rebuildRevision', (node: never, nodes: never) => rebuildRevisions(deps, node, nodes)),
    command('ubiops.cancelBuild', (node: Node, nodes: Nodes) => cancelBuilds(deps, node, nodes)),
    command('ubiops.openDependencyFile', (node: never) => openDependencyFile(deps, node)),
    command('ubiops.compareWithPreviousBuild', (node: never) => compareWithPreviousBuild(deps, node)),
    command('ubiops.compareWithWorkspace', (node: never) => compareWithWorkspace(deps, node)),
    command('ubiops.showBuildLog', (target: never) => showBuildLog(deps, target)),
  ];
}
