import * as vscode from 'vscode';
import { isBuildRunning, type EnvironmentBuild } from '../api';
import type { BuildRef } from '../builds/buildTracker';
import type { BuildKeyRef } from '../model/environmentsModel';
import type { ExplorerContext } from './context';
import { DependencyFileNode } from './dependencyFileNode';
import { buildContextValue, buildDescription, buildErrorLine, buildStatusLabel, isBuildCancellable } from './describe';
import type { RevisionNode } from './revisionNode';
import { appendServerText, escapeMarkdown, markdownTable } from './tooltip';
import { MessageNode, type TreeNode } from './treeNode';

/** The icon of a build status: spinning while the build may still change. */
export function buildStatusIcon(status: string): vscode.ThemeIcon {
  switch (status) {
    case 'success':
      return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'failed':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'cancelled':
      return new vscode.ThemeIcon('circle-slash');
    case 'queued':
      return new vscode.ThemeIcon('loading~spin', new vscode.ThemeColor('testing.iconQueued'));
    case 'cancelled_pending':
      // On its way to cancelled: still changing, no longer building.
      return new vscode.ThemeIcon('loading~spin', new vscode.ThemeColor('disabledForeground'));
    default:
      // processing, building and statuses we do not know: still running.
      return new vscode.ThemeIcon('sync~spin');
  }
}

/** A build of a revision. Updated in place while it runs; its children are the build's dependency files. */
export class BuildNode implements TreeNode {
  readonly kind = 'build';
  readonly id: string;

  constructor(
    readonly context: ExplorerContext,
    readonly parent: RevisionNode,
    public build: EnvironmentBuild,
  ) {
    this.id = `${parent.id}/builds/${build.id}`;
  }

  get ref(): BuildRef {
    return {
      host: this.context.connection.host,
      project: this.parent.projectName,
      environment: this.parent.environmentName,
      revision: this.parent.revisionId,
      build: this.build.id,
    };
  }

  get place(): BuildKeyRef {
    return { ...this.parent.place, build: this.build.id };
  }

  /** The build as the model now knows it (the tracker and the commands write into it). */
  sync(): void {
    this.build = this.context.model.build(this.place) ?? this.build;
  }

  get running(): boolean {
    return isBuildRunning(this.build.status);
  }

  /** Queued, processing, building (or unknown): a cancel can still stop it. Not once it is being cancelled. */
  get cancellable(): boolean {
    return isBuildCancellable(this.build.status);
  }

  getTreeItem(): vscode.TreeItem {
    const build = this.build;
    const item = new vscode.TreeItem(buildStatusLabel(build.status), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.description = buildDescription(build);
    item.iconPath = buildStatusIcon(build.status);
    // `ubiops.build.processing`, `ubiops.build.failed`…: menus follow the state. Unknown statuses are running.
    item.contextValue = buildContextValue(build.status);
    const tooltip = markdownTable(`Build of **${escapeMarkdown(this.parent.environmentName)}**`, build);
    if (buildErrorLine(build)) {
      tooltip.appendMarkdown(
        `\n**${build.status === 'failed' ? vscode.l10n.t('Why it failed') : vscode.l10n.t('Message')}**\n\n`,
      );
      appendServerText(tooltip, build.error_message ?? '');
    }
    item.tooltip = tooltip;
    return item;
  }

  async loadChildren(): Promise<TreeNode[]> {
    const files = await this.context.model.dependencyFiles(this.place);
    if (files.length === 0) {
      const why = this.running
        ? vscode.l10n.t('The dependency files appear when the build has finished')
        : vscode.l10n.t('No dependency files');
      return [new MessageNode(`${this.id}#empty`, this, why, { icon: 'info' })];
    }
    return files.map((file) => this.context.nodes.keep(new DependencyFileNode(this, file.name), () => undefined));
  }
}
