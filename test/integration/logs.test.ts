import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { buildLogQuery } from '../../src/api';
import type { BuildRef } from '../../src/builds/buildTracker';
import { BUILD_LOG_SCHEME } from '../../src/documents/buildLogDocuments';
import type { BuildNode } from '../../src/explorer/buildNode';
import type { EnvironmentNode } from '../../src/explorer/environmentNode';
import type { RevisionNode } from '../../src/explorer/revisionNode';
import type { ExtensionApi } from '../../src/extension';
import { type Answer, until, withAnswers } from './prompts';
import { useSession } from './session';
import { folderWith, nameOf } from './tree';

const TOKEN = 'logs-token-9c1d';
const PROJECT = 'demo-project';

/**
 * The answers that deploy a folder to a new environment in the demo project: its name, base environment and
 * display name (no description), then a button for each question asked after.
 */
function newEnvironmentAnswers(
  name: string,
  base: string | RegExp,
  displayName: string,
  buttons: (string | undefined)[],
): Answer[] {
  return [
    { pick: PROJECT },
    { pick: 'New environment from this folder' },
    { input: name },
    { pick: base },
    { input: displayName },
    { input: '' },
    ...buttons.map((button) => ({ button })),
  ];
}

/** The tree's node of an environment's newest build. */
async function newestBuild(api: ExtensionApi, environment: string): Promise<BuildNode> {
  api.explorer.refresh();
  const project = (await api.explorer.getChildren()).find((node) => nameOf(node) === PROJECT)!;
  const env = (await api.explorer.getChildren(project)).find((node) => nameOf(node) === environment) as EnvironmentNode;
  assert.ok(env, `${environment} is in the tree`);
  const [revision] = (await api.explorer.getChildren(env)) as RevisionNode[];
  const [build] = (await api.explorer.getChildren(revision)) as BuildNode[];
  return build;
}

function logEditor(ref: BuildRef): vscode.TextEditor | undefined {
  return vscode.window.visibleTextEditors.find(
    (editor) =>
      editor.document.uri.scheme === BUILD_LOG_SCHEME &&
      new URLSearchParams(editor.document.uri.query).get('build') === ref.build,
  );
}

