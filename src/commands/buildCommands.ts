import * as vscode from 'vscode';
import { inert } from '../ui/text';
import type { EnvironmentBuild } from '../api';
import type { BuildRef, BuildTracker } from '../builds/buildTracker';
import type { ConnectionManager } from '../connection/connectionManager';
import { describeError } from '../connection/connectionManager';
import { absentFileUri, dependencyFileUri, type DependencyFileDocuments } from '../documents/dependencyFileDocuments';
import { BuildNode } from '../explorer/buildNode';
import { DependencyFileNode } from '../explorer/dependencyFileNode';
import type { EnvironmentsProvider } from '../explorer/environmentsProvider';
import { newestFirst } from '../explorer/format';
import { RevisionNode } from '../explorer/revisionNode';
import type { Walkthrough } from '../firstRun/walkthrough';
import { confirmMany } from './confirm';
import { pickName, pickNode } from './pickNode';
import { explained, signInAction, UserError } from './userError';

export interface BuildCommandDeps {
  connections: ConnectionManager;
  explorer: EnvironmentsProvider;
  documents: DependencyFileDocuments;
  tracker: BuildTracker;
  walkthrough: Walkthrough;
}

/**
 * The dependency file a command acts on: the file row it was run on, else one file of a build (the build row it was
 * run on, or one the user walks to from the palette), asked for when the build has more than one.
 */
async function dependencyFileOf(
  deps: BuildCommandDeps,
  target: DependencyFileNode | BuildNode | undefined,
  titles: { walk: string; file: string },
): Promise<DependencyFileNode | undefined> {
  if (target instanceof DependencyFileNode) {
    return target;
  }
  const build = target instanceof BuildNode ? target : await pickNode<BuildNode>(deps.explorer, 'build', titles.walk);
  if (!build) {
    return undefined;
  }
  const names = (await deps.documents.files(build.ref)).map((entry) => entry.name);
  const name =
    names.length === 1
      ? names[0]
      : await pickName(names, {
          title: titles.file,
          placeHolder: names.length
            ? vscode.l10n.t('Choose a file')
            : vscode.l10n.t('This build has no dependency files'),
        });
  return name ? new DependencyFileNode(build, name) : undefined;
}

/** "Open Dependency File": from a file row, a build row (asks which file), or the palette (walks the tree). */
export async function openDependencyFile(
  deps: BuildCommandDeps,
  target?: DependencyFileNode | BuildNode,
): Promise<void> {
  const file = await dependencyFileOf(deps, target, {
    walk: vscode.l10n.t('Open a Dependency File of a Build'),
    file: vscode.l10n.t('Open a Dependency File'),
  });
  if (file) {
    await vscode.window.showTextDocument(file.uri, { preview: true });
  }
}

/**
 * "Compare with Previous Build": VS Code's diff of a build's dependency files against the build before it in the
 * same environment (an earlier build of the same revision, else the newest build of the revision before).
 */
export async function compareWithPreviousBuild(deps: BuildCommandDeps, target?: BuildNode): Promise<void> {
  const build =
    target ??
    (await pickNode<BuildNode>(deps.explorer, 'build', vscode.l10n.t('Compare a Build with the Previous One')));
  if (!build) {
    return;
  }
  await explained(compareBuilds(deps, build), (reason) =>
    vscode.l10n.t('UbiOps: could not compare the builds: {0}', reason),
  );
}

async function compareBuilds(deps: BuildCommandDeps, build: BuildNode): Promise<void> {
  const previous = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Finding the previous build…') },
    () => previousBuild(deps, build),
  );
  if (!previous) {
    void vscode.window.showInformationMessage(
      inert(
        vscode.l10n.t(
          'UbiOps: this is the first build of {0}; there is nothing before it to compare with.',
          build.ref.environment,
        ),
      ),
    );
    return;
  }
  const [older, newer] = await Promise.all([deps.documents.files(previous), deps.documents.files(build.ref)]);
  const names = [...new Set([...older.map((file) => file.name), ...newer.map((file) => file.name)])].sort();
  if (names.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('UbiOps: neither build has dependency files to compare.'));
    return;
  }
  const side = (ref: BuildRef, files: { name: string }[], name: string) =>
    files.some((file) => file.name === name) ? dependencyFileUri(ref, name) : absentFileUri(ref, name);
  const pairs = names.map((name) => ({
    name,
    left: side(previous, older, name),
    right: side(build.ref, newer, name),
  }));
  const title = `${build.ref.environment}: build ${previous.build.slice(0, 8)} ↔ ${build.ref.build.slice(0, 8)}`;
  await openDiffs(title, pairs);
  deps.walkthrough.complete('compare');
}

