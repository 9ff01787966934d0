import * as vscode from 'vscode';
import type { EnvironmentFilter } from '../explorer/context';
import type { EnvironmentsProvider } from '../explorer/environmentsProvider';
import type { TreeNode } from '../explorer/treeNode';
import { validation } from './environmentCommands';
import { parseLabelInput } from './inputChecks';
import { inert } from '../ui/text';
import { kindOf, pickNode } from './pickNode';

/** The UbiOps id of a node: the project, environment, revision or build id. */
function idOf(node: TreeNode): string | undefined {
  const data = node as Partial<Record<'project' | 'environment' | 'revision' | 'build', { id?: unknown }>>;
  const object = data.build ?? data.revision ?? data.environment ?? data.project;
  return typeof object?.id === 'string' ? object.id : undefined;
}

/** "Copy ID": the id of a project, environment, revision or build, to the clipboard. */
export async function copyId(explorer: EnvironmentsProvider, node?: TreeNode): Promise<void> {
  const target = node ?? (await pickNode(explorer, 'build', vscode.l10n.t('Copy the ID of a Build')));
  const id = target && idOf(target);
  if (!id) {
    return;
  }
  await vscode.env.clipboard.writeText(id);
  vscode.window.setStatusBarMessage(
    vscode.l10n.t('$(clippy) Copied the {0} id {1}', kindOf(target) ?? '', inert(id)),
    3000,
  );
}

/** "Filter Environments…": custom, base or all, and labels, using the API's own query parameters. */
export async function filterEnvironments(explorer: EnvironmentsProvider): Promise<void> {
  const current = explorer.currentFilter;
  const types: { label: string; description: string; type: EnvironmentFilter['type'] }[] = [
    {
      label: vscode.l10n.t('Custom environments'),
      description: vscode.l10n.t('the ones of your projects'),
      type: 'custom',
    },
    {
      label: vscode.l10n.t('Base environments'),
      description: vscode.l10n.t('provided by UbiOps, read-only'),
      type: 'base',
    },
    { label: vscode.l10n.t('All environments'), description: vscode.l10n.t('custom and base'), type: 'all' },
  ];
  const type = await vscode.window.showQuickPick(
    types.map((item) => ({
      ...item,
      picked: item.type === current.type,
      detail: item.type === current.type ? vscode.l10n.t('current') : undefined,
    })),
    { title: vscode.l10n.t('Filter Environments (1/2): which kind?'), ignoreFocusOut: true },
  );
  if (!type) {
    return;
  }
  const labels = await vscode.window.showInputBox({
    title: vscode.l10n.t('Filter Environments (2/2): labels'),
    prompt: vscode.l10n.t(
      'Show environments with any of these labels, as key:value pairs separated by commas. Leave empty for no label filter.',
    ),
    placeHolder: vscode.l10n.t('team:data, stage:production'),
    value: Object.entries(current.labels)
      .map(([key, value]) => `${key}:${value}`)
      .join(', '),
    ignoreFocusOut: true,
    // Labels outside the documented rule still filter: the server matches them or not.
    validateInput: (value) => validation(parseLabelInput(value).check),
  });
  if (labels === undefined) {
    return;
  }
  await explorer.setFilter({ type: type.type, labels: parseLabelInput(labels).labels ?? {} });
}

/** `k:v, k2:v2` to a label map, or the reason it is not one (the rules live in `src/api/rules.ts`). */
export { parseLabels } from '../api/rules';

/** "Clear Filter": back to the custom environments, no labels. */
export async function clearFilter(explorer: EnvironmentsProvider): Promise<void> {
  await explorer.setFilter({ type: 'custom', labels: {} });
}
