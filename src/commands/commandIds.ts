import type * as vscode from 'vscode';
import type { BuildRef } from '../builds/buildTracker';
import type { BuildNode } from '../explorer/buildNode';
import type { DependencyFileNode } from '../explorer/dependencyFileNode';
import type { RevisionNode } from '../explorer/revisionNode';
import type { TreeNode } from '../explorer/treeNode';

/**
 * Every command of `package.json` `contributes.commands`, in its order. `test/unit/commandIds.test.ts` compares the
 * two, and the registration table in `registerCommands.ts` is typed by it, so a command in one and not the other
 * fails the build or the tests. Types only are imported here: the unit test reads this list in plain Node.
 */
export const COMMAND_IDS = [
  'ubiops.signIn',
  'ubiops.signOut',
  'ubiops.tryEmulator',
  'ubiops.refresh',
  'ubiops.showLog',
  'ubiops.filterEnvironments',
  'ubiops.clearFilter',
  'ubiops.copyId',
  'ubiops.openDependencyFile',
  'ubiops.compareWithPreviousBuild',
  'ubiops.compareWithWorkspace',
  'ubiops.rebuildRevision',
  'ubiops.uploadFolder',
  'ubiops.copyFromEnvironment',
  'ubiops.createEnvironment',
  'ubiops.editEnvironment',
  'ubiops.renameEnvironment',
  'ubiops.deleteEnvironment',
  'ubiops.showUsage',
  'ubiops.downloadRevision',
  'ubiops.cancelBuild',
  'ubiops.showBuildLog',
  'ubiops.copyName',
  'ubiops.connectionMenu',
  'ubiops.switchHost',
  'ubiops.uploadContainingFolder',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];

/** A tree row (from its context menu or inline button), or nothing (from the palette: the handler asks). */
type Row = [node?: TreeNode];
/** A tree row and the tree's multi-selection, which VS Code passes second. */
type Rows = [node?: TreeNode, nodes?: readonly TreeNode[]];

/**
 * What each command is invoked with: by VS Code from a menu (the tree node, the Explorer's URI, the editor's
 * file), by the extension itself (a build notification's reference, a new environment), or nothing from the
 * palette. Every handler accepts all of them being absent.
 */
export interface CommandArgs {
  'ubiops.signIn': [];
  'ubiops.signOut': [];
  'ubiops.tryEmulator': [];
  'ubiops.refresh': Row;
  'ubiops.showLog': [];
  'ubiops.filterEnvironments': [];
  'ubiops.clearFilter': [];
  'ubiops.copyId': Row;
  'ubiops.openDependencyFile': [target?: DependencyFileNode | BuildNode];
  'ubiops.compareWithPreviousBuild': [target?: BuildNode];
  'ubiops.compareWithWorkspace': [target?: DependencyFileNode | BuildNode];
  'ubiops.rebuildRevision': [target?: RevisionNode | BuildNode | BuildRef, targets?: readonly unknown[]];
  'ubiops.uploadFolder': [target?: vscode.Uri | TreeNode];
  'ubiops.copyFromEnvironment': Row;
  'ubiops.createEnvironment': Row;
  'ubiops.editEnvironment': Row;
  'ubiops.renameEnvironment': Row;
  'ubiops.deleteEnvironment': Rows;
  'ubiops.showUsage': Row;
  'ubiops.downloadRevision': Row;
  'ubiops.cancelBuild': Rows;
  'ubiops.showBuildLog': [target?: BuildNode | BuildRef];
  'ubiops.copyName': Row;
  'ubiops.connectionMenu': [];
  'ubiops.switchHost': [];
  'ubiops.uploadContainingFolder': [file?: vscode.Uri];
}

/** The commands that take no argument, as a menu of commands may run them. */
export type CommandWithoutArguments = { [K in CommandId]: CommandArgs[K] extends [] ? K : never }[CommandId];
