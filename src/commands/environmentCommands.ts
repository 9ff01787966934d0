import * as vscode from 'vscode';
import { UbiOpsApiError, type EnvironmentUpdate } from '../api';
import { describeError } from '../connection/connectionManager';
import { EnvironmentNode } from '../explorer/environmentNode';
import { ProjectNode } from '../explorer/projectNode';
import type { TreeNode } from '../explorer/treeNode';
import { confirmModal } from './confirm';
import type { CommandDeps } from './registerCommands';
import { pickNode } from './pickNode';
import { labelPairs } from '../explorer/describe';
import { inert } from '../ui/text';
import {
  askNewEnvironment,
  descriptionStep,
  displayNameStep,
  emptyDraft,
  labelsStep,
  rememberBase,
} from './environmentSteps';
import { nameCheck, parseLabelInput } from './inputChecks';
import { executeCommand } from './commandRunner';
import { runSteps, validation } from './multiStepInput';
import { explained, UserError } from './userError';

/** How an input check is shown (the palette's label filter in viewCommands.ts imports it from here). */
export { validation };

/** The server's rules, checked as the user types (the server still decides): see `src/api/rules.ts`. */
export { descriptionProblem, environmentNameProblem } from '../api/rules';

function labelsText(labels: Record<string, string> | null): string {
  return labelPairs(labels).join(', ');
}

/** The project a command was invoked on, else one the user picks in the palette. */
function projectNode(deps: CommandDeps, node: TreeNode | undefined, title: string): Promise<ProjectNode | undefined> {
  return node instanceof ProjectNode ? Promise.resolve(node) : pickNode<ProjectNode>(deps.explorer, 'project', title);
}

/** The environment a command was invoked on, else one the user picks: one they can change, unless `anyKind`. */
function environmentNode(
  deps: CommandDeps,
  node: TreeNode | undefined,
  title: string,
  anyKind = false,
): Promise<EnvironmentNode | undefined> {
  return node instanceof EnvironmentNode
    ? Promise.resolve(node)
    : pickNode<EnvironmentNode>(deps.explorer, 'environment', title, (candidate) => anyKind || !candidate.isBase);
}

/** The nodes a tree command acts on: the multi-selection when the clicked node is in it, else the node. */
export function selection<T>(node: T | undefined, nodes: readonly T[] | undefined): T[] {
  if (nodes?.length && node && nodes.includes(node)) {
    return [...nodes];
  }
  return node ? [node] : [];
}

/**
 * "Create Environment": a multi-step input (name checked as typed, base environment from the API's list, display
 * name, description, labels; Back keeps what was entered), then an offer to upload a folder into it.
 */
export async function createEnvironment(deps: CommandDeps, node?: TreeNode): Promise<void> {
  const project = await projectNode(deps, node, vscode.l10n.t('Create an Environment in…'));
  if (!project) {
    return;
  }
  const asked = await askNewEnvironment(
    deps,
    project,
    vscode.l10n.t('Create an Environment in {0}', project.projectName),
    {
      namePrompt: vscode.l10n.t(
        'Usually lowercase letters, digits and dashes, starting with a letter. It cannot be changed without renaming.',
      ),
      more: [labelsStep(vscode.l10n.t('Optional key:value pairs separated by commas.'))],
    },
  );
  if (!asked) {
    return;
  }
  const { body, base } = asked;
  // The server is the judge: its message is shown as it came (inert, by the command runner).
  await explained(project.context.connection.client.createEnvironment(project.projectName, body), (reason) =>
    vscode.l10n.t('UbiOps: could not create {0}: {1}', body.name, reason),
  );
  await rememberBase(deps, base);
  project.context.model.invalidate(project.place);
  deps.walkthrough.complete('create');
  await offerUpload(deps, project, body.name, base.name);
}

