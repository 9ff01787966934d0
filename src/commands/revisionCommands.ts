import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { inert } from '../ui/text';
import { extractZip } from '../archive/extract';
import { formatBytes } from '../archive/format';
import { describeError } from '../connection/connectionManager';
import { BuildNode } from '../explorer/buildNode';
import { environmentLabel, foundation } from '../explorer/describe';
import { EnvironmentNode } from '../explorer/environmentNode';
import { RevisionNode } from '../explorer/revisionNode';
import type { TreeNode } from '../explorer/treeNode';
import { confirmMany } from './confirm';
import { selection } from './environmentCommands';
import { pickNode } from './pickNode';
import { notOnDisk, workspaceFolderOnDisk } from './onDisk';
import type { CommandDeps } from './registerCommands';
import { afterNewRevision, progressSteps } from './uploadSend';
import { Cancelled, explained, noteCancellation, UserError } from './userError';

/** "Copy Files from Another Environment": a new revision with the files of another environment of the project. */
export async function copyFromEnvironment(deps: CommandDeps, node?: TreeNode): Promise<void> {
  const title = vscode.l10n.t('Copy Files into…');
  const writable = (candidate: EnvironmentNode) => !candidate.isBase && !candidate.environment.implicit;
  const target = node instanceof EnvironmentNode ? node : await pickNode(deps.explorer, 'environment', title, writable);
  if (!target) {
    return;
  }
  const { client } = target.context.connection;
  const sources = (
    await explained(client.listEnvironments(target.projectName, { environment_type: 'custom' }), (reason) =>
      vscode.l10n.t('UbiOps: could not list the environments: {0}', reason),
    )
  ).filter((environment) => environment.name !== target.environmentName);
  if (sources.length === 0) {
    void vscode.window.showInformationMessage(
      inert(vscode.l10n.t('UbiOps: {0} has no other custom environment to copy from.', target.projectName)),
    );
    return;
  }
  const source = await vscode.window.showQuickPick(
    sources.map((environment) => ({
      label: inert(environmentLabel(environment)),
      description: inert([environment.name, foundation(environment)].filter(Boolean).join(' · ')),
      environment,
    })),
    {
      title: inert(vscode.l10n.t('Copy files into {0} from…', target.environmentName)),
      placeHolder: vscode.l10n.t('Its active revision is copied as a new revision, and built'),
      ignoreFocusOut: true,
    },
  );
  if (!source) {
    return;
  }
  const created = await explained(
    client.copyRevision(target.projectName, target.environmentName, source.environment.name),
    (reason) => vscode.l10n.t('UbiOps: could not copy from {0}: {1}', source.environment.name, reason),
  );
  afterNewRevision(
    deps,
    target,
    created,
    `Copied the files of ${source.environment.name} into ${target.environmentName}`,
  );
}

/** The revision to download: the tree's row, or one picked; a `UserError` when its file has expired. */
async function revisionToDownload(deps: CommandDeps, node: TreeNode | undefined): Promise<RevisionNode> {
  const title = vscode.l10n.t('Download a Revision');
  const kept = (candidate: RevisionNode) => !candidate.revision.expired;
  const revision = node instanceof RevisionNode ? node : await pickNode(deps.explorer, 'revision', title, kept);
  if (!revision) {
    throw new Cancelled();
  }
  if (revision.revision.expired) {
    throw new UserError(
      vscode.l10n.t('UbiOps: the file of this revision has expired; it can no longer be downloaded.'),
    );
  }
  return revision;
}

/** Where to save it: a save dialog at the workspace (or home) folder, with a name that says what it is. */
async function downloadTarget(revision: RevisionNode): Promise<vscode.Uri> {
  const folder = workspaceFolderOnDisk()?.fsPath ?? os.homedir();
  const date = revision.revision.creation_date.slice(0, 10);
  const target = await vscode.window.showSaveDialog({
    title: inert(vscode.l10n.t('Download the revision of {0}', revision.environmentName)),
    defaultUri: vscode.Uri.file(
      path.join(folder, `${revision.environmentName}-${date}-${revision.revisionId.slice(0, 8)}.zip`),
    ),
    filters: { 'Zip archives': ['zip'] },
    saveLabel: vscode.l10n.t('Download'),
  });
  if (!target) {
    throw new Cancelled();
  }
  const refused = notOnDisk(target, 'download');
  if (refused) {
    throw new UserError(refused);
  }
  return target;
}

