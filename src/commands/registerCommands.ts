import * as vscode from 'vscode';
import type { BuildTracker } from '../builds/buildTracker';
import type { ConnectionManager } from '../connection/connectionManager';
import type { BuildLogDocuments } from '../documents/buildLogDocuments';
import type { DependencyFileDocuments } from '../documents/dependencyFileDocuments';
import { connectionMenu, switchHost } from '../connection/connectionStatus';
import type { EnvironmentsProvider } from '../explorer/environmentsProvider';
import type { Walkthrough } from '../firstRun/walkthrough';
import { COMMAND_IDS, type CommandArgs, type CommandId } from './commandIds';
import { registerCommand } from './commandRunner';
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
import { cancelBuilds, copyFromEnvironment, downloadRevision } from './revisionCommands';
import { uploadFolder } from './upload';
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

/** One handler per command id: the table `registerCommands` registers, typed by `CommandArgs`. */
export type CommandTable = { [K in CommandId]: (...args: CommandArgs[K]) => unknown };

/**
 * One line per command. Each handler takes the node it was invoked on (and the tree's multi-selection), a URI from
 * the Explorer, or nothing, in which case it asks for what it needs. Each runs through `runCommand`
 * (`commandRunner.ts`): it throws a `UserError` to say what went wrong, and the runner shows and logs it.
 */
export function commandTable(deps: CommandDeps): CommandTable {
  const { connections, explorer, log } = deps;
  return {
    'ubiops.signIn': () => signIn(connections),
    'ubiops.signOut': () => signOut(connections),
    'ubiops.tryEmulator': () => tryEmulator(connections),
    'ubiops.refresh': (node) => explorer.refresh(node),
    'ubiops.showLog': () => log.show(),
    'ubiops.connectionMenu': () => connectionMenu(connections),
    'ubiops.switchHost': () => switchHost(connections),
    'ubiops.filterEnvironments': () => filterEnvironments(explorer),
    'ubiops.clearFilter': () => clearFilter(explorer),
    'ubiops.copyId': (node) => copyId(explorer, node),
    'ubiops.copyName': (node) => copyName(deps, node),
    'ubiops.createEnvironment': (node) => createEnvironment(deps, node),
    'ubiops.editEnvironment': (node) => editEnvironment(deps, node),
    'ubiops.renameEnvironment': (node) => renameEnvironment(deps, node),
    'ubiops.deleteEnvironment': (node, nodes) => deleteEnvironments(deps, node, nodes),
    'ubiops.showUsage': (node) => showUsage(deps, node),
    'ubiops.uploadFolder': (target) => uploadFolder(deps, target),
    'ubiops.uploadContainingFolder': (file) => uploadFolder(deps, containingFolder(file)),
    'ubiops.copyFromEnvironment': (node) => copyFromEnvironment(deps, node),
    'ubiops.downloadRevision': (node) => downloadRevision(deps, node),
    'ubiops.rebuildRevision': (target, targets) => rebuildRevisions(deps, target, targets),
    'ubiops.cancelBuild': (node, nodes) => cancelBuilds(deps, node, nodes),
    'ubiops.openDependencyFile': (target) => openDependencyFile(deps, target),
    'ubiops.compareWithPreviousBuild': (target) => compareWithPreviousBuild(deps, target),
    'ubiops.compareWithWorkspace': (target) => compareWithWorkspace(deps, target),
    'ubiops.showBuildLog': (target) => showBuildLog(deps, target),
  };
}

/** Registers every command of the table, each through the command runner. */
export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const table = commandTable(deps);
  return COMMAND_IDS.map((id) => registerCommand(deps.log, id, table[id] as (...args: unknown[]) => unknown));
}
