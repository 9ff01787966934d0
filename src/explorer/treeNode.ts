import * as vscode from 'vscode';

/**
 * A node of the Environments tree: a plain object with a stable id (so refreshing one node does not rebuild the
 * tree), its tree item, and, for nodes with children, a loader. One class per tree level.
 */
export interface TreeNode {
  /** Stable across reloads: the same object in UbiOps gives the same id. */
  readonly id: string;
  readonly parent: TreeNode | undefined;
  getTreeItem(): vscode.TreeItem;
  /** One request per call at most; the provider makes concurrent calls for one node share it. */
  loadChildren?(signal: AbortSignal): Promise<TreeNode[]>;
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
