import * as vscode from 'vscode';
import { dependencyFileUri } from '../documents/dependencyFileDocuments';
import type { BuildNode } from './buildNode';
import type { TreeNode } from './treeNode';

/** A dependency file of a build; opens as a read-only document. */
export class DependencyFileNode implements TreeNode {
  readonly kind = 'dependencyFile';
  readonly id: string;

  constructor(
    readonly parent: BuildNode,
    readonly fileName: string,
  ) {
    this.id = `${parent.id}/files/${fileName}`;
  }

  get uri(): vscode.Uri {
    return dependencyFileUri(this.parent.ref, this.fileName);
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.fileName, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    // The file icon theme picks the icon from the name.
    item.resourceUri = vscode.Uri.file(`/${this.fileName}`);
    item.iconPath = vscode.ThemeIcon.File;
    item.contextValue = 'ubiops.dependencyFile';
    item.tooltip = vscode.l10n.t('{0} of build {1} (read-only)', this.fileName, this.parent.build.id);
    item.command = { title: vscode.l10n.t('Open'), command: 'vscode.open', arguments: [this.uri, { preview: true }] };
    return item;
  }
}
