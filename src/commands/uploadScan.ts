import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { inert } from '../ui/text';
import { DEPENDENCY_FILE_NAMES } from '../archive/dependencyFiles';
import { formatBytes } from '../archive/format';
import { loadArchive } from '../archive/lazy';
import type { PackManifest } from '../archive/pack';
import { formatProblem } from '../archive/problems';
import { confirmModal } from './confirm';
import { Cancelled, explained, UserError } from './userError';

// The upload's second step: scan the folder and confirm what goes (upload.ts runs the steps).

export async function isFolder(fsPath: string): Promise<boolean> {
  return fs.stat(fsPath).then(
    (stat) => stat.isDirectory(),
    () => false,
  );
}

/** The folder to upload to `environment`: the one last used, or one from a dialog. Throws `Cancelled` if dismissed. */
const DEFAULT_EXCLUSIONS_SETTING = 'upload.defaultExclusions';

/** The packer's options from the settings of `folder`. */
export function packOptions(folder: string): { defaultExclusions: boolean } {
  return {
    defaultExclusions: vscode.workspace
      .getConfiguration('ubiops', vscode.Uri.file(folder))
      .get<boolean>(DEFAULT_EXCLUSIONS_SETTING, true),
  };
}

/** Up to three names, then "…". */
function firstNames(names: string[]): string {
  return names.slice(0, 3).join(', ') + (names.length > 3 ? ', …' : '');
}

/** What the confirmation shows: what goes, and what the default exclusions, the rules and links leave out or bring in. */
function summary(manifest: PackManifest): string {
  const lines = [
    `${manifest.files.length} file${manifest.files.length === 1 ? '' : 's'}, ${formatBytes(manifest.totalBytes)}; dependency files: ${manifest.dependencyFiles.join(', ')}.`,
  ];
  const named = (byDefault: boolean) => {
    const folders = manifest.excludedFolders
      .filter((folder) => folder.rule.startsWith('default:') === byDefault)
      .map((folder) => `${folder.path}/`);
    return folders.length ? `: ${firstNames(folders)}` : '';
  };
  if (manifest.excludedByDefault) {
    lines.push(
      vscode.l10n.t(
        'The default exclusions (setting ubiops.upload.defaultExclusions) leave out {0} (a folder counts once){1}.',
        manifest.excludedByDefault,
        named(true),
      ),
    );
  }
  const byRules = manifest.excluded - manifest.excludedByDefault;
  if (byRules) {
    lines.push(vscode.l10n.t('.ubiops-ignore leaves out {0} (a folder counts once){1}.', byRules, named(false)));
  }
  if (manifest.linkedFromOutside.length) {
    lines.push(
      vscode.l10n.t(
        'Packed from outside the folder through symbolic links: {0}.',
        firstNames(manifest.linkedFromOutside.map((link) => `${link.path} → ${link.target}`)),
      ),
    );
  }
  if (manifest.skippedLinks.length) {
    lines.push(
      vscode.l10n.t(
        'Symbolic links left out (to a folder, which is not followed, or to nothing): {0}.',
        firstNames(manifest.skippedLinks.map((link) => link.path)),
      ),
    );
  }
  return inert(lines.join('\n'));
}

/**
 * A dependency file that a rule, a link or an unreadable file keeps out of the zip is never left out silently: a
 * modal warning says which and why before anything is sent. True to go on.
 */
async function confirmLeftOutDependencyFiles(manifest: PackManifest, folder: string): Promise<boolean> {
  const leftOut = manifest.leftOutDependencyFiles;
  if (leftOut.length === 0) {
    return true;
  }
  const uploadAnyway = vscode.l10n.t('Upload Anyway');
  const choice = await vscode.window.showWarningMessage(
    inert(
      vscode.l10n.t(
        '{0} will not be in the upload of {1}.',
        leftOut.map((file) => file.name).join(', '),
        path.basename(folder),
      ),
    ),
    {
      modal: true,
      detail:
        inert(leftOut.map((file) => `${file.name}: ${file.reason}.`).join('\n')) +
        '\n\n' +
        vscode.l10n.t(
          'UbiOps builds only the dependency files in the zip. Fix the rule, link or file, or upload without it.',
        ),
    },
    uploadAnyway,
  );
  return choice === uploadAnyway;
}

/**
 * Reads a folder about to be uploaded, after the Restricted Mode question. Throws a `UserError` when it is not a
 * folder or cannot be read, `Cancelled` when the user declines or cancels.
 */
