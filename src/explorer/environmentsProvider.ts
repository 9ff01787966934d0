import * as vscode from 'vscode';
import { UbiOpsApiError, type EnvironmentBuild } from '../api';
import type { BuildRef, BuildTracker } from '../builds/buildTracker';
import type { Connection, ConnectionManager } from '../connection/connectionManager';
import { describeError } from '../connection/connectionManager';
import { BuildNode } from './buildNode';
import { DEFAULT_FILTER, type EnvironmentFilter, type ExplorerContext } from './context';
import { ProjectNode } from './projectNode';
import { MessageNode, type TreeNode } from './treeNode';

const FILTER_KEY = 'ubiops.environmentFilter';

/**
 * The Environments view's data. Children load when a node is expanded, one load per expansion; two loads of the
 * same node at once share one; refreshing a node reloads that node only. A failed load shows a row that says what
 * went wrong and offers a retry (or, for a 401, to sign in again) instead of an empty tree. Builds that run are
 * followed, and their rows change in place.
 */
export class EnvironmentsProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;

  private readonly inFlight = new Map<string, Promise<TreeNode[]>>();
  private readonly controllers = new Set<AbortController>();
  /** Build rows on screen, by build id, so a followed build's row can change in place. */
  private readonly buildNodes = new Map<string, BuildNode>();
  private readonly subscriptions: { dispose(): void }[];
  private filter: EnvironmentFilter;
  private context: ExplorerContext | undefined;

  constructor(
    private readonly connections: ConnectionManager,
    private readonly tracker: BuildTracker,
    private readonly state: vscode.Memento,
  ) {
    this.filter = state.get<EnvironmentFilter>(FILTER_KEY) ?? DEFAULT_FILTER;
    this.subscriptions = [
      connections.onDidChange(() => {
        this.tracker.clear();
        this.refresh();
      }),
      tracker.onDidUpdate(({ build }) => this.updateBuild(build)),
    ];
    void this.publishFilter();
  }

  get currentFilter(): EnvironmentFilter {
    return this.filter;
  }

  async setFilter(filter: EnvironmentFilter): Promise<void> {
    this.filter = filter;
    await this.state.update(FILTER_KEY, filter);
    await this.publishFilter();
    this.refresh();
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  getChildren(node?: TreeNode): Promise<TreeNode[]> {
    const key = node?.id ?? '';
    let load = this.inFlight.get(key);
    if (!load) {
      load = this.load(node).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, load);
    }
    return load;
  }

  /** Reloads one node's children, or the whole tree. Loads in flight for the whole tree are cancelled. */
  refresh(node?: TreeNode): void {
    if (!node) {
      for (const controller of this.controllers) {
        controller.abort();
      }
      this.inFlight.clear();
      this.buildNodes.clear();
      this.context = undefined;
    } else {
      this.inFlight.delete(node.id);
    }
    this.changeEmitter.fire(node);
  }

  /** The row of a build, when it is on screen. */
  buildNode(buildId: string): BuildNode | undefined {
    return this.buildNodes.get(buildId);
  }

  dispose(): void {
    for (const controller of this.controllers) {
      controller.abort();
    }
    for (const subscription of this.subscriptions) {
      subscription.dispose();
    }
    this.changeEmitter.dispose();
  }

  /** Shows a build's new state in its row, if the row is on screen. */
  updateBuild(build: EnvironmentBuild): void {
    const node = this.buildNodes.get(build.id);
    if (node) {
      node.build = build;
      // The row changes in place; its files may have appeared.
      this.inFlight.delete(node.id);
      this.changeEmitter.fire(node);
    }
  }

  private explorerContext(connection: Connection): ExplorerContext {
    if (this.context?.connection !== connection) {
      this.context = {
        connection,
        filter: () => this.filter,
        follow: (ref: BuildRef, build: EnvironmentBuild) => this.tracker.follow(ref, build),
      };
    }
    return this.context;
  }

  private async load(node: TreeNode | undefined): Promise<TreeNode[]> {
    const controller = new AbortController();
    this.controllers.add(controller);
    try {
      let children: TreeNode[];
      if (node) {
        children = (await node.loadChildren?.(controller.signal)) ?? [];
      } else {
        const connection = await this.connections.get();
        if (!connection) {
          // Empty: the view's welcome content offers to sign in or to try the emulator.
          return [];
        }
        const context = this.explorerContext(connection);
        const projects = await connection.client.listProjects({}, { signal: controller.signal });
        children = projects.length
          ? projects.map((project) => new ProjectNode(context, project))
          : [new MessageNode('no-projects', undefined, 'This token has access to no project', { icon: 'info' })];
      }
      for (const child of children) {
        if (child instanceof BuildNode) {
          this.buildNodes.set(child.build.id, child);
        }
      }
      return children;
    } catch (error) {
      if (controller.signal.aborted) {
        return [];
      }
      return [errorNode(node, error)];
    } finally {
      this.controllers.delete(controller);
    }
  }

  private async publishFilter(): Promise<void> {
    const active = this.filter.type !== DEFAULT_FILTER.type || Object.keys(this.filter.labels).length > 0;
    await vscode.commands.executeCommand('setContext', 'ubiops.filtered', active);
  }
}

function errorNode(parent: TreeNode | undefined, error: unknown): TreeNode {
  const id = `${parent?.id ?? ''}#error`;
  if (error instanceof UbiOpsApiError && error.status === 401) {
    return new MessageNode(id, parent, 'The token was refused: sign in again', {
      icon: 'warning',
      tooltip: describeError(error),
      command: { title: vscode.l10n.t('Sign In'), command: 'ubiops.signIn' },
      contextValue: 'ubiops.error.unauthorized',
    });
  }
  return new MessageNode(id, parent, `Could not load: ${shortReason(error)} (click to retry)`, {
    icon: 'error',
    tooltip: describeError(error),
    command: { title: vscode.l10n.t('Retry'), command: 'ubiops.refresh', arguments: [parent] },
    contextValue: 'ubiops.error',
  });
}

function shortReason(error: unknown): string {
  if (error instanceof UbiOpsApiError) {
    return error.status === undefined
      ? vscode.l10n.t('cannot reach {0}', error.host)
      : `${error.status} ${error.serverMessage ?? ''}`.trim();
  }
  return error instanceof Error ? error.message : String(error);
}
