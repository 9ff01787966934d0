import type { TreeNode } from './treeNode';

/**
 * One node object per id. VS Code finds a tree's elements by identity: an update fired for another object of the
 * same id is ignored, and the row stops changing. So every level is rendered through here: a node already handed
 * out is kept and given the new data, and the tree, the palette's walk and the commands all hold the same objects.
 */
export class NodeCache {
  private readonly nodes = new Map<string, TreeNode>();

  /** The node of `fresh.id` handed out before, updated by `update` with the fresh one's data; else `fresh`. */
  keep<T extends TreeNode>(fresh: T, update: (kept: T, fresh: T) => void): T {
    const kept = this.nodes.get(fresh.id);
    if (kept && kept.constructor === fresh.constructor) {
      update(kept as T, fresh);
      return kept as T;
    }
    this.nodes.set(fresh.id, fresh);
    return fresh;
  }

  get(id: string): TreeNode | undefined {
    return this.nodes.get(id);
  }

  /** Every node kept, for a search by what it shows. */
  all(): IterableIterator<TreeNode> {
    return this.nodes.values();
  }

  /** `parent`'s children are now `children`: forgets the nodes that were under it and no longer are. */
  prune(parentId: string, children: readonly TreeNode[]): void {
    const prefix = parentId ? `${parentId}/` : '';
    const live = children.map((child) => child.id);
    for (const id of [...this.nodes.keys()]) {
      if (id.startsWith(prefix) && !live.some((child) => id === child || id.startsWith(`${child}/`))) {
        this.nodes.delete(id);
      }
    }
  }

  clear(): void {
    this.nodes.clear();
  }
}