export async function scanForUpload(folder: string): Promise<PackManifest> {
  if (!(await isFolder(folder))) {
    throw new UserError(
      vscode.l10n.t('UbiOps: {0} is not a folder. Choose the folder that holds the dependency files.', folder),
    );
  }
  if (!(await confirmUntrustedUpload(folder))) {
    throw new Cancelled();
  }
  return explained(
    vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: inert(vscode.l10n.t('Reading {0}…', path.basename(folder))),
        cancellable: true,
      },
      (_progress, cancellation) => {
        const controller = new AbortController();
        cancellation.onCancellationRequested(() => controller.abort());
        return loadArchive().scanFolder(folder, { ...packOptions(folder), signal: controller.signal });
      },
    ),
    (reason) => vscode.l10n.t('UbiOps: cannot read {0}: {1}', folder, reason),
  );
}

/** A folder that cannot build (no dependency file) or cannot be read whole: a `UserError` saying which and why. */
function refuseUnbuildable(folder: string, manifest: PackManifest): void {
  if (manifest.dependencyFiles.length === 0) {
    const leftOut = manifest.leftOutDependencyFiles
      .map((file) => vscode.l10n.t(' {0} is there but {1}.', file.name, file.reason))
      .join('');
    throw new UserError(
      vscode.l10n.t(
        'UbiOps: {0} has no dependency file ({1}) at its top level, so a build would fail.',
        path.basename(folder),
        DEPENDENCY_FILE_NAMES.join(', '),
      ) + (leftOut || vscode.l10n.t(' Choose the folder that holds them.')),
    );
  }
  if (manifest.unreadable.length) {
    const names = manifest.unreadable
      .slice(0, 3)
      .map((file) => `${file.path} (${file.reason})`)
      .join(', ');
    throw new UserError(
      manifest.unreadable.length === 1
        ? vscode.l10n.t(
            'UbiOps: 1 file in {0} cannot be read: {1}. Fix its permissions or add it to .ubiops-ignore.',
            path.basename(folder),
            names,
          )
        : vscode.l10n.t(
            'UbiOps: {0} files in {1} cannot be read: {2}. Fix their permissions or add them to .ubiops-ignore.',
            manifest.unreadable.length,
            path.basename(folder),
            names,
          ),
    );
  }
}

/**
 * What the scan found, for a folder about to be uploaded: refuses a folder that cannot build or be read (a
 * `UserError` saying why), else asks, showing the files and the problems that would fail the build. True to go ahead.
 */
export async function confirmUpload(folder: string, manifest: PackManifest, question: string): Promise<boolean> {
  refuseUnbuildable(folder, manifest);
  if (!(await confirmLeftOutDependencyFiles(manifest, folder))) {
    return false;
  }
  const errors = manifest.problems.filter((problem) => problem.severity === 'error');
  const details = [summary(manifest)];
  if (errors.length) {
    const listed = errors.slice(0, 5).map(formatProblem).join('\n') + (errors.length > 5 ? '\n…' : '');
    const heading =
      errors.length === 1
        ? vscode.l10n.t('1 problem will fail the build:')
        : vscode.l10n.t('{0} problems will fail the build:', errors.length);
    details.push(`${heading}\n${listed}`);
  }
  const [showProblem, uploadAnyway, upload] = [
    vscode.l10n.t('Show Problem'),
    vscode.l10n.t('Upload Anyway'),
    vscode.l10n.t('Upload'),
  ];
  const choice = await vscode.window.showInformationMessage(
    inert(question),
    { modal: true, detail: details.join('\n\n') },
    ...(errors.length ? [showProblem, uploadAnyway] : [upload]),
  );
  if (choice === showProblem) {
    const problem = errors[0];
    const document = await vscode.workspace.openTextDocument(path.join(folder, problem.file));
    const range = new vscode.Range(problem.line, problem.column, problem.endLine, problem.endColumn);
    await vscode.window.showTextDocument(document, { selection: range });
    return false;
  }
  return choice !== undefined && choice !== showProblem;
}

/**
 * Restricted Mode (package.json `capabilities.untrustedWorkspaces: limited`): a folder of a workspace the user has
 * not trusted is uploaded only after a confirmation that says so. Folders outside the workspace are the user's own
 * choice in a dialog, and go as usual.
 */
export async function confirmUntrustedUpload(folder: string): Promise<boolean> {
  if (vscode.workspace.isTrusted || !vscode.workspace.getWorkspaceFolder(vscode.Uri.file(folder))) {
    return true;
  }
  return confirmModal(
    vscode.l10n.t(
      '{0} belongs to a workspace in Restricted Mode. Upload its files to UbiOps anyway?',
      path.basename(folder),
    ),
    vscode.l10n.t('Upload Anyway'),
    vscode.l10n.t(
      'You have not trusted this workspace. Its files, and anything its .ubiops-ignore lets through, would be sent to UbiOps and built there.',
    ),
  );
}
