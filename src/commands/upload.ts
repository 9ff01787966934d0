import * as path from 'node:path';
import * as vscode from 'vscode';
import { inert } from '../ui/text';
import { UbiOpsApiError, type EnvironmentRevisionCreate } from '../api';
import { formatBytes } from '../archive/format';
import { loadArchive } from '../archive/lazy';
import type { PackManifest } from '../archive/pack';
import { EnvironmentNode } from '../explorer/environmentNode';
import type { ProjectNode } from '../explorer/projectNode';
import type { TreeNode } from '../explorer/treeNode';
import { deployToNewEnvironment, NEW_ENVIRONMENT_ITEM } from './deployCommands';
import { offerBuildLog } from './logCommands';
import { notOnDisk, workspaceFolderOnDisk } from './onDisk';
import { pickNode } from './pickNode';
import type { CommandDeps } from './registerCommands';
import { confirmUpload, isFolder, packOptions, scanForUpload } from './uploadScan';
import { Cancelled, explained, noteCancellation, retryAction, UserError } from './userError';

const REMEMBERED_FOLDERS = 'ubiops.uploadFolders';

function folderKey(environment: EnvironmentNode): string {
  return `${environment.context.connection.host}|${environment.projectName}|${environment.environmentName}`;
}

function rememberedFolders(deps: CommandDeps): Record<string, string> {
  return deps.state.get<Record<string, string>>(REMEMBERED_FOLDERS) ?? {};
}

/** The folder offered first for the environment's next upload. */
export async function rememberFolder(deps: CommandDeps, environment: EnvironmentNode, folder: string): Promise<void> {
  await deps.state.update(REMEMBERED_FOLDERS, { ...rememberedFolders(deps), [folderKey(environment)]: folder });
}

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

/**
 * Step 3: packs what `scanned` showed (a retry scans afresh), uploads it, remembers the folder and follows the
 * build. `newEnvironment`: the environment was made for this upload, so a failure says that it exists and stays
 * (nothing is deleted behind the user's back).
 */
export async function packAndUpload(
  deps: CommandDeps,
  environment: EnvironmentNode,
  folder: string,
  scanned?: PackManifest,
  newEnvironment = false,
): Promise<void> {
  const name = environment.environmentName;
  const sending = noteCancellation(
    sendFolder(environment, folder, scanned),
    vscode.l10n.t('Upload to {0} cancelled; nothing was created.', name),
  );
  const created = await explained(
    sending,
    (reason, error) => {
      const sent = error instanceof UbiOpsApiError && error.status !== undefined;
      const outcome = sent ? vscode.l10n.t('UbiOps refused it') : vscode.l10n.t('nothing was created');
      return newEnvironment
        ? vscode.l10n.t(
            'UbiOps: the environment {0} was created, but the upload of {1} to it failed ({2}): {3}. The environment stays; retry now, or later with Upload Folder as New Revision.',
            name,
            path.basename(folder),
            outcome,
            reason,
          )
        : vscode.l10n.t(
            'UbiOps: the upload of {0} to {1} failed ({2}): {3}',
            path.basename(folder),
            name,
            outcome,
            reason,
          );
    },
    [retryAction(() => packAndUpload(deps, environment, folder, undefined, newEnvironment))],
  );
  await rememberFolder(deps, environment, folder);
  afterNewRevision(deps, environment, created, `Uploaded ${path.basename(folder)} to ${name}`);
}

/** Packs `folder` as `scanned` showed it (or scans afresh) and streams it into the upload, under a progress. */
function sendFolder(
  environment: EnvironmentNode,
  folder: string,
  scanned: PackManifest | undefined,
): Thenable<EnvironmentRevisionCreate> {
  const { client } = environment.context.connection;
  const name = environment.environmentName;
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: inert(vscode.l10n.t('Uploading {0} to {1}', path.basename(folder), name)),
      cancellable: true,
    },
    async (progress, cancellation) => {
      const controller = new AbortController();
      cancellation.onCancellationRequested(() => controller.abort());
      const step = progressSteps(progress);
      // The zip is streamed from the folder into the upload (no temporary zip); what is deflated first depends on
      // the link, as the previous uploads to this host measured it (src/archive/storedZip.ts).
      const upload = await loadArchive().prepareZipUpload(folder, {
        ...packOptions(folder),
        scanned,
        signal: controller.signal,
        linkBytesPerSecond: client.uploadBytesPerSecond(),
        onProgress: ({ files, totalFiles, bytes, totalBytes }) =>
          step(
            (totalBytes ? bytes / totalBytes : files / Math.max(1, totalFiles)) * 0.2,
            `packing ${files} of ${totalFiles} files`,
          ),
      });
      try {
        return await client.uploadRevision(environment.projectName, name, upload, {
          signal: controller.signal,
          fileName: `${path.basename(folder) || name}.zip`,
          onProgress: ({ bytes, total }) =>
            step(
              0.2 + 0.8 * (total ? bytes / total : 0),
              `sending ${formatBytes(bytes)} of ${formatBytes(total ?? upload.length)}`,
            ),
        });
      } finally {
        await upload.dispose();
      }
    },
  );
}

/** Reports a fraction done (0–1) to a progress that takes increments. */
export function progressSteps(
  progress: vscode.Progress<{ message?: string; increment?: number }>,
): (fraction: number, message: string) => void {
  let reported = 0;
  return (fraction, message) => {
    const percent = Math.min(100, Math.round(fraction * 100));
    progress.report({ increment: percent - reported, message });
    reported = percent;
  };
}

export function afterNewRevision(
  deps: CommandDeps,
  environment: EnvironmentNode,
  created: EnvironmentRevisionCreate,
  what: string,
): void {
  const ref = {
    host: environment.context.connection.host,
    project: environment.projectName,
    environment: environment.environmentName,
    revision: created.revision,
    build: created.build,
  };
  deps.tracker.follow(ref);
  environment.context.model.invalidate(environment.place);
  deps.walkthrough.complete('upload');
  offerBuildLog(deps, ref, what);
}
