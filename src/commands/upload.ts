import * as path from 'node:path';
import * as vscode from 'vscode';
import { inert } from '../ui/text';
import { EnvironmentNode } from '../explorer/environmentNode';
import type { ProjectNode } from '../explorer/projectNode';
import type { TreeNode } from '../explorer/treeNode';
import { deployToNewEnvironment, NEW_ENVIRONMENT_ITEM } from './deployCommands';
import { notOnDisk, workspaceFolderOnDisk } from './onDisk';
import { pickNode } from './pickNode';
import type { CommandDeps } from './registerCommands';
import { confirmUpload, isFolder, scanForUpload } from './uploadScan';
import { folderKey, packAndUpload, rememberedFolders } from './uploadSend';
import { Cancelled, UserError } from './userError';

/** The folder to upload to `environment`: the one last used, or one from a dialog. Throws `Cancelled` if dismissed. */
async function chooseFolder(deps: CommandDeps, environment: EnvironmentNode): Promise<string> {
  const remembered = rememberedFolders(deps)[folderKey(environment)];
  if (remembered && (await isFolder(remembered))) {
    const again = await vscode.window.showQuickPick(
      [
        {
          label: `$(folder) ${inert(path.basename(remembered))}`,
          description: inert(remembered),
          detail: inert(vscode.l10n.t('The folder last uploaded to {0}', environment.environmentName)),
          folder: remembered,
        },
        { label: vscode.l10n.t('$(folder-opened) Choose Another Folder…'), folder: undefined },
      ],
      { title: inert(vscode.l10n.t('Upload to {0}', environment.environmentName)), ignoreFocusOut: true },
    );
    if (!again) {
      throw new Cancelled();
    }
    if (again.folder) {
      return again.folder;
    }
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: vscode.l10n.t('Upload to {0}', environment.environmentName),
    title: inert(vscode.l10n.t("Choose the folder with {0}'s dependency files", environment.environmentName)),
    defaultUri: workspaceFolderOnDisk(),
  });
  if (!picked?.[0]) {
    throw new Cancelled();
  }
  const refused = notOnDisk(picked[0], 'upload');
  if (refused) {
    throw new UserError(refused);
  }
  return picked[0].fsPath;
}

/** Why `environment` cannot take an upload (a base or an implicit environment), as a `UserError`. */
function refuseUploadTo(environment: EnvironmentNode): void {
  if (environment.isBase) {
    throw new UserError(
      vscode.l10n.t(
        'UbiOps: {0} is a base environment provided by UbiOps; it cannot take uploads. Create a custom environment on it instead.',
        environment.environmentName,
      ),
    );
  }
  if (environment.environment.implicit) {
    throw new UserError(
      vscode.l10n.t(
        'UbiOps: {0} is an implicit environment: its files come from its deployment package. Upload a new deployment package, or create a custom environment.',
        environment.environmentName,
      ),
    );
  }
}

/**
 * Step 1, resolve the target: the environment of the tree row, or one picked from the palette ("New environment
 * from this folder" hands over to the deploy flow: undefined then), and the folder of the Explorer, or one asked.
 */
async function resolveTarget(
  deps: CommandDeps,
  target: vscode.Uri | TreeNode | undefined,
): Promise<{ environment: EnvironmentNode; folder: string } | undefined> {
  const refused = target instanceof vscode.Uri ? notOnDisk(target, 'upload') : undefined;
  if (refused) {
    throw new UserError(refused);
  }
  const given = target instanceof vscode.Uri ? target.fsPath : undefined;
  let environment = target instanceof EnvironmentNode ? target : undefined;
  if (!environment) {
    const picked = await pickNode<EnvironmentNode>(
      deps.explorer,
      'environment',
      given ? inert(vscode.l10n.t('Upload {0} to…', path.basename(given))) : vscode.l10n.t('Upload a Folder to…'),
      (candidate) => !candidate.isBase,
      NEW_ENVIRONMENT_ITEM,
    );
    if (!picked) {
      throw new Cancelled();
    }
    if ('leadingUnder' in picked) {
      await deployToNewEnvironment(deps, picked.leadingUnder as ProjectNode, given);
      return undefined;
    }
    environment = picked;
  }
  refuseUploadTo(environment);
  return { environment, folder: given ?? (await chooseFolder(deps, environment)) };
}

/**
 * "Upload Folder as New Revision": from a folder in the Explorer (asks the environment), an environment in the
 * tree (asks the folder, offering the one last used), or the palette (asks both). In three steps: resolve the
 * target; scan the folder and confirm what goes, with what the validators found (uploadScan.ts); pack and upload
 * with a cancellable progress, and follow the new build.
 */
export async function uploadFolder(deps: CommandDeps, target?: vscode.Uri | TreeNode): Promise<void> {
  const resolved = await resolveTarget(deps, target);
  if (!resolved) {
    return;
  }
  const { environment, folder } = resolved;
  const manifest = await scanForUpload(folder);
  const question = vscode.l10n.t(
    'Upload {0} to {1} as a new revision?',
    path.basename(folder),
    environment.environmentName,
  );
  if (await confirmUpload(folder, manifest, question)) {
    await packAndUpload(deps, environment, folder, manifest);
  }
}
