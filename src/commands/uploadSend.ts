/**
 * Step 3 of an upload (issue 15 §1: resolve the target → scan and confirm → pack and upload): packs the folder into
 * the upload, remembers the folder for the environment's next upload, and follows the new revision's build. Used by
 * Upload Folder as New Revision (`upload.ts`) and New Environment from Folder (`deployCommands.ts`).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { inert } from '../ui/text';
import { UbiOpsApiError, type EnvironmentRevisionCreate } from '../api';
import { formatBytes } from '../archive/format';
import { loadArchive } from '../archive/lazy';
import type { PackManifest } from '../archive/pack';
import type { EnvironmentNode } from '../explorer/environmentNode';
import { offerBuildLog } from './logCommands';
import type { CommandDeps } from './registerCommands';
import { packOptions } from './uploadScan';
import { explained, noteCancellation, retryAction } from './userError';

const REMEMBERED_FOLDERS = 'ubiops.uploadFolders';

export function folderKey(environment: EnvironmentNode): string {
  return `${environment.context.connection.host}|${environment.projectName}|${environment.environmentName}`;
}

export function rememberedFolders(deps: CommandDeps): Record<string, string> {
  return deps.state.get<Record<string, string>>(REMEMBERED_FOLDERS) ?? {};
}

/** The folder offered first for the environment's next upload. */
export async function rememberFolder(deps: CommandDeps, environment: EnvironmentNode, folder: string): Promise<void> {
  await deps.state.update(REMEMBERED_FOLDERS, { ...rememberedFolders(deps), [folderKey(environment)]: folder });
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