/** Streams the revision's zip to `target` under a cancellable progress; the path written. */
function downloadWithProgress(revision: RevisionNode, target: vscode.Uri): Thenable<string> {
  const { client } = revision.context.connection;
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: inert(vscode.l10n.t('Downloading {0}', revision.environmentName)),
      cancellable: true,
    },
    async (progress, cancellation) => {
      const controller = new AbortController();
      cancellation.onCancellationRequested(() => controller.abort());
      const step = progressSteps(progress);
      const result = await client.downloadRevision(
        revision.projectName,
        revision.environmentName,
        revision.revisionId,
        {
          filePath: target.fsPath,
          signal: controller.signal,
          onProgress: ({ bytes, total }) =>
            step(
              total ? bytes / total : 0,
              total ? vscode.l10n.t('{0} of {1}', formatBytes(bytes), formatBytes(total)) : formatBytes(bytes),
            ),
        },
      );
      return result.path;
    },
  );
}

/** "Download Revision": the revision's zip, streamed to a file with a cancellable progress; optionally extracted. */
export async function downloadRevision(deps: CommandDeps, node?: TreeNode): Promise<void> {
  const revision = await revisionToDownload(deps, node);
  const target = await downloadTarget(revision);
  const saved = await explained(
    noteCancellation(
      downloadWithProgress(revision, target),
      vscode.l10n.t('Download cancelled; no file was left behind.'),
    ),
    (reason) => vscode.l10n.t('UbiOps: the download failed: {0}', reason),
  );
  const [extract, reveal] = [vscode.l10n.t('Extract…'), vscode.l10n.t('Reveal')];
  const next = await vscode.window.showInformationMessage(
    inert(vscode.l10n.t('UbiOps: saved {0}.', path.basename(saved))),
    extract,
    reveal,
  );
  if (next === reveal) {
    await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(saved));
  } else if (next === extract) {
    await extractDownloaded(saved);
  }
}

async function extractDownloaded(zipPath: string): Promise<void> {
  const destination = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    openLabel: vscode.l10n.t('Extract Here'),
    title: inert(vscode.l10n.t('Extract {0} into…', path.basename(zipPath))),
    defaultUri: vscode.Uri.file(path.dirname(zipPath)),
  });
  if (!destination?.[0]) {
    return;
  }
  let decision: 'overwrite' | 'skip' | undefined;
  const extraction = extractZip(zipPath, destination[0].fsPath, {
    stripTopFolder: true,
    onConflict: async (relativePath) => {
      if (decision) {
        return decision;
      }
      const [overwrite, skip] = [vscode.l10n.t('Overwrite All'), vscode.l10n.t('Skip Existing')];
      const answer = await vscode.window.showWarningMessage(
        inert(vscode.l10n.t('{0} already exists in {1}.', relativePath, path.basename(destination[0].fsPath))),
        { modal: true },
        overwrite,
        skip,
      );
      decision = answer === overwrite ? 'overwrite' : answer === skip ? 'skip' : undefined;
      return decision ?? 'cancel';
    },
  });
  const { written, skipped } = await explained(extraction, (reason) =>
    vscode.l10n.t('UbiOps: could not extract {0}: {1}', path.basename(zipPath), reason),
  );
  void vscode.window.showInformationMessage(
    inert(
      skipped.length
        ? vscode.l10n.t('UbiOps: extracted {0} file(s), kept {1} existing.', written.length, skipped.length)
        : vscode.l10n.t('UbiOps: extracted {0} file(s).', written.length),
    ),
  );
}

/** "Cancel Build": for queued or processing builds, several at once after one confirmation. */
export async function cancelBuilds(deps: CommandDeps, node?: TreeNode, nodes?: readonly TreeNode[]): Promise<void> {
  let targets = selection(node, nodes).filter((item): item is BuildNode => item instanceof BuildNode);
  if (targets.length === 0) {
    const picked = await pickNode<BuildNode>(
      deps.explorer,
      'build',
      vscode.l10n.t('Cancel a Build'),
      (candidate) => candidate.cancellable,
    );
    if (!picked) {
      return;
    }
    targets = [picked];
  }
  const question = vscode.l10n.t('Cancel {0} builds?', targets.length);
  if (!(await confirmMany(targets.length, question, vscode.l10n.t('Cancel Builds')))) {
    return;
  }
  const refused: string[] = [];
  const errors: unknown[] = [];
  await Promise.all(
    targets.map(async (target) => {
      const { ref } = target;
      try {
        const build = await target.context.connection.client.cancelBuild(
          ref.project,
          ref.environment,
          ref.revision,
          ref.build,
        );
        target.context.model.updateBuild(ref, build);
      } catch (error) {
        errors.push(error);
        refused.push(`${ref.environment} build ${ref.build.slice(0, 8)}: ${describeError(error)}`);
      }
    }),
  );
  if (refused.length) {
    throw new UserError(vscode.l10n.t('UbiOps: could not cancel {0}', refused.join(' ')), { cause: errors[0] });
  }
}