async function offerUpload(deps: CommandDeps, project: ProjectNode, name: string, base: string): Promise<void> {
  const created = vscode.l10n.t(
    'UbiOps: created the environment {0} on {1}. Upload a folder with its dependency files to build it.',
    name,
    base,
  );
  const choice = await vscode.window.showInformationMessage(inert(created), vscode.l10n.t('Upload a Folder…'));
  if (choice) {
    const node = (await deps.explorer.getChildren(project)).find(
      (child): child is EnvironmentNode => child instanceof EnvironmentNode && child.environmentName === name,
    );
    await executeCommand('ubiops.uploadFolder', node);
  }
}

/** "Edit Environment": display name, description and labels, as steps (labels replace the old ones whole). */
export async function editEnvironment(deps: CommandDeps, node?: TreeNode): Promise<void> {
  const target = await environmentNode(deps, node, vscode.l10n.t('Edit an Environment'));
  if (!target || target.isBase) {
    return;
  }
  const environment = target.environment;
  const draft = await runSteps(
    vscode.l10n.t('Edit {0}', environment.name),
    [
      displayNameStep(),
      descriptionStep(),
      labelsStep(vscode.l10n.t('key:value pairs separated by commas; these replace the current labels.')),
    ],
    {
      ...emptyDraft(environment.name),
      displayName: environment.display_name ?? '',
      description: environment.description ?? '',
      labels: labelsText(environment.labels),
    },
  );
  if (!draft) {
    return;
  }
  const update: EnvironmentUpdate = {};
  if (draft.displayName.trim() !== (environment.display_name ?? '')) {
    update.display_name = draft.displayName.trim();
  }
  if (draft.description.trim() !== (environment.description ?? '')) {
    update.description = draft.description.trim();
  }
  const newLabels = parseLabelInput(draft.labels).labels ?? {};
  if (labelsText(newLabels) !== labelsText(environment.labels)) {
    update.labels = newLabels;
  }
  if (Object.keys(update).length === 0) {
    void vscode.window.showInformationMessage(
      inert(vscode.l10n.t('UbiOps: nothing changed in {0}.', environment.name)),
    );
    return;
  }
  await applyUpdate(target, update);
}

/** "Rename Environment". */
export async function renameEnvironment(deps: CommandDeps, node?: TreeNode): Promise<void> {
  const target = await environmentNode(deps, node, vscode.l10n.t('Rename an Environment'));
  if (!target || target.isBase) {
    return;
  }
  const siblings = await deps.explorer.getChildren(target.parent);
  const taken = new Set(
    siblings
      .filter((child): child is EnvironmentNode => child instanceof EnvironmentNode && child !== target)
      .map((child) => child.environmentName),
  );
  const name = await vscode.window.showInputBox({
    title: inert(vscode.l10n.t('Rename {0}', target.environmentName)),
    prompt: vscode.l10n.t('Deployment versions that use it follow the new name.'),
    value: target.environmentName,
    ignoreFocusOut: true,
    validateInput: (value) =>
      value.trim() === target.environmentName ? undefined : validation(nameCheck(value.trim(), taken)),
  });
  if (name === undefined || name.trim() === target.environmentName) {
    return;
  }
  await applyUpdate(target, { name: name.trim() });
}

async function applyUpdate(target: EnvironmentNode, update: EnvironmentUpdate): Promise<void> {
  await explained(
    target.context.connection.client.updateEnvironment(target.projectName, target.environmentName, update),
    (reason) => vscode.l10n.t('UbiOps: could not update {0}: {1}', target.environmentName, reason),
  );
  // The environment's row is its project's child: reloading the project shows the new name, labels, description.
  target.context.model.invalidate(target.parent.place);
  void vscode.window.setStatusBarMessage(
    vscode.l10n.t('$(check) Updated {0}', inert(update.name ?? target.environmentName)),
    3000,
  );
}

/**
 * "Delete Environment": one modal confirmation naming the environments. When deployment versions use one, the
 * refusal lists them.
 */
