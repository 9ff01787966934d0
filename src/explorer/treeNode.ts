import * as vscode from 'vscode';
import type { ModelRef } from '../model/environmentsModel';

/**
 * A node of the Environments tree: a plain object with a stable id (so refreshing one node does not rebuild the
 * tree), its tree item, and, for nodes with children, a loader. One class per tree level.
 */
export interface TreeNode {
  /** Stable across reloads: the same object in UbiOps gives the same id. */
  readonly id: string;
  readonly parent: TreeNode | undefined;
  /** Where it lives in UbiOps: what to invalidate in the model when it is refreshed. None for a message row. */
  readonly place?: ModelRef;
  getTreeItem(): vscode.TreeItem;
  /** Its children, rendered from the model: a request only when the model has not loaded (or was told to forget) them. */
  loadChildren?(): Promise<TreeNode[]>;
  /** Reads its own data again from the model, which announced that it changed. */
  sync?(): void;
}

/** A row that says something instead of data: empty, or an error with what to do. */
export class MessageNode implements TreeNode {
  constructor(
    readonly id: string,
    readonly parent: TreeNode | undefined,
    private readonly label: string,
    private readonly options: { icon?: string; tooltip?: string; command?: vscode.Command; contextValue?: string } = {},
  ) {}

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(this.options.icon ?? 'info');
    item.tooltip = this.options.tooltip;
    item.command = this.options.command;
    item.contextValue = this.options.contextValue ?? 'ubiops.message';
    return item;
  }
}
