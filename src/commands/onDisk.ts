import * as vscode from 'vscode';

/**
 * Uploads pack a folder from disk and downloads write a zip to disk and extract it: both need `file:` URIs. In a
 * virtual workspace (a folder opened from GitHub or another remote file system) the workspace has no files on
 * disk, so these say why they cannot use it instead of failing on a path.
 */

/** The first workspace folder on disk, if any. */
export function workspaceFolderOnDisk(): vscode.Uri | undefined {
  return vscode.workspace.workspaceFolders?.find((folder) => folder.uri.scheme === 'file')?.uri;
}

/** Why `uri` cannot be uploaded from or downloaded to, or undefined when it is on disk. */
export function notOnDisk(uri: vscode.Uri, action: 'upload' | 'download'): string | undefined {
  if (uri.scheme === 'file') {
    return undefined;
  }
  const where = uri.toString(true);
  return action === 'upload'
    ? vscode.l10n.t(
        'UbiOps: {0} is not on disk (this workspace is virtual): uploading packs a folder from disk. Open a local copy of the folder (for example a clone of the repository) and upload it from there.',
        where,
      )
    : vscode.l10n.t(
        'UbiOps: {0} is not on disk (this workspace is virtual): a revision is downloaded to a file on disk. Choose a folder on this computer.',
        where,
      );
}