describe('Build logs in the editor', function () {
  this.timeout(90_000);
  // Registered first, so that it runs before the session closes.
  after(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));
  // Builds long enough to watch their log grow.
  const session = useSession(TOKEN, { buildSeconds: 8, tempPrefix: 'ubiops-logs-' });

  /** Waits until the server says the build of `node` has `status`. */
  const untilBuildIs = (status: string, node: BuildNode, what: string, timeoutMs: number) =>
    until(
      what,
      async () =>
        (await session.client.getBuild(PROJECT, node.ref.environment, node.ref.revision, node.ref.build)).status ===
        status,
      timeoutMs,
    );

  /**
   * Creates `environment` and uploads the folder `folder` holding `files` to it from the Explorer, as a user does
   * (confirming with `confirm`); returns the tree's node of the build it started.
   */
  async function uploadFromFolder(
    environment: string,
    folder: string,
    files: Record<string, string>,
    confirm = 'Upload',
  ): Promise<BuildNode> {
    await session.client.createEnvironment(PROJECT, { name: environment, base_environment: 'python3-12' });
    const uri = await folderWith(session.dir, folder, files);
    session.api.explorer.refresh();
    await withAnswers([{ pick: PROJECT }, { pick: environment }, { button: confirm }], () =>
      vscode.commands.executeCommand('ubiops.uploadFolder', uri),
    );
    return newestBuild(session.api, environment);
  }

  it("opens a failed upload's log at its first error, with errors marked", async () => {
    const build = await uploadFromFolder(
      'log-failing',
      'failing',
      {
        'requirements.txt': 'numpy==1.26.4\npandas ==> 2\n',
        'ubiops.yaml': 'apt:\n  packages:\n    - curl\n',
      },
      'Upload Anyway',
    );
    await untilBuildIs('failed', build, 'the build to fail', 30_000);
    const failed = await newestBuild(session.api, 'log-failing');
    assert.equal(failed.build.status, 'failed');
    await vscode.commands.executeCommand('ubiops.showBuildLog', failed);
    const editor = await until('the log at its first error', () => {
      const found = logEditor(failed.ref);
      return found && found.selection.active.line > 0 && found;
    });
    const document = editor.document;
    assert.match(document.uri.path, /^\/demo-project\/log-failing\/build-[0-9a-f]{8}\.log$/);
    const line = document.lineAt(editor.selection.active.line).text;
    assert.match(line, /ERROR\s+ERROR: requirements\.txt, line 2: .*==>/);
    // Every line before it is not an error; the selection is the first one.
    for (let i = 0; i < editor.selection.active.line; i++) {
      assert.doesNotMatch(document.lineAt(i).text, /\d {2}ERROR {2}/);
    }
    assert.ok(
      editor.visibleRanges.some((range) => range.contains(editor.selection.active)),
      'the error is in view',
    );
    const snapshot = session.api.logs.snapshot(failed.ref);
    assert.equal(snapshot?.errors[0], editor.selection.active.line);
    assert.equal(snapshot?.state, 'done');
    // One document line per log line, with its time.
    const all = await session.client.listLogs(PROJECT, {
      query: buildLogQuery('log-failing', failed.ref.build),
      limit: 5000,
    });
    assert.equal(document.lineCount, all.length);
    assert.match(
      document.lineAt(0).text,
      /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} {2}INFO {3}Build [0-9a-f-]+ queued/,
    );
    assert.ok(document.isUntitled === false && !document.isDirty);
  });

  it('follows a running build: the open log grows in place, stays at the bottom, and stops with the build', async () => {
    const build = await uploadFromFolder('log-live', 'live', {
      'requirements.txt': Array.from({ length: 60 }, (_, i) => `package-${i}==1.${i}`).join('\n'),
    });
    assert.ok(build.running, `the build runs (${build.build.status})`);
    await vscode.commands.executeCommand('ubiops.showBuildLog', build);
    const counts: number[] = [];
    await until(
      'the build and its log to finish',
      () => {
        const editor = logEditor(build.ref);
        if (editor) {
          const lines = editor.document.lineCount;
          if (counts.at(-1) !== lines) {
            counts.push(lines);
          }
        }
        return session.api.logs.snapshot(build.ref)?.state === 'done';
      },
      40_000,
    );
    // The last lines reach the document just after the follower ends.
    const all = await session.client.listLogs(PROJECT, {
      query: buildLogQuery('log-live', build.ref.build),
      limit: 5000,
    });
    const editor = await until('the last lines', () => {
      const found = logEditor(build.ref);
      return found?.document.lineCount === all.length && found;
    });
    if (counts.at(-1) !== editor.document.lineCount) {
      counts.push(editor.document.lineCount);
    }
    assert.ok(counts.length >= 3, `the log grew while the build ran: ${counts.join(' → ')}`);
    assert.equal(editor.document.lineCount, all.length, 'every line once');
    assert.match(editor.document.lineAt(editor.document.lineCount - 1).text, /Build succeeded\.$/);
    // The editor scrolls after the text changed; the extension host hears of it a moment later.
    await until(
      'the view to follow to the bottom',
      () => (editor.visibleRanges.at(-1)?.end.line ?? 0) >= editor.document.lineCount - 2,
      5000,
    );
    assert.equal(session.api.tracker.isFollowing(build.ref.build), false);
  });

  it('leaves the view where the user scrolled up while the log grows', async () => {
    const build = await uploadFromFolder('log-scrolled', 'scrolled', {
      'requirements.txt': Array.from({ length: 300 }, (_, i) => `package-${i}==1.${i}`).join('\n'),
    });
    await vscode.commands.executeCommand('ubiops.showBuildLog', build);
    // Once the log is longer than the view, the user scrolls to its top.
    const editor = await until(
      'a log longer than the view',
      () => {
        const found = logEditor(build.ref);
        return found && found.document.lineCount > 100 && found;
      },
      30_000,
    );
    const grownTo = editor.document.lineCount;
    editor.revealRange(new vscode.Range(0, 0, 0, 0), vscode.TextEditorRevealType.AtTop);
    await until('the view at the top', () => editor.visibleRanges[0]?.start.line === 0, 5000);
    await until(
      'the build and its log to finish',
      () => session.api.logs.snapshot(build.ref)?.state === 'done',
      40_000,
    );
    await until(
      'the last lines',
      () =>
        editor.document.lineCount > grownTo &&
        editor.document.lineCount === session.api.logs.snapshot(build.ref)?.lines,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(editor.visibleRanges[0]?.start.line, 0, 'the view stayed where the user put it');
  });

  it('deploys a folder to a new environment from the Explorer menu, and builds it', async () => {
    const folder = await folderWith(session.dir, 'My Model_v2', {
      'requirements.txt': 'requests==2.32.3\n',
      'ubiops.yaml': 'apt:\n  packages:\n    - curl\n',
    });
    session.api.explorer.refresh();
    const { transcript } = await withAnswers(
      newEnvironmentAnswers('my-model-v2', 'python3-12', 'My model', ['Upload']),
      () => vscode.commands.executeCommand('ubiops.uploadFolder', folder),
    );
    assert.match(transcript.prompts[2], /New Environment from My Model_v2 in demo-project: name \(1\/4\)/);
    assert.deepEqual(transcript.validations, [undefined, undefined, undefined]);
    assert.ok(
      transcript.messages.some((m) =>
        /Create the environment my-model-v2 on python3-12 and upload My Model_v2/.test(m.text),
      ),
    );
    const created = await session.client.getEnvironment(PROJECT, 'my-model-v2');
    assert.equal(created.base_environment, 'python3-12');
    assert.equal(created.display_name, 'My model');
    const build = await newestBuild(session.api, 'my-model-v2');
    assert.ok(
      session.api.tracker.isFollowing(build.ref.build) || build.build.status === 'success',
      'the build is followed',
    );
    await untilBuildIs('success', build, 'the new environment to be built', 40_000);
    // The folder is remembered for it, as for existing environments.
    const again = await withAnswers([{ pick: 'My Model_v2' }, { button: undefined }], async () =>
      vscode.commands.executeCommand(
        'ubiops.uploadFolder',
        (await newestBuild(session.api, 'my-model-v2')).parent.parent,
      ),
    );
    assert.match(again.transcript.prompts[0], /Upload to my-model-v2/);
    // The base used last comes first next time.
    const next = await folderWith(session.dir, 'second', { 'requirements.txt': 'numpy==1.26.4\n' });
    const second = await withAnswers(newEnvironmentAnswers('second', /used last/, '', [undefined]), () =>
      vscode.commands.executeCommand('ubiops.uploadFolder', next),
    );
    assert.ok(second.transcript.prompts.some((p) => /base environment/.test(p)));
    await assert.rejects(
      session.client.getEnvironment(PROJECT, 'second'),
      'answering no to the question creates nothing',
    );
  });
});

describe('Build logs in the editor: deploying to a new environment when the upload fails', function () {
  this.timeout(60_000);
  // Any zip is over this limit: the create succeeds, the upload is refused.
  const session = useSession(TOKEN, { maxUploadBytes: 50, tempPrefix: 'ubiops-deploy-fail-' });

  it('says the environment exists and can take the upload later, and deletes nothing', async () => {
    const folder = await folderWith(session.dir, 'too-big', { 'requirements.txt': 'numpy==1.26.4\n' });
    session.api.explorer.refresh();
    const { transcript } = await withAnswers(
      newEnvironmentAnswers('too-big', 'python3-11', '', ['Upload', undefined]),
      () => vscode.commands.executeCommand('ubiops.uploadFolder', folder),
    );
    const error = transcript.messages.find((m) => m.kind === 'error');
    assert.match(
      error?.text ?? '',
      /the environment too-big was created, but the upload of too-big to it failed .*The environment stays/,
    );
    const kept = await session.client.getEnvironment(PROJECT, 'too-big');
    assert.equal(kept.base_environment, 'python3-11');
    assert.equal((await session.client.listRevisions(PROJECT, 'too-big')).length, 0);
  });
});
