/** Reading the Environments tree and making folders to upload, as the integration tests do. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EnvironmentNode } from '../../src/explorer/environmentNode';
import type { TreeNode } from '../../src/explorer/treeNode';

/** The row's text, as the tree shows it. */
export function labelOf(node: TreeNode): string {
  const label = node.getTreeItem().label;
  return typeof label === 'string' ? label : (label?.label ?? '');
}

/** An environment row's environment name (its label may be the display name); any other row's label. */
export function nameOf(node: TreeNode): string {
  return (node as Partial<EnvironmentNode>).environment?.name ?? labelOf(node);
}

/** A folder `name` in `dir` holding `files` (name → text), as the Explorer would hand it to a command. */
export async function folderWith(dir: string, name: string, files: Record<string, string>): Promise<vscode.Uri> {
  const folder = path.join(dir, name);
  await fs.mkdir(folder, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    await fs.writeFile(path.join(folder, file), content);
  }
  return vscode.Uri.file(folder);
}
