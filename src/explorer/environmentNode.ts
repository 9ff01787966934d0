import * as vscode from 'vscode';
import type { EnvironmentList } from '../api';
import type { EnvironmentRef, ModelRef } from '../model/environmentsModel';
import type { ExplorerContext } from './context';
import {
  type EnvironmentKind,
  environmentDescription,
  environmentHeading,
  environmentKind,
  environmentLabel,
  foundationSentence,
  isBaseEnvironment,
} from './describe';
import { newestFirst } from './format';
import type { ProjectNode } from './projectNode';
import { RevisionNode } from './revisionNode';
import { escapeMarkdown, markdownTable } from './tooltip';
import { MessageNode, type TreeNode } from './treeNode';

const KIND_ICONS: Record<EnvironmentKind, string> = {
  base: 'library',
  implicit: 'lock',
  image: 'vm',
  custom: 'package',
};

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
    public environment: EnvironmentList,
  ) {
    this.id = `${parent.id}/environments/${environment.name}`;
  }

  get projectName(): string {
    return this.parent.projectName;
  }

  get environmentName(): string {
    return this.environment.name;
  }

  get place(): ModelRef {
    return { project: this.projectName, environment: this.environmentName };
  }

  /** A base environment of the platform (`system`, or no project on a server that lacks `system`). */
  get isBase(): boolean {
    return isBaseEnvironment(this.environment);
  }

  getTreeItem(): vscode.TreeItem {
    const environment = this.environment;
    const label = environmentLabel(environment);
    // Base environments have no revisions of the user's to show.
    const state = this.isBase ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(label, state);
    item.id = this.id;
    item.description = environmentDescription(environment);
    const kind = environmentKind(environment);
    const gpu = environment.gpu_required && (kind === 'custom' || kind === 'image');
    item.iconPath = new vscode.ThemeIcon(environment.deprecated ? 'warning' : gpu ? 'circuit-board' : KIND_ICONS[kind]);
    // An environment on a custom Docker image takes uploads as any custom one does: `custom` keeps its menus.
    item.contextValue = [
      'ubiops.environment',
      kind === 'image' ? 'custom' : kind,
      environment.deprecated ? 'deprecated' : undefined,
    ]
      .filter(Boolean)
      .join('.');
    const sentence = foundationSentence(environment);
    item.tooltip = markdownTable(
      `${environmentHeading(environment)} **${escapeMarkdown(environment.name)}**${sentence ? `\n\n${escapeMarkdown(sentence)}` : ''}`,
      environment,
    );
    return item;
  }

  /**
   * Revisions, newest first. The environment's detail comes with them (in parallel): it says which revision is
   * active, which the list cannot tell.
   */
  async loadChildren(): Promise<TreeNode[]> {
    const { revisions, environment: detail } = await this.context.model.revisions(this.place as EnvironmentRef);
    if (revisions.length === 0) {
      return [
        new MessageNode(`${this.id}#empty`, this, vscode.l10n.t('No revisions yet: upload a folder to create one'), {
          icon: 'info',
        }),
      ];
    }
    const sorted = newestFirst(revisions);
    const latest = detail.latest_revision ?? sorted[0].id;
    return sorted.map((revision) =>
      this.context.nodes.keep(
        new RevisionNode(this.context, this, revision, {
          active: revision.id === detail.active_revision,
          latest: revision.id === latest,
        }),
        (kept, fresh) => {
          kept.revision = fresh.revision;
          kept.marks = fresh.marks;
        },
      ),
    );
  }
}
