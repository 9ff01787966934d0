import * as path from 'node:path';
import * as vscode from 'vscode';
import { proposeEnvironmentName } from '../api/rules';
import { EnvironmentNode } from '../explorer/environmentNode';
import type { ProjectNode } from '../explorer/projectNode';
import type { LeadingItem } from './pickNode';
import type { CommandDeps } from './registerCommands';
import { packAndUpload, rememberFolder } from './uploadSend';
import { confirmUpload, scanForUpload } from './uploadScan';
import { askNewEnvironment, rememberBase } from './environmentSteps';
import { explained } from './userError';

/** The first item of the environment picker of "Upload Folder as New Revision…". */
export const NEW_ENVIRONMENT_ITEM: LeadingItem = {
  under: 'project',
  label: vscode.l10n.t('$(add) New environment from this folder…'),
  detail: vscode.l10n.t(
    'Create an environment named after the folder, upload the folder to it and build it, in one go',
  ),
};

/**
 * "New environment from this folder…" (as the CLI's `environments deploy`), in three stages: the folder and its
 * scan; a multi-step input (a name made from the folder's, a base environment — the one used last first, deprecated
 * ones marked —, an optional display name and description; Back keeps what was entered); then the confirmation,
 * create, upload and build. If the upload fails after the create, the environment stays and the user is told so,
 * with a retry.
 */
export async function deployToNewEnvironment(deps: CommandDeps, project: ProjectNode, folder?: string): Promise<void> {
  folder ??= await chooseFolder();
  const manifest = folder && (await scanForUpload(folder));
  if (!folder || !manifest) {
    return;
  }
  const folderName = path.basename(folder);
  const title = vscode.l10n.t('New Environment from {0} in {1}', folderName, project.projectName);
  const asked = await askNewEnvironment(deps, project, title, {
    namePrompt: vscode.l10n.t(
      "Usually lowercase letters, digits and dashes, starting with a letter. Made from the folder's name.",
    ),
    proposed: (taken) => proposeEnvironmentName(folderName, taken),
  });
  if (!asked) {
    return;
  }
  const { body, base } = asked;
  const question = vscode.l10n.t(
    'Create the environment {0} on {1} and upload {2} to it?',
    body.name,
    base.name,
    folderName,
  );
  if (!(await confirmUpload(folder, manifest, question))) {
    return;
  }
  const created = await explained(
    project.context.connection.client.createEnvironment(project.projectName, body),
    (reason) => vscode.l10n.t('UbiOps: could not create {0} (nothing was created or uploaded): {1}', body.name, reason),
  );
  await rememberBase(deps, base);
  const environment = new EnvironmentNode(project.context, project, created);
  await rememberFolder(deps, environment, folder);
  project.context.model.invalidate(project.place);
  deps.walkthrough.complete('create');
  await packAndUpload(deps, environment, folder, manifest, true);
}

async function chooseFolder(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: vscode.l10n.t('Deploy to a New Environment'),
    title: vscode.l10n.t('Choose the folder with the dependency files'),
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0]?.fsPath;
}
