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
 * Each level has Refresh (what changed elsewhere, in the web app or the CLI, shows without leaving the walk; the
 * tree is refreshed with it) and, below the first, Back to the level above.
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
  const walk: Walk = { explorer, wanted, title, accept: (node) => accept(node as T), leading };
  let parent: TreeNode | undefined;
  for (;;) {
    const children = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Loading UbiOps…') },
      () => explorer.getChildren(parent),
    );
    if (!parent && children.length === 0) {
      await offerSignIn();
      return undefined;
    }
    const picked = await pickFromLevel(walk, parent, levelOf(walk, parent, children));
    if (picked === undefined) {
      return undefined;
    }
    if (picked === BACK) {
      parent = parent?.parent;
    } else if (!picked.node) {
      return { leadingUnder: parent as TreeNode };
    } else if (kindOf(picked.node) === wanted) {
      return picked.node as T;
    } else {
      parent = picked.node;
    }
  }
}

interface Walk {
  explorer: EnvironmentsProvider;
  wanted: NodeKind;
  title: string;
  accept: (node: TreeNode) => boolean;
  leading?: LeadingItem;
}

/**
 * A row of a level: a node to pick or go into; the leading item (neither); or, where there is nothing to choose, what
 * the tree says instead ("No builds", "Could not load: … (click to retry)"), whose row does what the tree's does.
 */
type LevelItem = vscode.QuickPickItem & { node?: TreeNode; message?: { command?: vscode.Command } };

interface Level {
  items: LevelItem[];
  placeholder: string;
}

const BACK = 'back';

async function offerSignIn(): Promise<void> {
  const signIn = vscode.l10n.t('Sign In');
  const choice = await vscode.window.showInformationMessage(
    vscode.l10n.t('UbiOps: sign in first, or try the local emulator.'),
    signIn,
    vscode.l10n.t('Try the Local Emulator'),
  );
  if (choice) {
    await vscode.commands.executeCommand(choice === signIn ? 'ubiops.signIn' : 'ubiops.tryEmulator');
  }
}

/** The rows a level offers: the leading item where it belongs, then the nodes to pick or to go into. */
function levelOf(walk: Walk, parent: TreeNode | undefined, children: TreeNode[]): Level {
  const candidates = children.filter((child) =>
    kindOf(child) === walk.wanted ? walk.accept(child) : !!child.loadChildren,
  );
  const lead = walk.leading && parent && kindOf(parent) === walk.leading.under ? walk.leading : undefined;
  if (candidates.length === 0 && !lead) {
    // Nothing to choose: the level stays open with what the tree says, so that Back or Refresh can follow.
    const messages = children.filter((child) => !kindOf(child));
    return {
      items: messages.length
        ? messages.map((message) => ({
            ...rowOf(message),
            node: undefined,
            message: { command: message.getTreeItem().command },
          }))
        : [{ label: vscode.l10n.t('$(info) Nothing to choose here'), message: {} }],
      placeholder: vscode.l10n.t('Nothing to choose here: go Back, or Refresh'),
    };
  }
  return {
    items: [...(lead ? [{ label: lead.label, detail: lead.detail }] : []), ...candidates.map((node) => rowOf(node))],
    placeholder: vscode.l10n.t('Choose a {0}', levelName(lead ? walk.wanted : kindOf(candidates[0]))),
  };
}

/** A node as a row: its icon, and its label and description inert (server text). */
function rowOf(node: TreeNode): LevelItem {
  const item = node.getTreeItem();
  const label = labelText(item) || node.id;
  const icon = item.iconPath instanceof vscode.ThemeIcon ? `$(${item.iconPath.id.replace('~spin', '')}) ` : '';
  return {
    label: `${icon}${inert(label)}`,
    description: typeof item.description === 'string' ? inert(item.description) : undefined,
    node,
  };
}

/** Shows one level; resolves with the row picked, BACK, or undefined when dismissed. */
function pickFromLevel(
  walk: Walk,
  parent: TreeNode | undefined,
  level: Level,
): Promise<LevelItem | typeof BACK | undefined> {
  const refresh: vscode.QuickInputButton = {
    iconPath: new vscode.ThemeIcon('refresh'),
    tooltip: vscode.l10n.t('Refresh'),
  };
  const pick = vscode.window.createQuickPick<LevelItem>();
  pick.title = walk.title;
  pick.placeholder = level.placeholder;
  pick.items = level.items;
  pick.matchOnDescription = true;
  pick.ignoreFocusOut = true;
  pick.buttons = parent ? [vscode.QuickInputButtons.Back, refresh] : [refresh];
  return new Promise<LevelItem | typeof BACK | undefined>((resolve) => {
    let ended = false;
    const done = (value: LevelItem | typeof BACK | undefined) => {
      if (!ended) {
        ended = true;
        resolve(value);
        pick.dispose(); // hides it, which calls done() again: ignored
      }
    };
    pick.onDidAccept(() => {
      const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
      const command = chosen?.message?.command;
      if (chosen?.message && (!command || command.command === 'ubiops.refresh')) {
        // "No builds", "Could not load: … (click to retry)": look again.
        if (!pick.busy) void reload(walk, parent, pick);
      } else if (command) {
        done(undefined); // "The token was refused: sign in again": the tree's own action, and the walk ends
        void vscode.commands.executeCommand(command.command, ...((command.arguments ?? []) as unknown[]));
      } else if (chosen) {
        done(chosen);
      }
    });
    pick.onDidHide(() => done(undefined));
    pick.onDidTriggerButton((button) => {
      if (button === vscode.QuickInputButtons.Back) {
        done(BACK);
      } else if (!pick.busy) {
        void reload(walk, parent, pick);
      }
    });
    pick.show();
  });
}

/** Refresh: the model forgets the level (the tree's rows with it) and the pick shows it loaded again. */
async function reload(walk: Walk, parent: TreeNode | undefined, pick: vscode.QuickPick<LevelItem>): Promise<void> {
  pick.busy = true;
  try {
    walk.explorer.refresh(parent);
    const level = levelOf(walk, parent, await walk.explorer.getChildren(parent));
    pick.items = level.items;
    pick.placeholder = level.placeholder;
  } finally {
    pick.busy = false;
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
