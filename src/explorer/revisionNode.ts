import * as vscode from 'vscode';
import type { EnvironmentRevisionDetail } from '../api';
import type { RevisionRef } from '../model/environmentsModel';
import { BuildNode } from './buildNode';
import type { ExplorerContext } from './context';
import type { EnvironmentNode } from './environmentNode';
import { formatDate, newestFirst } from './format';
import { escapeMarkdown, markdownTable } from './tooltip';
import { MessageNode, type TreeNode } from './treeNode';

/** A revision: one upload of an environment's files. Marked when active or latest; an expired one has no file. */
export class RevisionNode implements TreeNode {
  readonly kind = 'revision';
  readonly id: string;
  readonly projectName: string;
  readonly environmentName: string;

  constructor(
    readonly context: ExplorerContext,
    readonly parent: EnvironmentNode,
    public revision: EnvironmentRevisionDetail,
    public marks: { active: boolean; latest: boolean },
  ) {
    this.id = `${parent.id}/revisions/${revision.id}`;
    this.projectName = parent.projectName;
    this.environmentName = parent.environmentName;
  }

  get revisionId(): string {
    return this.revision.id;
  }

  get place(): RevisionRef {
    return { project: this.projectName, environment: this.environmentName, revision: this.revisionId };
  }

  getTreeItem(): vscode.TreeItem {
    const { revision, marks } = this;
    const item = new vscode.TreeItem(
      formatDate(revision.creation_date) || revision.id,
      vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = this.id;
    item.description = [
      marks.active ? 'active' : undefined,
      marks.latest && !marks.active ? 'latest' : undefined,
      revision.created_by,
      revision.expired ? 'file expired' : undefined,
    ]
      .filter(Boolean)
      .join(' · ');
    item.iconPath = new vscode.ThemeIcon(
      revision.expired ? 'history' : marks.active ? 'pass-filled' : 'git-commit',
      marks.active ? new vscode.ThemeColor('charts.green') : undefined,
    );
    item.contextValue = [
      'ubiops.revision',
      marks.active ? 'active' : undefined,
      marks.latest ? 'latest' : undefined,
      revision.expired ? 'expired' : 'available',
    ]
      .filter(Boolean)
      .join('.');
    const note = revision.expired
      ? vscode.l10n.t('\n\nThe file of this revision has expired: it can no longer be downloaded or rebuilt.')
      : '';
    item.tooltip = markdownTable(`Revision of **${escapeMarkdown(this.environmentName)}**${note}`, revision);
    return item;
  }

  async loadChildren(): Promise<TreeNode[]> {
    const builds = await this.context.model.builds(this.place);
    if (builds.length === 0) {
      return [new MessageNode(`${this.id}#empty`, this, vscode.l10n.t('No builds'), { icon: 'info' })];
    }
    return newestFirst(builds).map((build) =>
      this.context.nodes.keep(new BuildNode(this.context, this, build), (kept, fresh) => {
        kept.build = fresh.build;
      }),
    );
  }
}
