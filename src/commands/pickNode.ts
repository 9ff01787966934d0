import * as vscode from 'vscode';
import { inert } from '../ui/text';
import type { EnvironmentsProvider } from '../explorer/environmentsProvider';
import type { TreeNode } from '../explorer/treeNode';

export type NodeKind = 'project' | 'environment' | 'revision' | 'build' | 'dependencyFile';

export function kindOf(node: unknown): NodeKind | undefined {
  const kind = (node as { kind?: unknown } | undefined)?.kind;
  return typeof kind === 'string' ? (kind as NodeKind) : undefined;
}

/** A first item offered at the wanted level, under a node of kind `under` (e.g. "New environment…" in a project). */
export interface LeadingItem {
  under: NodeKind;
  label: string;
  detail?: string;
}

/** The leading item was picked, under this node. */
export interface LeadingPick {
  leadingUnder: TreeNode;
}

/**
 * From the command palette: walks the tree level by level with QuickPicks, using the tree's own loaders (so a
 * level already loaded costs no request), until the user picks a node of the wanted kind. Undefined if dismissed.
 */
export async function pickNode<T extends TreeNode>(
  explorer: EnvironmentsProvider,
  wanted: NodeKind,
  title: string,
  accept?: (node: T) => boolean,
): Promise<T | undefined>;
export async function pickNode<T extends TreeNode>(
  explorer: EnvironmentsProvider,
  wanted: NodeKind,
  title: string,
  accept: (node: T) => boolean,
  leading: LeadingItem,
): Promise<T | LeadingPick | undefined>;
export async function pickNode<T extends TreeNode>(
  explorer: EnvironmentsProvider,
  wanted: NodeKind,
  title: string,
  accept: (node: T) => boolean = () => true,
  leading?: LeadingItem,
): Promise<T | LeadingPick | undefined> {
  let parent: TreeNode | undefined;
  for (;;) {
    const children = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Loading UbiOps…') },
      () => explorer.getChildren(parent),
    );
    if (!parent && children.length === 0) {
      const signIn = vscode.l10n.t('Sign In');
      const choice = await vscode.window.showInformationMessage(
        vscode.l10n.t('UbiOps: sign in first, or try the local emulator.'),
        signIn,
        vscode.l10n.t('Try the Local Emulator'),
      );
      if (choice) {
        await vscode.commands.executeCommand(choice === signIn ? 'ubiops.signIn' : 'ubiops.tryEmulator');
      }
      return undefined;
    }
    const candidates = children.filter((child) =>
      kindOf(child) === wanted ? accept(child as T) : !!child.loadChildren,
    );
    const messages = children.filter((child) => !kindOf(child));
    const lead = leading && parent && kindOf(parent) === leading.under ? { ...leading, node: undefined } : undefined;
    if (candidates.length === 0 && !lead) {
      const reason = messages.map((message) => labelText(message.getTreeItem())).join('; ');
      void vscode.window.showWarningMessage(
        inert(
          reason
            ? vscode.l10n.t('UbiOps: nothing to choose here: {0}.', reason)
            : vscode.l10n.t('UbiOps: nothing to choose here.'),
        ),
      );
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      [
        ...(lead ? [lead] : []),
        ...candidates.map((node) => {
          const item = node.getTreeItem();
          const label = labelText(item) || node.id;
          const icon = item.iconPath instanceof vscode.ThemeIcon ? `$(${item.iconPath.id.replace('~spin', '')}) ` : '';
          // The row's label and description are server text: inert, while the row's own icon stays an icon.
          return {
            label: `${icon}${inert(label)}`,
            description: typeof item.description === 'string' ? inert(item.description) : undefined,
            node,
          };
        }),
      ],
      {
        title,
        placeHolder: vscode.l10n.t('Choose a {0}', levelName(lead ? wanted : kindOf(candidates[0]))),
        matchOnDescription: true,
        ignoreFocusOut: true,
      },
    );
    if (!picked) {
      return undefined;
    }
    if (!picked.node) {
      return { leadingUnder: parent as TreeNode };
    }
    if (kindOf(picked.node) === wanted) {
      return picked.node as T;
    }
    parent = picked.node;
  }
}

/** One of several names (from a server, or file names) in a QuickPick, shown inert; the name as it was, or undefined. */
export async function pickName(
  names: readonly string[],
  options: vscode.QuickPickOptions,
): Promise<string | undefined> {
  const picked = await vscode.window.showQuickPick(
    names.map((name) => ({ label: inert(name), name })),
    options,
  );
  return picked?.name;
}

function levelName(kind: NodeKind | undefined): string {
  switch (kind) {
    case 'dependencyFile':
      return vscode.l10n.t('dependency file');
    default:
      return kind ?? 'item';
  }
}

/** A tree item's label as text (a label may be a string or a `TreeItemLabel`). */
function labelText(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}
