import * as vscode from 'vscode';
import type { EnvironmentList } from '../api';
import type { ExplorerContext } from './context';
import { newestFirst } from './format';
import type { ProjectNode } from './projectNode';
import { RevisionNode } from './revisionNode';
import { escapeMarkdown, markdownTable } from './tooltip';
import { MessageNode, type TreeNode } from './treeNode';

/**
 * An environment. Base environments are read-only (context value `ubiops.environment.base`); implicit ones get
 * their files from a deployment package (`ubiops.environment.implicit`); a deprecated one says so.
 */
export class EnvironmentNode implements TreeNode {
  readonly kind = 'environment';
  readonly id: string;

  constructor(
    readonly context: ExplorerContext,
    readonly parent: ProjectNode,
    readonly environment: EnvironmentList,
  ) {
    this.id = `${parent.id}/environments/${environment.name}`;
  }

  get projectName(): string {
    return this.parent.projectName;
  }

  get environmentName(): string {
    return this.environment.name;
  }

  get isBase(): boolean {
    return this.environment.project === null;
  }

  getTreeItem(): vscode.TreeItem {
    const environment = this.environment;
    const label = environment.display_name && environment.display_name !== environment.name
      ? `${environment.display_name}`
      : environment.name;
    // Base environments have no revisions of the user's to show.
    const state = this.isBase ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(label, state);
    item.id = this.id;
    const labels = Object.entries(environment.labels ?? {}).map(([key, value]) => `${key}:${value}`);
    item.description = [
      label !== environment.name ? environment.name : undefined,
      environment.base_environment ? `on ${environment.base_environment}` : 'base environment',
      environment.implicit ? 'implicit' : undefined,
      environment.deprecated ? 'deprecated' : undefined,
      ...labels,
    ]
      .filter(Boolean)
      .join(' · ');
    item.iconPath = new vscode.ThemeIcon(
      environment.deprecated ? 'warning' : this.isBase ? 'library' : environment.implicit ? 'lock' : environment.gpu_required ? 'circuit-board' : 'package',
    );
    item.contextValue = [
      'ubiops.environment',
      this.isBase ? 'base' : environment.implicit ? 'implicit' : 'custom',
      environment.deprecated ? 'deprecated' : undefined,
    ]
      .filter(Boolean)
      .join('.');
    const kind = this.isBase ? 'Base environment' : environment.implicit ? 'Implicit environment' : 'Environment';
    item.tooltip = markdownTable(`${kind} **${escapeMarkdown(environment.name)}**`, environment);
    return item;
  }

  /**
   * Revisions, newest first. The environment's detail comes with them (in parallel): it says which revision is
   * active, which the list cannot tell.
   */
  async loadChildren(signal: AbortSignal): Promise<TreeNode[]> {
    const { client } = this.context.connection;
    const [revisions, detail] = await Promise.all([
      client.listRevisions(this.projectName, this.environmentName, { signal }),
      client.getEnvironment(this.projectName, this.environmentName, { signal }),
    ]);
    if (revisions.length === 0) {
      return [new MessageNode(`${this.id}#empty`, this, 'No revisions yet: upload a folder to create one', { icon: 'info' })];
    }
    const sorted = newestFirst(revisions);
    const latest = detail.latest_revision ?? sorted[0].id;
    return sorted.map(
      (revision) =>
        new RevisionNode(this.context, this, revision, {
          active: revision.id === detail.active_revision,
          latest: revision.id === latest,
        }),
    );
  }
}
