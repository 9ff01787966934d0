import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EnvironmentList } from '../api';
import { descriptionProblem, displayNameProblem, environmentNameProblem, proposeEnvironmentName } from '../api/rules';
import { describeError } from '../connection/connectionManager';
import { EnvironmentNode } from '../explorer/environmentNode';
import type { ProjectNode } from '../explorer/projectNode';
import type { LeadingItem } from './pickNode';
import type { CommandDeps } from './registerCommands';
import { confirmUpload, packAndUpload, rememberFolder, scanForUpload } from './revisionCommands';
import { inert } from '../ui/text';

const LAST_BASE = 'ubiops.lastBaseEnvironment';

/** The first item of the environment picker of "Upload Folder as New Revision…". */
export const NEW_ENVIRONMENT_ITEM: LeadingItem = {
  under: 'project',
  label: vscode.l10n.t('$(add) New environment from this folder…'),
  detail: vscode.l10n.t(
    'Create an environment named after the folder, upload the folder to it and build it, in one go',
  ),
};

/**
 * "New environment from this folder…" (as the CLI's `environments deploy`): a name made from the folder's, a base
 * environment (the one used last first, deprecated ones marked), an optional display name and description; then
 * create, upload and follow the build. If the upload fails after the create, the environment stays and the user
 * is told so, with a retry.
 */
export async function deployToNewEnvironment(deps: CommandDeps, project: ProjectNode, folder?: string): Promise<void> {
  folder ??= (
    await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      openLabel: vscode.l10n.t('Deploy to a New Environment'),
      title: vscode.l10n.t('Choose the folder with the dependency files'),
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    })
  )?.[0]?.fsPath;
  if (!folder) {
    return;
  }
  const manifest = await scanForUpload(folder);
  if (!manifest) {
    return;
  }
  const { client } = project.context.connection;
  let all: EnvironmentList[];
  try {
    all = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Loading environments…') },
      () => client.listEnvironments(project.projectName, { environment_type: 'all' }),
    );
  } catch (error) {
    void vscode.window.showErrorMessage(
      inert(
        vscode.l10n.t('UbiOps: could not list the environments of {0}: {1}', project.projectName, describeError(error)),
      ),
    );
    return;
  }
  const folderName = path.basename(folder);
  const title = vscode.l10n.t('New Environment from {0} in {1}', folderName, project.projectName);
  const taken = new Set(all.map((environment) => environment.name));
  const name = (
    await vscode.window.showInputBox({
      title: vscode.l10n.t('{0} (1/4): name', title),
      prompt: vscode.l10n.t(
        "Lowercase letters, digits and dashes, starting with a letter. Made from the folder's name.",
      ),
      value: proposeEnvironmentName(folderName, taken),
      ignoreFocusOut: true,
      validateInput: (value) => environmentNameProblem(value.trim(), taken),
    })
  )?.trim();
  if (name === undefined) {
    return;
  }
  const base = await pickBase(deps, all, vscode.l10n.t('{0} (2/4): base environment', title));
  if (!base) {
    return;
  }
  const displayName = await vscode.window.showInputBox({
    title: vscode.l10n.t('{0} (3/4): display name', title),
    prompt: vscode.l10n.t('Optional: shown in UbiOps instead of the name. Leave empty to use the name.'),
    ignoreFocusOut: true,
    validateInput: (value) => displayNameProblem(value),
  });
  if (displayName === undefined) {
    return;
  }
  const description = await vscode.window.showInputBox({
    title: vscode.l10n.t('{0} (4/4): description', title),
    prompt: vscode.l10n.t('Optional, at most 400 characters.'),
    ignoreFocusOut: true,
    validateInput: descriptionProblem,
  });
  if (description === undefined) {
    return;
  }
  if (
    !(await confirmUpload(
      folder,
      manifest,
      vscode.l10n.t('Create the environment {0} on {1} and upload {2} to it?', name, base.name, folderName),
    ))
  ) {
    return;
  }
  let created: EnvironmentList;
  try {
    created = await client.createEnvironment(project.projectName, {
      name,
      base_environment: base.name,
      ...(displayName.trim() ? { display_name: displayName.trim() } : {}),
      ...(description.trim() ? { description: description.trim() } : {}),
    });
  } catch (error) {
    void vscode.window.showErrorMessage(
      inert(
        vscode.l10n.t(
          'UbiOps: could not create {0} (nothing was created or uploaded): {1}',
          name,
          describeError(error),
        ),
      ),
    );
    return;
  }
  await deps.state.update(LAST_BASE, base.name);
  const environment = new EnvironmentNode(project.context, project, created);
  await rememberFolder(deps, environment, folder);
  deps.explorer.refresh(project);
  deps.walkthrough.complete('create');
  await packAndUpload(deps, environment, folder, manifest, true);
}

async function pickBase(
  deps: CommandDeps,
  all: EnvironmentList[],
  title: string,
): Promise<EnvironmentList | undefined> {
  const last = deps.state.get<string>(LAST_BASE);
  const rank = (environment: EnvironmentList): number =>
    environment.name === last ? 0 : environment.deprecated ? 2 : 1;
  const bases = all
    .filter((environment) => environment.project === null)
    .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  const picked = await vscode.window.showQuickPick(
    bases.map((environment) => ({
      label: `${environment.deprecated ? '$(warning) ' : ''}${environment.display_name || environment.name}`,
      description: [
        environment.name,
        environment.name === last ? vscode.l10n.t('used last') : undefined,
        environment.gpu_required ? 'GPU' : undefined,
        environment.deprecated ? vscode.l10n.t('deprecated') : undefined,
      ]
        .filter(Boolean)
        .join(' · '),
      environment,
    })),
    {
      title,
      placeHolder: vscode.l10n.t('The runtime to build on; it cannot be changed later'),
      matchOnDescription: true,
      ignoreFocusOut: true,
    },
  );
  return picked?.environment;
}
