import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { inert } from '../ui/text';
import { UbiOpsApiError, type EnvironmentRevisionCreate } from '../api';
import { DEPENDENCY_FILE_NAMES } from '../archive/dependencyFiles';
import { extractZip } from '../archive/extract';
import { formatBytes } from '../archive/format';
import { loadArchive } from '../archive/lazy';
import type { PackManifest } from '../archive/pack';
import { formatProblem } from '../archive/problems';
import { describeError } from '../connection/connectionManager';
import { BuildNode } from '../explorer/buildNode';
import { environmentLabel, foundation } from '../explorer/describe';
import { EnvironmentNode } from '../explorer/environmentNode';
import type { ProjectNode } from '../explorer/projectNode';
import { RevisionNode } from '../explorer/revisionNode';
import type { TreeNode } from '../explorer/treeNode';
import { selection } from './environmentCommands';
import { offerBuildLog } from './logCommands';
import { deployToNewEnvironment, NEW_ENVIRONMENT_ITEM } from './deployCommands';
import { pickNode } from './pickNode';
import { notOnDisk, workspaceFolderOnDisk } from './onDisk';
import type { CommandDeps } from './registerCommands';
import { Cancelled, explained, UserError } from './userError';

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

async function isFolder(fsPath: string): Promise<boolean> {
  return fs.stat(fsPath).then(
    (stat) => stat.isDirectory(),
    () => false,
  );
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

const DEFAULT_EXCLUSIONS_SETTING = 'upload.defaultExclusions';

/** The packer's options from the settings of `folder`. */
function packOptions(folder: string): { defaultExclusions: boolean } {
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
 * "Upload Folder as New Revision": from a folder in the Explorer (asks the environment), an environment in the
 * tree (asks the folder, offering the one last used), or the palette (asks both). Shows what will be uploaded and
 * what the validators found, packs, uploads with a cancellable progress, and follows the new build.
 */
export async function uploadFolder(deps: CommandDeps, target?: vscode.Uri | TreeNode): Promise<void> {
  const refused = target instanceof vscode.Uri ? notOnDisk(target, 'upload') : undefined;
  if (refused) {
    void vscode.window.showErrorMessage(inert(refused));
    return;
  }
  let environment = target instanceof EnvironmentNode ? target : undefined;
  let folder = target instanceof vscode.Uri ? target.fsPath : undefined;
  if (!environment) {
    const picked = await pickNode<EnvironmentNode>(
      deps.explorer,
      'environment',
      folder ? `Upload ${path.basename(folder)} to…` : 'Upload a Folder to…',
      (candidate) => !candidate.isBase,
      NEW_ENVIRONMENT_ITEM,
    );
    if (!picked) {
      return;
    }
    if ('leadingUnder' in picked) {
      await deployToNewEnvironment(deps, picked.leadingUnder as ProjectNode, folder);
      return;
    }
    environment = picked;
  }
  if (environment.isBase) {
    void vscode.window.showErrorMessage(
      inert(
        vscode.l10n.t(
          'UbiOps: {0} is a base environment provided by UbiOps; it cannot take uploads. Create a custom environment on it instead.',
          environment.environmentName,
        ),
      ),
    );
    return;
  }
  if (environment.environment.implicit) {
    void vscode.window.showErrorMessage(
      inert(
        vscode.l10n.t(
          'UbiOps: {0} is an implicit environment: its files come from its deployment package. Upload a new deployment package, or create a custom environment.',
          environment.environmentName,
        ),
      ),
    );
    return;
  }
  folder ??= await chooseFolder(deps, environment);
  const manifest = await scanForUpload(folder);
  if (
    manifest &&
    (await confirmUpload(
      folder,
      manifest,
      `Upload ${path.basename(folder)} to ${environment.environmentName} as a new revision?`,
    ))
  ) {
    await packAndUpload(deps, environment, folder, manifest);
  }
}

/** Reads a folder about to be uploaded (after the Restricted Mode question); undefined, having said why, if not. */
export async function scanForUpload(folder: string): Promise<PackManifest | undefined> {
  if (!(await isFolder(folder))) {
    void vscode.window.showErrorMessage(
      inert(vscode.l10n.t('UbiOps: {0} is not a folder. Choose the folder that holds the dependency files.', folder)),
    );
    return undefined;
  }
  if (!(await confirmUntrustedUpload(folder))) {
    return undefined;
  }
  try {
    return await vscode.window.withProgress(
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
    );
  } catch (error) {
    if (error instanceof loadArchive().PackError && error.code === 'cancelled') {
      return undefined;
    }
    void vscode.window.showErrorMessage(
      inert(vscode.l10n.t('UbiOps: cannot read {0}: {1}', folder, describeError(error))),
    );
    return undefined;
  }
}

/**
 * What the scan found, for a folder about to be uploaded: refuses a folder that cannot build or be read (saying
 * why), else asks, showing the files and the problems that would fail the build. True to go ahead.
 */
export async function confirmUpload(folder: string, manifest: PackManifest, question: string): Promise<boolean> {
  if (manifest.dependencyFiles.length === 0) {
    const leftOut = manifest.leftOutDependencyFiles
      .map((file) => vscode.l10n.t(' {0} is there but {1}.', file.name, file.reason))
      .join('');
    void vscode.window.showErrorMessage(
      inert(
        vscode.l10n.t(
          'UbiOps: {0} has no dependency file ({1}) at its top level, so a build would fail.',
          path.basename(folder),
          DEPENDENCY_FILE_NAMES.join(', '),
        ) + (leftOut || vscode.l10n.t(' Choose the folder that holds them.')),
      ),
    );
    return false;
  }
  if (manifest.unreadable.length) {
    const names = manifest.unreadable
      .slice(0, 3)
      .map((file) => `${file.path} (${file.reason})`)
      .join(', ');
    void vscode.window.showErrorMessage(
      inert(
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
      ),
    );
    return false;
  }
  if (!(await confirmLeftOutDependencyFiles(manifest, folder))) {
    return false;
  }
  const errors = manifest.problems.filter((problem) => problem.severity === 'error');
  const details = [summary(manifest)];
  if (errors.length) {
    details.push(
      `${errors.length} problem${errors.length === 1 ? '' : 's'} will fail the build:\n${errors.slice(0, 5).map(formatProblem).join('\n')}${errors.length > 5 ? '\n…' : ''}`,
    );
  }
  const choice = await vscode.window.showInformationMessage(
    inert(question),
    { modal: true, detail: details.join('\n\n') },
    ...(errors.length ? ['Show Problem', 'Upload Anyway'] : ['Upload']),
  );
  if (choice === 'Show Problem') {
    const problem = errors[0];
    const document = await vscode.workspace.openTextDocument(path.join(folder, problem.file));
    const range = new vscode.Range(problem.line, problem.column, problem.endLine, problem.endColumn);
    await vscode.window.showTextDocument(document, { selection: range });
    return false;
  }
  return choice === 'Upload' || choice === 'Upload Anyway';
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
  const choice = await vscode.window.showWarningMessage(
    inert(
      vscode.l10n.t(
        '{0} belongs to a workspace in Restricted Mode. Upload its files to UbiOps anyway?',
        path.basename(folder),
      ),
    ),
    {
      modal: true,
      detail: vscode.l10n.t(
        'You have not trusted this workspace. Its files, and anything its .ubiops-ignore lets through, would be sent to UbiOps and built there.',
      ),
    },
    vscode.l10n.t('Upload Anyway'),
  );
  return choice === 'Upload Anyway';
}

/**
 * Packs what `scanned` showed (a retry scans afresh), uploads it, remembers the folder and follows the build.
 * `newEnvironment`: the environment was made for this upload, so a failure says that it exists and stays (nothing
 * is deleted behind the user's back).
 */
export async function packAndUpload(
  deps: CommandDeps,
  environment: EnvironmentNode,
  folder: string,
  scanned?: PackManifest,
  newEnvironment = false,
): Promise<void> {
  const { connection } = environment.context;
  const name = environment.environmentName;
  try {
    const created = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: inert(vscode.l10n.t('Uploading {0} to {1}', path.basename(folder), name)),
        cancellable: true,
      },
      async (progress, cancellation) => {
        const controller = new AbortController();
        cancellation.onCancellationRequested(() => controller.abort());
        let reported = 0;
        const step = (fraction: number, message: string) => {
          const percent = Math.min(100, Math.round(fraction * 100));
          progress.report({ increment: percent - reported, message });
          reported = percent;
        };
        // The zip is streamed from the folder into the upload (no temporary zip); what is deflated first depends on
        // the link, as the previous uploads to this host measured it (src/archive/storedZip.ts).
        const upload = await loadArchive().prepareZipUpload(folder, {
          ...packOptions(folder),
          scanned,
          signal: controller.signal,
          linkBytesPerSecond: connection.client.uploadBytesPerSecond(),
          onProgress: ({ files, totalFiles, bytes, totalBytes }) =>
            step(
              (totalBytes ? bytes / totalBytes : files / Math.max(1, totalFiles)) * 0.2,
              `packing ${files} of ${totalFiles} files`,
            ),
        });
        try {
          return await connection.client.uploadRevision(environment.projectName, name, upload, {
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
    await rememberFolder(deps, environment, folder);
    afterNewRevision(deps, environment, created, `Uploaded ${path.basename(folder)} to ${name}`);
  } catch (error) {
    if (
      (error as Error).name === 'AbortError' ||
      (error instanceof loadArchive().PackError && error.code === 'cancelled')
    ) {
      void vscode.window.setStatusBarMessage(
        inert(vscode.l10n.t('Upload to {0} cancelled; nothing was created.', name)),
        5000,
      );
      return;
    }
    const sent = error instanceof UbiOpsApiError && error.status !== undefined;
    const outcome = sent ? vscode.l10n.t('UbiOps refused it') : vscode.l10n.t('nothing was created');
    const retry = await vscode.window.showErrorMessage(
      inert(
        newEnvironment
          ? vscode.l10n.t(
              'UbiOps: the environment {0} was created, but the upload of {1} to it failed ({2}): {3}. The environment stays; retry now, or later with Upload Folder as New Revision.',
              name,
              path.basename(folder),
              outcome,
              describeError(error),
            )
          : vscode.l10n.t(
              'UbiOps: the upload of {0} to {1} failed ({2}): {3}',
              path.basename(folder),
              name,
              outcome,
              describeError(error),
            ),
      ),
      vscode.l10n.t('Retry'),
    );
    if (retry) {
      await packAndUpload(deps, environment, folder, undefined, newEnvironment);
    }
  }
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

/** "Copy Files from Another Environment": a new revision with the files of another environment of the project. */
export async function copyFromEnvironment(deps: CommandDeps, node?: TreeNode): Promise<void> {
  const target =
    node instanceof EnvironmentNode
      ? node
      : await pickNode<EnvironmentNode>(
          deps.explorer,
          'environment',
          'Copy Files into…',
          (candidate) => !candidate.isBase && !candidate.environment.implicit,
        );
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

/** "Download Revision": the revision's zip, streamed to a file with a cancellable progress; optionally extracted. */
export async function downloadRevision(deps: CommandDeps, node?: TreeNode): Promise<void> {
  const revision =
    node instanceof RevisionNode
      ? node
      : await pickNode<RevisionNode>(
          deps.explorer,
          'revision',
          'Download a Revision',
          (candidate) => !candidate.revision.expired,
        );
  if (!revision) {
    return;
  }
  if (revision.revision.expired) {
    void vscode.window.showErrorMessage(
      vscode.l10n.t('UbiOps: the file of this revision has expired; it can no longer be downloaded.'),
    );
    return;
  }
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
    return;
  }
  const refused = notOnDisk(target, 'download');
  if (refused) {
    void vscode.window.showErrorMessage(inert(refused));
    return;
  }
  const { client } = revision.context.connection;
  let saved: string;
  try {
    saved = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: inert(vscode.l10n.t('Downloading {0}', revision.environmentName)),
        cancellable: true,
      },
      async (progress, cancellation) => {
        const controller = new AbortController();
        cancellation.onCancellationRequested(() => controller.abort());
        let reported = 0;
        const result = await client.downloadRevision(
          revision.projectName,
          revision.environmentName,
          revision.revisionId,
          {
            filePath: target.fsPath,
            signal: controller.signal,
            onProgress: ({ bytes, total }) => {
              const percent = total ? Math.round((bytes / total) * 100) : 0;
              progress.report({
                increment: percent - reported,
                message: total
                  ? vscode.l10n.t('{0} of {1}', formatBytes(bytes), formatBytes(total))
                  : formatBytes(bytes),
              });
              reported = percent;
            },
          },
        );
        return result.path;
      },
    );
  } catch (error) {
    if ((error as Error).name === 'AbortError') {
      void vscode.window.setStatusBarMessage(vscode.l10n.t('Download cancelled; no file was left behind.'), 5000);
    } else {
      void vscode.window.showErrorMessage(
        inert(vscode.l10n.t('UbiOps: the download failed: {0}', describeError(error))),
      );
    }
    return;
  }
  const next = await vscode.window.showInformationMessage(
    inert(vscode.l10n.t('UbiOps: saved {0}.', path.basename(saved))),
    vscode.l10n.t('Extract…'),
    vscode.l10n.t('Reveal'),
  );
  if (next === 'Reveal') {
    await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(saved));
  } else if (next === 'Extract…') {
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
  try {
    const { written, skipped } = await extractZip(zipPath, destination[0].fsPath, {
      stripTopFolder: true,
      onConflict: async (relativePath) => {
        if (decision) {
          return decision;
        }
        const answer = await vscode.window.showWarningMessage(
          inert(vscode.l10n.t('{0} already exists in {1}.', relativePath, path.basename(destination[0].fsPath))),
          { modal: true },
          vscode.l10n.t('Overwrite All'),
          vscode.l10n.t('Skip Existing'),
        );
        decision = answer === 'Overwrite All' ? 'overwrite' : answer === 'Skip Existing' ? 'skip' : undefined;
        return decision ?? 'cancel';
      },
    });
    void vscode.window.showInformationMessage(
      inert(
        skipped.length
          ? vscode.l10n.t('UbiOps: extracted {0} file(s), kept {1} existing.', written.length, skipped.length)
          : vscode.l10n.t('UbiOps: extracted {0} file(s).', written.length),
      ),
    );
  } catch (error) {
    void vscode.window.showErrorMessage(
      inert(vscode.l10n.t('UbiOps: could not extract {0}: {1}', path.basename(zipPath), describeError(error))),
    );
  }
}

/** "Cancel Build": for queued or processing builds, several at once after one confirmation. */
export async function cancelBuilds(deps: CommandDeps, node?: TreeNode, nodes?: readonly TreeNode[]): Promise<void> {
  let targets = selection(node, nodes).filter((item): item is BuildNode => item instanceof BuildNode);
  if (targets.length === 0) {
    const picked = await pickNode<BuildNode>(
      deps.explorer,
      'build',
      'Cancel a Build',
      (candidate) => candidate.cancellable,
    );
    if (!picked) {
      return;
    }
    targets = [picked];
  }
  if (targets.length > 1) {
    const confirmed = await vscode.window.showWarningMessage(
      inert(vscode.l10n.t('Cancel {0} builds?', targets.length)),
      { modal: true },
      vscode.l10n.t('Cancel Builds'),
    );
    if (confirmed !== 'Cancel Builds') {
      return;
    }
  }
  const refused: string[] = [];
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
        refused.push(`${ref.environment} build ${ref.build.slice(0, 8)}: ${describeError(error)}`);
      }
    }),
  );
  if (refused.length) {
    void vscode.window.showErrorMessage(inert(vscode.l10n.t('UbiOps: could not cancel {0}', refused.join(' '))));
  }
}