export async function deleteEnvironments(
  deps: CommandDeps,
  node?: TreeNode,
  nodes?: readonly TreeNode[],
): Promise<void> {
  let targets = selection(node, nodes).filter(
    (item): item is EnvironmentNode => item instanceof EnvironmentNode && !item.isBase,
  );
  if (targets.length === 0) {
    const picked = await environmentNode(deps, undefined, vscode.l10n.t('Delete an Environment'));
    if (!picked) {
      return;
    }
    targets = [picked];
  }
  const names = targets.map((target) => target.environmentName);
  const what =
    names.length === 1
      ? vscode.l10n.t('the environment "{0}"', names[0])
      : `${names.length} environments (${names.join(', ')})`;
  const question = vscode.l10n.t(
    'Delete {0}? Its revisions, builds and files are deleted with it. This cannot be undone.',
    what,
  );
  if (!(await confirmModal(question, vscode.l10n.t('Delete')))) {
    return;
  }
  const refused = (await Promise.all(targets.map(deleteOne))).filter((refusal) => refusal !== undefined);
  for (const project of new Set(targets.map((target) => target.parent))) {
    project.context.model.invalidate(project.place);
  }
  if (refused.length) {
    const reasons = refused.map((refusal) => refusal.reason).join(' ');
    throw new UserError(vscode.l10n.t('UbiOps: not deleted. {0}', reasons), { cause: refused[0].error });
  }
  void vscode.window.setStatusBarMessage(vscode.l10n.t('$(trash) Deleted {0}', inert(names.join(', '))), 4000);
}

/** Deletes one environment; undefined when done, else why not (naming the deployment versions that use it). */
async function deleteOne(target: EnvironmentNode): Promise<{ reason: string; error: unknown } | undefined> {
  const { client } = target.context.connection;
  try {
    await client.deleteEnvironment(target.projectName, target.environmentName);
    return undefined;
  } catch (error) {
    const usage =
      error instanceof UbiOpsApiError && error.status === 400
        ? await client.listEnvironmentUsage(target.projectName, target.environmentName).catch(() => [])
        : [];
    const versions = usage.map((item) => `${item.deployment}/${item.version}`);
    const reason = versions.length
      ? vscode.l10n.t(
          '{0} is used by {1}: move those deployment versions to another environment first.',
          target.environmentName,
          versions.join(', '),
        )
      : `${target.environmentName}: ${describeError(error)}`;
    return { reason, error };
  }
}

/** "Show Usage": the deployment versions that use an environment. */
export async function showUsage(deps: CommandDeps, node?: TreeNode): Promise<void> {
  const target = await environmentNode(deps, node, vscode.l10n.t('Show the Usage of an Environment'), true);
  if (!target) {
    return;
  }
  const usage = await explained(
    target.context.connection.client.listEnvironmentUsage(target.projectName, target.environmentName),
    (reason) => vscode.l10n.t('UbiOps: could not read the usage of {0}: {1}', target.environmentName, reason),
  );
  if (usage.length === 0) {
    void vscode.window.showInformationMessage(
      inert(vscode.l10n.t('UbiOps: no deployment version uses {0}.', target.environmentName)),
    );
    return;
  }
  await vscode.window.showQuickPick(
    usage.map((item) => ({
      label: `$(rocket) ${inert(item.deployment)}`,
      description: inert(vscode.l10n.t('version {0}', item.version)),
      detail: inert(vscode.l10n.t('status: {0}', item.status)),
    })),
    {
      title: inert(
        usage.length === 1
          ? vscode.l10n.t('1 deployment version uses {0}', target.environmentName)
          : vscode.l10n.t('{0} deployment versions use {1}', usage.length, target.environmentName),
      ),
      canPickMany: false,
    },
  );
}

/** "Copy Name": the name of a project or environment. */
export async function copyName(deps: CommandDeps, node?: TreeNode): Promise<void> {
  const target =
    node ??
    (await pickNode<EnvironmentNode>(deps.explorer, 'environment', vscode.l10n.t('Copy the Name of an Environment')));
  const name =
    target instanceof EnvironmentNode
      ? target.environmentName
      : target instanceof ProjectNode
        ? target.projectName
        : undefined;
  if (name) {
    await vscode.env.clipboard.writeText(name);
    vscode.window.setStatusBarMessage(vscode.l10n.t('$(clippy) Copied {0}', inert(name)), 3000);
  }
}
