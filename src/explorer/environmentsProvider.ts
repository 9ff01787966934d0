import * as vscode from 'vscode';
import { UbiOpsApiError } from '../api';
import type { Connection, ConnectionManager } from '../connection/connectionManager';
import { describeError } from '../connection/connectionManager';
import { Disposable, type IDisposable } from '../util/lifecycle';
import { BuildNode } from './buildNode';
import { DEFAULT_FILTER, type EnvironmentFilter, type ExplorerContext } from './context';
import { NodeCache } from './nodeCache';
import { ProjectNode } from './projectNode';
import { MessageNode, type TreeNode } from './treeNode';

const FILTER_KEY = 'ubiops.environmentFilter';

/**
 * The Environments view's data, rendered from the connection's model (`connection.model`): a level asks the model,
 * which loads it once until it is invalidated, so expanding again, or walking the palette over what was browsed,
 * sends no request. Every node goes through one cache, so VS Code, the palette and the commands hold the same
 * object for an id, and a change the model announces (a build the tracker saw change, a list a command
 * invalidated) re-renders that very row. A failed load shows a row that says what went wrong and offers a retry
 * (or, for a 401, to sign in again) instead of an empty tree.
 */
export class EnvironmentsProvider extends Disposable implements vscode.TreeDataProvider<TreeNode> {
  private readonly changeEmitter = this.register(new vscode.EventEmitter<TreeNode | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;

  /** Concurrent asks for one node's children share one answer. */
  private readonly inFlight = new Map<string, Promise<TreeNode[]>>();
  private filter: EnvironmentFilter;
  private context: { value: ExplorerContext; subscription: IDisposable } | undefined;

  constructor(
    private readonly connections: ConnectionManager,
    private readonly state: vscode.Memento,
  ) {
    super();
    this.filter = state.get<EnvironmentFilter>(FILTER_KEY) ?? DEFAULT_FILTER;
    // Another connection, another model: the tree renders from it, with nodes of its own.
    this.register(
      connections.onDidChange(() => {
        this.dropContext();
        this.changeEmitter.fire(undefined);
      }),
    );
    this.register({ dispose: () => this.dropContext() });
    void this.publishFilter();
  }

  get currentFilter(): EnvironmentFilter {
    return this.filter;
  }

  /** Only the environment lists depend on the filter: they load again under the new one, nothing else does. */
  async setFilter(filter: EnvironmentFilter): Promise<void> {
    this.filter = filter;
    await this.state.update(FILTER_KEY, filter);
    await this.publishFilter();
    this.changeEmitter.fire(undefined);
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

  /** The Refresh command: the model forgets what is under the node (everything without one), and it reloads. */
  refresh(node?: TreeNode): void {
    const model = this.context?.value.model;
    if (!model) {
      this.changeEmitter.fire(undefined);
      return;
    }
    model.invalidate(node?.place ?? node?.parent?.place ?? {});
  }

  /** The row of a build, when the tree or the palette has shown it. */
  buildNode(buildId: string): BuildNode | undefined {
    for (const node of this.context?.value.nodes.all() ?? []) {
      if (node instanceof BuildNode && node.build.id === buildId) {
        return node;
      }
    }
    return undefined;
  }

  private explorerContext(connection: Connection): ExplorerContext {
    if (this.context?.value.connection !== connection) {
      this.dropContext();
      const value: ExplorerContext = {
        connection,
        model: connection.model,
        filter: () => this.filter,
        nodes: new NodeCache(),
      };
      this.context = { value, subscription: connection.model.onDidChange((key) => this.changed(value, key)) };
    }
    return this.context.value;
  }

  private dropContext(): void {
    this.context?.subscription.dispose();
    this.context = undefined;
    this.inFlight.clear();
  }

  /** The model changed under `key`: the row of that key (the whole tree for the root) renders again. */
  private changed(context: ExplorerContext, key: string): void {
    if (!key) {
      this.inFlight.clear();
      this.changeEmitter.fire(undefined);
      return;
    }
    const node = context.nodes.get(`${context.connection.host}/${key}`);
    if (node) {
      // A load begun before the change must not answer the ask that follows it.
      this.inFlight.delete(node.id);
      node.sync?.();
      this.changeEmitter.fire(node);
    }
  }

  private async load(node: TreeNode | undefined): Promise<TreeNode[]> {
    try {
      if (!node) {
        return await this.loadRoot();
      }
      const children = (await node.loadChildren?.()) ?? [];
      (node as { context?: ExplorerContext }).context?.nodes.prune(node.id, children);
      return children;
    } catch (error) {
      if ((error as Error | undefined)?.name === 'AbortError') {
        // The connection closed under the load: the view is being refreshed for the new one.
        return [];
      }
      return [errorNode(node, error)];
    }
  }

  private async loadRoot(): Promise<TreeNode[]> {
    const connection = await this.connections.get();
    if (!connection) {
      // Empty: the view's welcome content offers to sign in or to try the emulator.
      return [];
    }
    const context = this.explorerContext(connection);
    const projects = await context.model.projects();
    const children = projects.map((project) =>
      context.nodes.keep(new ProjectNode(context, project), (kept, fresh) => {
        kept.project = fresh.project;
      }),
    );
    context.nodes.prune('', children);
    return children.length
      ? children
      : [
          new MessageNode('no-projects', undefined, vscode.l10n.t('This token has access to no project'), {
            icon: 'info',
          }),
        ];
  }

  private async publishFilter(): Promise<void> {
    const active = this.filter.type !== DEFAULT_FILTER.type || Object.keys(this.filter.labels).length > 0;
    await vscode.commands.executeCommand('setContext', 'ubiops.filtered', active);
  }
}

function errorNode(parent: TreeNode | undefined, error: unknown): TreeNode {
  const id = `${parent?.id ?? ''}#error`;
  if (error instanceof UbiOpsApiError && error.status === 401) {
    return new MessageNode(id, parent, vscode.l10n.t('The token was refused: sign in again'), {
      icon: 'warning',
      tooltip: describeError(error),
      command: { title: vscode.l10n.t('Sign In'), command: 'ubiops.signIn' },
      contextValue: 'ubiops.error.unauthorized',
    });
  }
  return new MessageNode(id, parent, vscode.l10n.t('Could not load: {0} (click to retry)', shortReason(error)), {
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
