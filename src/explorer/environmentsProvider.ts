import * as vscode from 'vscode';
import { UbiOpsApiError } from '../api';
import type { ConnectionManager } from '../connection/connectionManager';
import { describeError } from '../connection/connectionManager';
import { ProjectNode } from './projectNode';
import { MessageNode, TreeNode } from './treeNode';

/**
 * The Environments view's data. Children load when a node is expanded, one request per expansion; two loads of
 * the same node at once share one request; refreshing a node reloads that node only. A failed load shows a row
 * that says what went wrong and offers a retry (or, for a 401, to sign in again) instead of an empty tree.
 */
export class EnvironmentsProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;

  private readonly inFlight = new Map<string, Promise<TreeNode[]>>();
  private readonly controllers = new Set<AbortController>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly connections: ConnectionManager) {
    this.subscription = connections.onDidChange(() => this.refresh());
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

  /** Reloads one node's children, or the whole tree. Loads in flight for the tree are cancelled. */
  refresh(node?: TreeNode): void {
    if (!node) {
      for (const controller of this.controllers) {
        controller.abort();
      }
      this.inFlight.clear();
    } else {
      this.inFlight.delete(node.id);
    }
    this.changeEmitter.fire(node);
  }

  dispose(): void {
    for (const controller of this.controllers) {
      controller.abort();
    }
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }

  private async load(node: TreeNode | undefined): Promise<TreeNode[]> {
    const controller = new AbortController();
    this.controllers.add(controller);
    try {
      if (node) {
        return (await node.loadChildren?.(controller.signal)) ?? [];
      }
      const connection = await this.connections.get();
      if (!connection) {
        // Empty: the view's welcome content offers to sign in or to try the emulator.
        return [];
      }
      const projects = await connection.client.listProjects({}, { signal: controller.signal });
      if (projects.length === 0) {
        return [new MessageNode('no-projects', undefined, 'This token has access to no project', { icon: 'info' })];
      }
      return projects.map((project) => new ProjectNode(connection.host, project));
    } catch (error) {
      if (controller.signal.aborted) {
        return [];
      }
      return [errorNode(node, error)];
    } finally {
      this.controllers.delete(controller);
    }
  }
}

function errorNode(parent: TreeNode | undefined, error: unknown): TreeNode {
  const id = `${parent?.id ?? ''}#error`;
  if (error instanceof UbiOpsApiError && error.status === 401) {
    return new MessageNode(id, parent, 'The token was refused: sign in again', {
      icon: 'warning',
      tooltip: describeError(error),
      command: { title: 'Sign In', command: 'ubiops.signIn' },
      contextValue: 'ubiops.error.unauthorized',
    });
  }
  return new MessageNode(id, parent, `Could not load: ${shortReason(error)} (click to retry)`, {
    icon: 'error',
    tooltip: describeError(error),
    command: { title: 'Retry', command: 'ubiops.refresh', arguments: [parent] },
    contextValue: 'ubiops.error',
  });
}

function shortReason(error: unknown): string {
  if (error instanceof UbiOpsApiError) {
    return error.status === undefined ? `cannot reach ${error.host}` : `${error.status} ${error.serverMessage ?? ''}`.trim();
  }
  return error instanceof Error ? error.message : String(error);
}
