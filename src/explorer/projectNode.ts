import * as vscode from 'vscode';
import type { Project } from '../api';
import type { TreeNode } from './treeNode';
import { escapeMarkdown, markdownTable } from './tooltip';

/** A UbiOps project: the first level of the tree. */
export class ProjectNode implements TreeNode {
  readonly parent = undefined;
  readonly id: string;

  constructor(
    readonly host: string,
    readonly project: Project,
  ) {
    this.id = `${host}/projects/${project.name}`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.project.name, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = this.project.organization_name;
    item.iconPath = new vscode.ThemeIcon('project');
    item.contextValue = 'ubiops.project';
    item.tooltip = markdownTable(`Project **${escapeMarkdown(this.project.name)}**`, this.project);
    return item;
  }
}
