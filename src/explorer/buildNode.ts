import * as vscode from 'vscode';
import { isBuildRunning, type EnvironmentBuild } from '../api';
import type { BuildRef } from '../builds/buildTracker';
import type { ExplorerContext } from './context';
import { DependencyFileNode } from './dependencyFileNode';
import { formatBytes, formatDate } from './format';
import type { RevisionNode } from './revisionNode';
import { escapeMarkdown, markdownTable } from './tooltip';
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
    default:
      // processing, building, cancelled_pending and statuses we do not know: still running.
      return new vscode.ThemeIcon('sync~spin');
  }
}

function statusLabel(status: string): string {
  return status ? status.charAt(0).toUpperCase() + status.slice(1).replace(/_/g, ' ') : 'Unknown';
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

  get running(): boolean {
    return isBuildRunning(this.build.status);
  }

  getTreeItem(): vscode.TreeItem {
    const build = this.build;
    const item = new vscode.TreeItem(statusLabel(build.status), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const error = build.status === 'failed' && build.error_message ? build.error_message.replace(/\s+/g, ' ') : undefined;
    item.description = [
      error,
      build.trigger,
      formatDate(build.creation_date),
      typeof build.size === 'number' && build.size > 0 ? formatBytes(build.size) : undefined,
    ]
      .filter(Boolean)
      .join(' · ');
    item.iconPath = buildStatusIcon(build.status);
    // `ubiops.build.processing`, `ubiops.build.failed`…: menus follow the state. Unknown statuses are running.
    const known = ['queued', 'processing', 'success', 'failed', 'cancelled'].includes(build.status);
    item.contextValue = `ubiops.build.${known ? build.status : 'processing'}`;
    const tooltip = markdownTable(`Build of **${escapeMarkdown(this.parent.environmentName)}**`, build);
    if (error) {
      tooltip.appendMarkdown('\n**Why it failed**\n\n');
      tooltip.appendCodeblock(build.error_message ?? '', 'text');
    }
    item.tooltip = tooltip;
    return item;
  }

  async loadChildren(signal: AbortSignal): Promise<TreeNode[]> {
    const files = await this.context.connection.client.listBuildDependencyFiles(
      this.parent.projectName,
      this.parent.environmentName,
      this.parent.revisionId,
      this.build.id,
      { signal },
    );
    if (files.length === 0) {
      const why = this.running ? 'The dependency files appear when the build has finished' : 'No dependency files';
      return [new MessageNode(`${this.id}#empty`, this, why, { icon: 'info' })];
    }
    return files.map((file) => new DependencyFileNode(this, file.name));
  }
}