/** "Compare with Workspace": a build's dependency file against the file of the same name in the open folder. */
export async function compareWithWorkspace(
  deps: BuildCommandDeps,
  target?: DependencyFileNode | BuildNode,
): Promise<void> {
  const file = await dependencyFileOf(deps, target, {
    walk: vscode.l10n.t('Compare a Build with the Workspace'),
    file: vscode.l10n.t('Compare which file?'),
  });
  if (!file) {
    return;
  }
  if (!vscode.workspace.workspaceFolders?.length) {
    void vscode.window.showInformationMessage(vscode.l10n.t('UbiOps: open a folder to compare with its files.'));
    return;
  }
  const found = await vscode.workspace.findFiles(
    `**/${file.fileName}`,
    '{**/node_modules/**,**/.git/**,**/.venv/**,**/venv/**}',
    50,
  );
  if (found.length === 0) {
    void vscode.window.showInformationMessage(
      inert(vscode.l10n.t('UbiOps: there is no {0} in the open folder.', file.fileName)),
    );
    return;
  }
  let local = found[0];
  if (found.length > 1) {
    const picked = await vscode.window.showQuickPick(
      found.map((uri) => ({ label: inert(vscode.workspace.asRelativePath(uri)), uri })),
      { title: inert(vscode.l10n.t('Compare with which {0}?', file.fileName)) },
    );
    if (!picked) {
      return;
    }
    local = picked.uri;
  }
  await vscode.commands.executeCommand(
    'vscode.diff',
    file.uri,
    local,
    `${file.fileName} (build ${file.parent.build.id.slice(0, 8)}) ↔ ${vscode.workspace.asRelativePath(local)}`,
  );
}

/** "Rebuild Revision": a new build of each chosen revision's file, followed until it finishes. */
export async function rebuildRevisions(
  deps: BuildCommandDeps,
  target?: RevisionNode | BuildNode | BuildRef,
  targets?: readonly unknown[],
): Promise<void> {
  const revisions: { project: string; environment: string; revision: string; node?: RevisionNode }[] = [];
  const chosen = targets?.length && targets.includes(target) ? targets : target ? [target] : [];
  for (const item of chosen) {
    const node = item instanceof RevisionNode ? item : item instanceof BuildNode ? item.parent : undefined;
    if (node) {
      revisions.push({ project: node.projectName, environment: node.environmentName, revision: node.revisionId, node });
    } else if (item && typeof item === 'object' && 'revision' in item) {
      const ref = item as BuildRef;
      revisions.push({ project: ref.project, environment: ref.environment, revision: ref.revision });
    }
  }
  if (revisions.length === 0) {
    const node = await pickNode<RevisionNode>(
      deps.explorer,
      'revision',
      vscode.l10n.t('Rebuild a Revision'),
      (candidate) => !candidate.revision.expired,
    );
    if (!node) {
      return;
    }
    revisions.push({ project: node.projectName, environment: node.environmentName, revision: node.revisionId, node });
  }
  const question = vscode.l10n.t('Rebuild {0} revisions?', revisions.length);
  if (!(await confirmMany(revisions.length, question, vscode.l10n.t('Rebuild')))) {
    return;
  }
  const connection = await deps.connections.get();
  if (!connection) {
    throw new UserError(vscode.l10n.t('UbiOps: sign in first.'), { actions: [signInAction()] });
  }
  const failures: string[] = [];
  const errors: unknown[] = [];
  await Promise.all(
    revisions.map(async ({ node, ...revision }) => {
      try {
        const build: EnvironmentBuild = await connection.client.rebuildRevision(
          revision.project,
          revision.environment,
          revision.revision,
        );
        deps.tracker.follow({ host: connection.host, ...revision, build: build.id }, build);
        connection.model.invalidate(revision);
      } catch (error) {
        errors.push(error);
        failures.push(`${revision.environment}: ${describeError(error)}`);
      }
    }),
  );
  if (failures.length) {
    throw new UserError(vscode.l10n.t('UbiOps: could not rebuild {0}', failures.join(' ')), { cause: errors[0] });
  }
  const what = revisions.length === 1 ? revisions[0].environment : `${revisions.length} revisions`;
  void vscode.window.showInformationMessage(
    inert(vscode.l10n.t('UbiOps: rebuilding {0}; you will be told when the build finishes.', what)),
  );
}

async function previousBuild(deps: BuildCommandDeps, build: BuildNode): Promise<BuildRef | undefined> {
  const connection = await deps.connections.get();
  if (!connection) {
    throw new Error('not signed in');
  }
  const { client } = connection;
  const { project, environment, revision } = build.ref;
  const created = Date.parse(build.build.creation_date);
  const sameRevision = newestFirst(await client.listBuilds(project, environment, revision)).find(
    (candidate) => Date.parse(candidate.creation_date) < created,
  );
  if (sameRevision) {
    return { ...build.ref, build: sameRevision.id };
  }
  const revisionCreated = Date.parse(build.parent.revision.creation_date);
  for (const older of newestFirst(await client.listRevisions(project, environment))) {
    if (Date.parse(older.creation_date) >= revisionCreated || older.id === revision) {
      continue;
    }
    const [newest] = newestFirst(await client.listBuilds(project, environment, older.id));
    if (newest) {
      return { ...build.ref, revision: older.id, build: newest.id };
    }
  }
  return undefined;
}

async function openDiffs(title: string, pairs: { name: string; left: vscode.Uri; right: vscode.Uri }[]): Promise<void> {
  if (pairs.length > 1) {
    try {
      // The multi-file diff editor: all files of the two builds in one view.
      await vscode.commands.executeCommand(
        'vscode.changes',
        title,
        pairs.map((pair) => [pair.right, pair.left, pair.right]),
      );
      return;
    } catch {
      // Older VS Code: one diff per file.
    }
  }
  for (const [index, pair] of pairs.entries()) {
    await vscode.commands.executeCommand('vscode.diff', pair.left, pair.right, `${pair.name}: ${title}`, {
      preview: index === 0,
      preserveFocus: index > 0,
    });
  }
}
