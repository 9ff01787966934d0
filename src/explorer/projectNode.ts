import * as vscode from 'vscode';
import type { Project } from '../api';
import type { ModelRef } from '../model/environmentsModel';
import type { ExplorerContext } from './context';
import { isBaseEnvironment } from './describe';
import { EnvironmentNode } from './environmentNode';
import { escapeMarkdown, markdownTable } from './tooltip';
import { MessageNode, type TreeNode } from './treeNode';

/** A UbiOps project: the first level of the tree. Its children are the environments the view's filter selects. */
export class ProjectNode implements TreeNode {
  readonly kind = 'project';
  readonly parent = undefined;
  readonly id: string;

  constructor(
    readonly context: ExplorerContext,
    public project: Project,
  ) {
    this.id = `${context.connection.host}/projects/${project.name}`;
  }

  get projectName(): string {
    return this.project.name;
  }

  get place(): ModelRef {
    return { project: this.project.name };
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.project.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.description = this.project.organization_name;
    item.iconPath = new vscode.ThemeIcon('project');
    item.contextValue = 'ubiops.project';
    item.tooltip = markdownTable(`Project **${escapeMarkdown(this.project.name)}**`, this.project);
    return item;
  }

  async loadChildren(): Promise<TreeNode[]> {
    const filter = this.context.filter();
    const environments = await this.context.model.environments(this.project.name, filter);
    if (environments.length === 0) {
      const labelled = Object.keys(filter.labels).length > 0;
      const none = {
        base: labelled
          ? vscode.l10n.t('No base environments with these labels')
          : vscode.l10n.t('No base environments'),
        custom: labelled
          ? vscode.l10n.t('No custom environments with these labels')
          : vscode.l10n.t('No custom environments'),
        all: labelled ? vscode.l10n.t('No environments with these labels') : vscode.l10n.t('No environments'),
      }[filter.type];
      return [new MessageNode(`${this.id}#empty`, this, none, { icon: 'info' })];
    }
    // Custom environments first (they are the user's), then base ones; each by name.
    const sorted = [...environments].sort(
      (a, b) => Number(isBaseEnvironment(a)) - Number(isBaseEnvironment(b)) || a.name.localeCompare(b.name),
    );
    return sorted.map((environment) =>
      this.context.nodes.keep(new EnvironmentNode(this.context, this, environment), (kept, fresh) => {
        kept.environment = fresh.environment;
      }),
    );
  }
}
