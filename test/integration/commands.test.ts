import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { UbiOpsApiError, UbiOpsClient } from '../../src/api';
import type { ExtensionApi } from '../../src/extension';
import type { BuildNode } from '../../src/explorer/buildNode';
import type { EnvironmentNode } from '../../src/explorer/environmentNode';
import type { RevisionNode } from '../../src/explorer/revisionNode';
import type { TreeNode } from '../../src/explorer/treeNode';
import { useTempDir } from '../helpers/tempDir';
import { until, withAnswers } from './prompts';
import { emulatorSession, type Session } from './session';
import { folderWith as sharedFolderWith, nameOf } from './tree';

const TOKEN = 'commands-token-55aa';
const PROJECT = 'demo-project';

describe('Environment commands, from the tree and from the palette', function () {
  this.timeout(60_000);
  let session: Session;
  let api: ExtensionApi;
  let client: UbiOpsClient;
  const temp = useTempDir('ubiops-commands-');
  const requests: string[] = [];

  const children = (node?: TreeNode) => api.explorer.getChildren(node);
  const project = async () => (await children()).find((node) => nameOf(node) === PROJECT)!;
  const environment = async (name: string) => {
    const found = (await children(await project())).find((node) => nameOf(node) === name);
    assert.ok(found, `${name} is in the tree`);
    return found as EnvironmentNode;
  };

  const folderWith = (name: string, files: Record<string, string>) => sharedFolderWith(temp.path, name, files);

  before(async () => {
    // Builds long enough to be cancelled while they run.
    session = await emulatorSession(TOKEN, { buildSeconds: 3, log: (line) => requests.push(line) });
    ({ api, client } = session);
  });

  after(() => session?.close());

  describe('create, edit, rename, delete', () => {
    it('blocks a name already taken in the project, saying so as it is typed', async () => {
      const taken = await withAnswers([{ input: 'data-science' }], async () =>
        vscode.commands.executeCommand('ubiops.createEnvironment', await project()),
      );
      assert.match(taken.transcript.validations[0] ?? '', /already exists/);
      assert.equal(taken.transcript.severities[0], 'error', 'a taken name blocks');
    });

    it('sends what UbiOps may accept (a 65-character name, a label value with a space), and shows the server answer as it came', async () => {
      const name = `long-${'n'.repeat(61)}`;
      assert.equal(name.length, 66);
      // What this server decides, asked beside the extension: the extension must not decide in its place.
      const probe = `probe-${'p'.repeat(60)}`;
      const accepted = await client
        .createEnvironment(PROJECT, { name: probe, base_environment: 'python3-12', labels: { team: 'data science' } })
        .then(
          () => true,
          () => false,
        );
      const serverSays = accepted
        ? undefined
        : await client
            .createEnvironment(PROJECT, { name, base_environment: 'python3-12', labels: { team: 'data science' } })
            .then(
              () => undefined,
              (error: UbiOpsApiError) => error.serverMessage,
            );
      requests.length = 0;
      const { transcript } = await withAnswers(
        [
          { input: name },
          { pick: 'python3-12' },
          { input: '' },
          { input: '' },
          { input: 'team:data science' },
          ...(accepted ? [{ button: undefined }] : []),
        ],
        async () => vscode.commands.executeCommand('ubiops.createEnvironment', await project()),
      );
      assert.match(transcript.validations[0] ?? '', /At most 64 characters/, 'the rule is explained');
      assert.equal(transcript.severities[0], 'warning', 'as a warning');
      assert.equal(transcript.severities[3], 'warning', 'the label rule too');
      assert.ok(
        requests.some((line) => /^POST \/v2\.1\/projects\/demo-project\/environments /.test(line)),
        `the server was asked: ${requests.join(', ')}`,
      );
      if (accepted) {
        assert.deepEqual((await client.getEnvironment(PROJECT, name)).labels, { team: 'data science' });
      } else {
        const refusal = transcript.messages.find((message) => message.kind === 'error');
        assert.ok(serverSays, 'the server gave a reason');
        assert.ok(refusal?.text.includes(serverSays), `the server's words are shown: ${refusal?.text}`);
      }
    });

    it('creates an environment from a project row, with base, description and labels', async () => {
      const { transcript } = await withAnswers(
        [
          { input: 'made-in-tree' },
          { pick: 'python3-12' },
          { input: 'Made in the tree' },
          { input: 'for the tests' },
          { input: 'team:ml, stage:dev' },
          { button: undefined },
        ],
        async () => vscode.commands.executeCommand('ubiops.createEnvironment', await project()),
      );
      const created = await client.getEnvironment(PROJECT, 'made-in-tree');
      assert.equal(created.base_environment, 'python3-12');
      assert.equal(created.display_name, 'Made in the tree');
      assert.equal(created.description, 'for the tests');
      assert.deepEqual(created.labels, { team: 'ml', stage: 'dev' });
      assert.ok(transcript.messages.some((message) => /created the environment made-in-tree/.test(message.text)));
      assert.ok(await environment('made-in-tree'), 'the project row was refreshed');
    });

    it('creates an environment from the palette, walking to the project', async () => {
      await withAnswers(
        [
          { pick: PROJECT },
          { input: 'made-in-palette' },
          { pick: 'python3-11' },
          { input: '' },
          { input: '' },
          { input: '' },
          { button: undefined },
        ],
        () => vscode.commands.executeCommand('ubiops.createEnvironment'),
      );
      const created = await client.getEnvironment(PROJECT, 'made-in-palette');
      assert.equal(created.display_name, 'made-in-palette');
      assert.deepEqual(created.labels, {});
    });

    it('edits display name, description and labels (labels replaced whole)', async () => {
      await withAnswers([{ input: 'Edited' }, { input: 'new description' }, { input: 'owner:me' }], async () =>
        vscode.commands.executeCommand('ubiops.editEnvironment', await environment('made-in-tree')),
      );
      const edited = await client.getEnvironment(PROJECT, 'made-in-tree');
      assert.equal(edited.display_name, 'Edited');
      assert.equal(edited.description, 'new description');
      assert.deepEqual(edited.labels, { owner: 'me' });
    });

    it('edits an environment whose labels break the documented rule without rewriting them', async () => {
      // A label UbiOps' own client would send (it checks none): the server is the judge.
      const labels = { 'my team': 'data science' };
      await client.createEnvironment(PROJECT, { name: 'odd-labels', base_environment: 'python3-12', labels });
      api.explorer.refresh();
      const { transcript } = await withAnswers(
        [{ input: 'Odd labels' }, { input: '' }, { input: 'my team:data science' }],
        async () => vscode.commands.executeCommand('ubiops.editEnvironment', await environment('odd-labels')),
      );
      assert.equal(transcript.severities[2], 'warning', 'the rule is explained, not enforced');
      assert.match(transcript.validations[2] ?? '', /Label keys and values/);
      const edited = await client.getEnvironment(PROJECT, 'odd-labels');
      assert.equal(edited.display_name, 'Odd labels');
      assert.deepEqual(edited.labels, labels, 'the labels are as they were');
    });

    it('renames from the palette', async () => {
      await withAnswers([{ pick: PROJECT }, { pick: 'made-in-palette' }, { input: 'renamed-in-palette' }], () =>
        vscode.commands.executeCommand('ubiops.renameEnvironment'),
      );
      assert.equal((await client.getEnvironment(PROJECT, 'renamed-in-palette')).name, 'renamed-in-palette');
      assert.ok(await environment('renamed-in-palette'));
    });

    it('deletes several environments after one confirmation', async () => {
      const first = await environment('made-in-tree');
      const second = await environment('renamed-in-palette');
      const { transcript } = await withAnswers([{ button: 'Delete' }], () =>
        vscode.commands.executeCommand('ubiops.deleteEnvironment', first, [first, second]),
      );
      assert.match(transcript.messages[0].text, /Delete 2 environments \(made-in-tree, renamed-in-palette\)/);
      const names = (await client.listEnvironments(PROJECT)).map((item) => item.name);
      assert.ok(!names.includes('made-in-tree') && !names.includes('renamed-in-palette'));
    });

    it('refuses to delete an environment in use, naming the deployment versions', async () => {
      const { transcript } = await withAnswers([{ button: 'Delete' }], async () =>
        vscode.commands.executeCommand('ubiops.deleteEnvironment', await environment('data-science')),
      );
      const refusal = transcript.messages.find((message) => message.kind === 'error');
      assert.match(
        refusal?.text ?? '',
        /not deleted\. data-science is used by churn-model\/v1.*move those deployment versions/,
      );
      assert.ok(await client.getEnvironment(PROJECT, 'data-science'));
    });

    it('shows the deployment versions that use an environment', async () => {
      const { transcript } = await withAnswers([{ pick: 'churn-model' }], async () =>
        vscode.commands.executeCommand('ubiops.showUsage', await environment('data-science')),
      );
      assert.match(transcript.prompts[0], /deployment versions? use data-science/);
    });
  });

  describe('revisions', () => {
    before(async () => {
      await client.createEnvironment(PROJECT, { name: 'upload-target', base_environment: 'python3-12' });
      api.explorer.refresh();
    });

    it('uploads a folder right-clicked in the Explorer, and follows its build to success', async () => {
      const folder = await folderWith('good-folder', {
        'requirements.txt': 'numpy==1.26.4\n',
        'ubiops.yaml': 'apt:\n  packages:\n    - libgomp1\n',
        'train.py': 'print(1)\n',
      });
      await fs.mkdir(path.join(folder.fsPath, '.venv'), { recursive: true });
      await fs.writeFile(path.join(folder.fsPath, '.venv', 'big.bin'), 'x'.repeat(1000));
      const { transcript } = await withAnswers(
        [{ pick: PROJECT }, { pick: 'upload-target' }, { button: 'Upload' }],
        () => vscode.commands.executeCommand('ubiops.uploadFolder', folder),
      );
      const question = transcript.messages.find((message) => /Upload good-folder to upload-target/.test(message.text));
      assert.match(question?.detail ?? '', /3 files.*dependency files: requirements\.txt, ubiops\.yaml/s);
      assert.match(
        question?.detail ?? '',
        /default exclusions \(setting ubiops\.upload\.defaultExclusions\) leave out 1 \(a folder counts once\): \.venv\//,
      );
      const revisions = await client.listRevisions(PROJECT, 'upload-target');
      assert.equal(revisions.length, 1);
      const [build] = await client.listBuilds(PROJECT, 'upload-target', revisions[0].id);
      assert.ok(api.tracker.isFollowing(build.id) || build.status === 'success');
      await until(
        'the build to succeed',
        async () => (await client.getBuild(PROJECT, 'upload-target', revisions[0].id, build.id)).status === 'success',
      );
      const files = await client.listBuildDependencyFiles(PROJECT, 'upload-target', revisions[0].id, build.id);
      assert.deepEqual(files.map((file) => file.name).sort(), ['requirements.txt', 'ubiops.yaml']);
    });

    it('offers the remembered folder when uploading from the environment row', async () => {
      const { transcript } = await withAnswers([{ pick: 'good-folder' }, { button: 'Upload' }], async () =>
        vscode.commands.executeCommand('ubiops.uploadFolder', await environment('upload-target')),
      );
      assert.match(transcript.prompts[0], /Upload to upload-target/);
      assert.equal((await client.listRevisions(PROJECT, 'upload-target')).length, 2);
    });

    it('refuses a folder with no dependency file, saying what to do', async () => {
      const folder = await folderWith('no-deps', { 'train.py': 'print(1)\n' });
      const result = await withAnswers([{ pick: PROJECT }, { pick: 'upload-target' }], () =>
        vscode.commands.executeCommand('ubiops.uploadFolder', folder),
      );
      const error = result.transcript.messages.find((message) => message.kind === 'error');
      assert.match(
        error?.text ?? '',
        /no-deps has no dependency file \(requirements\.txt, .*\) at its top level.*Choose the folder that holds them/,
      );
      assert.equal((await client.listRevisions(PROJECT, 'upload-target')).length, 2, 'nothing was uploaded');
    });

    it('warns before sending when a rule leaves a dependency file out, and honours the default-exclusions setting', async () => {
      await client.createEnvironment(PROJECT, { name: 'ignore-target', base_environment: 'python3-12' });
      api.explorer.refresh();
      const folder = await folderWith('ignored-deps', {
        'requirements.txt': 'numpy\n',
        'ubiops.yaml': 'environment_variables: []\n',
        '.ubiops-ignore': 'requirements.txt\n',
      });
      await fs.mkdir(path.join(folder.fsPath, '.venv'));
      await fs.writeFile(path.join(folder.fsPath, '.venv', 'x.py'), 'x\n');
      const cancelled = await withAnswers([{ pick: PROJECT }, { pick: 'ignore-target' }, { button: undefined }], () =>
        vscode.commands.executeCommand('ubiops.uploadFolder', folder),
      );
      const warning = cancelled.transcript.messages.find((message) => message.kind === 'warning');
      assert.match(warning?.text ?? '', /requirements\.txt will not be in the upload of ignored-deps/);
      assert.match(
        warning?.detail ?? '',
        /requirements\.txt: left out by the rule `\.ubiops-ignore:1: requirements\.txt`/,
      );
      assert.equal((await client.listRevisions(PROJECT, 'ignore-target')).length, 0, 'nothing was sent');

      await vscode.workspace
        .getConfiguration('ubiops')
        .update('upload.defaultExclusions', false, vscode.ConfigurationTarget.Global);
      try {
        const { transcript } = await withAnswers(
          [{ pick: PROJECT }, { pick: 'ignore-target' }, { button: 'Upload Anyway' }, { button: 'Upload' }],
          () => vscode.commands.executeCommand('ubiops.uploadFolder', folder),
        );
        const question = transcript.messages.find((message) =>
          /Upload ignored-deps to ignore-target/.test(message.text),
        );
        // .ubiops-ignore, .venv/x.py and ubiops.yaml: nothing left out by default.
        assert.match(question?.detail ?? '', /^3 files/);
        assert.doesNotMatch(question?.detail ?? '', /default exclusions/);
        assert.match(question?.detail ?? '', /\.ubiops-ignore leaves out 1 \(a folder counts once\)\./);
      } finally {
        await vscode.workspace
          .getConfiguration('ubiops')
          .update('upload.defaultExclusions', undefined, vscode.ConfigurationTarget.Global);
      }
      assert.equal((await client.listRevisions(PROJECT, 'ignore-target')).length, 1);
    });

    it('copies the files of another environment', async () => {
      await client.createEnvironment(PROJECT, { name: 'copy-target', base_environment: 'python3-12' });
      api.explorer.refresh();
      await withAnswers([{ pick: 'upload-target' }], async () =>
        vscode.commands.executeCommand('ubiops.copyFromEnvironment', await environment('copy-target')),
      );
      const [revision] = await client.listRevisions(PROJECT, 'copy-target');
      assert.ok(revision, 'a revision was created by the copy');
    });

    it('downloads a revision to the chosen file, the very bytes uploaded', async () => {
      const target = vscode.Uri.file(path.join(temp.path, 'downloaded.zip'));
      const [revision] = (await children(await environment('upload-target'))) as RevisionNode[];
      await withAnswers([{ save: target }, { button: undefined }], () =>
        vscode.commands.executeCommand('ubiops.downloadRevision', revision),
      );
      const expected = path.join(temp.path, 'expected.zip');
      await client.downloadRevision(PROJECT, 'upload-target', revision.revisionId, { filePath: expected });
      assert.deepEqual(await fs.readFile(target.fsPath), await fs.readFile(expected));
    });

    it('says why it cannot upload from, or download to, a place that is not on disk (a virtual workspace)', async () => {
      const revisionsBefore = (await client.listRevisions(PROJECT, 'upload-target')).length;
      const virtualFolder = vscode.Uri.parse('vscode-vfs://github/example/repo/env');
      const upload = await withAnswers([], () => vscode.commands.executeCommand('ubiops.uploadFolder', virtualFolder));
      assert.match(
        upload.transcript.messages.find((message) => message.kind === 'error')?.text ?? '',
        /vscode-vfs:\/\/github\/example\/repo\/env is not on disk \(this workspace is virtual\): uploading packs a folder from disk\. Open a local copy/,
      );
      assert.equal(
        (await client.listRevisions(PROJECT, 'upload-target')).length,
        revisionsBefore,
        'nothing was uploaded',
      );

      const revision = ((await children(await environment('data-science'))) as RevisionNode[]).find(
        (node) => !node.revision.expired,
      );
      assert.ok(revision, 'data-science has a revision to download');
      const download = await withAnswers([{ save: vscode.Uri.parse('vscode-vfs://github/example/repo/env.zip') }], () =>
        vscode.commands.executeCommand('ubiops.downloadRevision', revision),
      );
      assert.match(
        download.transcript.messages.find((message) => message.kind === 'error')?.text ?? '',
        /env\.zip is not on disk \(this workspace is virtual\): a revision is downloaded to a file on disk\. Choose a folder on this computer/,
      );
    });

    it('rebuilds a revision from the palette', async () => {
      const [revision] = await client.listRevisions(PROJECT, 'upload-target').then((list) => list.slice(-1));
      const before = (await client.listBuilds(PROJECT, 'upload-target', revision.id)).length;
      await withAnswers([{ pick: PROJECT }, { pick: 'upload-target' }, { pick: /./ }], () =>
        vscode.commands.executeCommand('ubiops.rebuildRevision'),
      );
      const revisions = await client.listRevisions(PROJECT, 'upload-target');
      const counts = await Promise.all(
        revisions.map((item) => client.listBuilds(PROJECT, 'upload-target', item.id).then((builds) => builds.length)),
      );
      assert.ok(counts.reduce((a, b) => a + b, 0) > revisions.length, `a new build exists (before: ${before})`);
    });
  });

  describe("the palette's walk", () => {
    it('refreshes a level in place and goes Back a level: an environment made elsewhere can be chosen', async () => {
      await withAnswers([{ pick: PROJECT }, { escape: true }], () =>
        vscode.commands.executeCommand('ubiops.rebuildRevision'),
      );
      // Made elsewhere (the web app, the CLI): the model has the project's environments already, without this one.
      await client.createEnvironment(PROJECT, { name: 'made-elsewhere', base_environment: 'python3-12' });
      const { transcript } = await withAnswers(
        [
          { pick: PROJECT },
          { trigger: 'Refresh' },
          { back: true },
          { pick: PROJECT },
          { pick: 'made-elsewhere' },
          { input: 'Shown elsewhere' },
          { input: '' },
          { input: '' },
        ],
        () => vscode.commands.executeCommand('ubiops.editEnvironment'),
      );
      assert.equal((await client.getEnvironment(PROJECT, 'made-elsewhere')).display_name, 'Shown elsewhere');
      const offered = transcript.offered.join('\n');
      assert.match(offered, /made-elsewhere/, 'offered after Refresh');
      assert.ok(
        transcript.prompts.some((prompt) => prompt.endsWith('(after Refresh)')),
        transcript.prompts.join('\n'),
      );
    });
  });

  describe('builds', () => {
    it('cancels a running build from its row, and is refused for a finished one', async () => {
      await client.createEnvironment(PROJECT, { name: 'cancel-target', base_environment: 'python3-12' });
      const folder = await folderWith('cancel-folder', { 'requirements.txt': 'numpy\n' });
      api.explorer.refresh();
      await withAnswers([{ pick: PROJECT }, { pick: 'cancel-target' }, { button: 'Upload' }], () =>
        vscode.commands.executeCommand('ubiops.uploadFolder', folder),
      );
      const [revision] = (await children(await environment('cancel-target'))) as RevisionNode[];
      const [build] = (await children(revision)) as BuildNode[];
      assert.ok(build.running, `the build runs (${build.build.status})`);
      const cancelled = await withAnswers([], async (seen) => {
        await vscode.commands.executeCommand('ubiops.cancelBuild', build);
        // A cancel may pass through `cancelled_pending` on its way to `cancelled`.
        assert.match(
          api.explorer.buildNode(build.build.id)?.build.status ?? '',
          /^cancelled(_pending)?$/,
          'the row shows the cancel at once',
        );
        await until(
          'the build to be cancelled',
          async () =>
            (await client.getBuild(PROJECT, 'cancel-target', revision.revisionId, build.build.id)).status ===
            'cancelled',
        );
        await until('the notification of the cancel', () =>
          seen.messages.find((message) => message.text.includes('cancel-target')),
        );
      });
      const notice = cancelled.transcript.messages.find((message) => message.text.includes('cancel-target'))!;
      assert.match(
        notice.text,
        /the build of cancel-target \(demo-project\) was cancelled/,
        'its own words, not "succeeded" or "failed"',
      );
      assert.equal(notice.kind, 'warning');

      const { transcript } = await withAnswers([], () => vscode.commands.executeCommand('ubiops.cancelBuild', build));
      assert.match(
        transcript.messages.find((message) => message.kind === 'error')?.text ?? '',
        /could not cancel .*already finished/i,
      );
    });

    it('copies ids and names', async () => {
      const node = await environment('data-science');
      await vscode.commands.executeCommand('ubiops.copyId', node);
      assert.equal(await vscode.env.clipboard.readText(), node.environment.id);
      await vscode.commands.executeCommand('ubiops.copyName', node);
      assert.equal(await vscode.env.clipboard.readText(), 'data-science');
    });
  });
});
