import { strict as assert } from 'node:assert';
import JSZip from 'jszip';
import type { EnvironmentBuild, EnvironmentBuildDependency, EnvironmentDetail } from '../../../src/api/models';
import {
  buildPath,
  call,
  createAndUpload,
  createEnvironment,
  getBuild,
  GOOD_FILES,
  goodZip,
  PROJECT,
  startEmulator,
  upload,
  useEmulator,
  waitForBuildStatus,
  zipOf,
} from './helpers';

const ENVS = `/projects/${PROJECT}/environments`;

describe('emulator revisions and builds', () => {
  describe('with instant builds', () => {
    const emu = useEmulator({ user: 'tester@example.com' });

    /** Uploads `data` into a fresh environment and returns the finished build. */
    async function buildOf(
      env: string,
      data: Uint8Array,
    ): Promise<{ build: EnvironmentBuild; files: EnvironmentBuildDependency[]; revision: string }> {
      await createEnvironment(emu, env);
      const up = await upload(emu, env, data);
      assert.equal(up.status, 201, up.text);
      const build = await getBuild(emu, env, up.body);
      const files = await call<EnvironmentBuildDependency[]>(
        emu,
        'GET',
        `${buildPath(env, up.body.revision, up.body.build)}/dependency-files`,
      );
      return { build: build.body, files: files.body, revision: up.body.revision };
    }

    it('builds a good zip: success, a size, the dependency files and the uploader', async () => {
      const { build, files, revision } = await buildOf('good', await goodZip());
      assert.equal(build.status, 'success');
      assert.equal(build.error_message, '');
      assert.equal(build.trigger, 'Environment file upload');
      assert.equal(typeof build.size, 'number');
      assert.ok((build.size as number) > 1_000_000);
      assert.deepEqual(files, [
        { name: 'requirements.txt', content: GOOD_FILES['requirements.txt'] },
        { name: 'ubiops.yaml', content: GOOD_FILES['ubiops.yaml'] },
      ]);
      const rev = await call(emu, 'GET', `${ENVS}/good/revisions/${revision}`);
      assert.equal(rev.body.created_by, 'tester@example.com');
      assert.equal(rev.body.expired, false);
    });

    it('gives the same size for the same files', async () => {
      const a = await buildOf('size-a', await goodZip());
      const b = await buildOf('size-b', await zipOf(GOOD_FILES, null));
      assert.equal(a.build.size, b.build.size);
    });

    it('reads dependency files at the zip root too', async () => {
      const { build, files } = await buildOf(
        'root-layout',
        await zipOf({ 'requirements.txt': 'numpy==1.26.4\n' }, null),
      );
      assert.equal(build.status, 'success');
      assert.deepEqual(
        files.map((f) => f.name),
        ['requirements.txt'],
      );
    });

    it('builds the CLI layout with a stray file at the zip root (a README)', async () => {
      const zip = new JSZip();
      zip.file('README.md', '# my environment\n');
      zip.file('environment_package/requirements.txt', 'numpy==1.26.4\n');
      zip.file('environment_package/ubiops.yaml', GOOD_FILES['ubiops.yaml']);
      const { build, files } = await buildOf('stray-readme', await zip.generateAsync({ type: 'nodebuffer' }));
      assert.equal(build.status, 'success', build.error_message ?? '');
      assert.deepEqual(
        files.map((f) => f.name),
        ['requirements.txt', 'ubiops.yaml'],
      );
    });

    it('stores a non-ASCII file name as sent, and sends it back in filename*', async () => {
      await createEnvironment(emu, 'umlaut');
      const data = await goodZip();
      const fetched = await upload(emu, 'umlaut', data, 'ümlaut.zip');
      // As Python's urllib3 1.x sends it: RFC 2231 `filename*`.
      const boundary = 'x-boundary-umlaut';
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename*=utf-8''${encodeURIComponent('ñandú.zip')}\r\nContent-Type: application/zip\r\n\r\n`;
      const raw = await call(emu, 'POST', `${ENVS}/umlaut/revisions`, {
        headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
        body: Buffer.concat([Buffer.from(head), data, Buffer.from(`\r\n--${boundary}--\r\n`)]),
      });
      assert.equal(raw.status, 201, raw.text);
      for (const [revision, name] of [
        [fetched.body.revision, 'ümlaut.zip'],
        [raw.body.revision, 'ñandú.zip'],
      ]) {
        const res = await fetch(`${emu.url}${ENVS}/umlaut/revisions/${revision}/download`, {
          headers: { Authorization: 'Token test-token' },
        });
        await res.arrayBuffer();
        const header = res.headers.get('content-disposition') ?? '';
        assert.equal(decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(header)?.[1] ?? ''), name, header);
      }
    });

    it('fails a non-zip with an explicit message', async () => {
      const { build, files } = await buildOf('not-zip', Buffer.from('this is plain text, not a zip'));
      assert.equal(build.status, 'failed');
      assert.match(build.error_message ?? '', /not a valid zip/);
      assert.equal(build.size, null);
      assert.deepEqual(files, []);
    });

    it('fails a zip without dependency files, naming what it looked for', async () => {
      const { build } = await buildOf('no-deps', await zipOf({ 'main.py': 'print(1)\n' }));
      assert.equal(build.status, 'failed');
      assert.match(build.error_message ?? '', /requirements\.txt/);
      assert.match(build.error_message ?? '', /ubiops\.yaml/);
      assert.match(build.error_message ?? '', /environment\.yaml/);
    });

    it('fails a bad ubiops.yaml, quoting the problem with its position', async () => {
      const { build, files } = await buildOf(
        'bad-yaml',
        await zipOf({
          'requirements.txt': 'numpy==1.26.4\n',
          'ubiops.yaml': 'environment_variables:\n  - lower=1\nfoo: bar\n',
        }),
      );
      assert.equal(build.status, 'failed');
      assert.match(build.error_message ?? '', /ubiops\.yaml:\d+:\d+: /);
      assert.ok((build.error_message ?? '').length <= 1024);
      assert.deepEqual(
        files.map((f) => f.name),
        ['requirements.txt', 'ubiops.yaml'],
        'a failed build lists the files it found',
      );
    });

    it('fails a bad requirements line, and summarises many problems', async () => {
      const { build } = await buildOf(
        'bad-req',
        await zipOf({ 'requirements.txt': 'numpy==1.26.4\nbeautifulsoup4 ==> 4.12\n' }),
      );
      assert.equal(build.status, 'failed');
      assert.match(build.error_message ?? '', /requirements\.txt:2:\d+: /);
      const many = Array.from({ length: 30 }, (_, i) => `pkg${i} ==> ${i}`).join('\n');
      const lots = await buildOf('bad-req-many', await zipOf({ 'requirements.txt': `${many}\n` }));
      assert.equal(lots.build.status, 'failed');
      assert.match(lots.build.error_message ?? '', /and \d+ more/);
      assert.ok((lots.build.error_message ?? '').length <= 1024);
    });

    it('fails a dependency file over 1 MiB once unzipped', async () => {
      const huge = `${'# padding\n'.repeat(110_000)}numpy==1.26.4\n`;
      const { build } = await buildOf('huge-req', await zipOf({ 'requirements.txt': huge }));
      assert.equal(build.status, 'failed');
      assert.match(build.error_message ?? '', /too large/);
    });

    it('copies the file of a source environment', async () => {
      const data = await goodZip();
      await createEnvironment(emu, 'copy-source');
      await upload(emu, 'copy-source', data, 'source-files.zip');
      await createEnvironment(emu, 'copy-target');
      const form = new FormData();
      form.append('source_environment', 'copy-source');
      const answer = await call(emu, 'POST', `${ENVS}/copy-target/revisions`, { body: form });
      assert.equal(answer.status, 201, answer.text);
      const build = await getBuild(emu, 'copy-target', answer.body);
      assert.equal(build.body.status, 'success');
      assert.equal(build.body.trigger, 'Environment file copy');
      const download = await fetch(`${emu.url}${ENVS}/copy-target/revisions/${answer.body.revision}/download`, {
        headers: { Authorization: 'Token test-token' },
      });
      assert.deepEqual(Buffer.from(await download.arrayBuffer()), data);
      assert.equal(download.headers.get('content-disposition'), 'attachment; filename="source-files.zip"');
    });

    it('refuses copies from an unknown source or one without a revision, and both or neither part', async () => {
      const send = async (fill: (f: FormData) => void): Promise<{ status: number; body: { error: string } }> => {
        const form = new FormData();
        fill(form);
        return call(emu, 'POST', `${ENVS}/copy-target/revisions`, { body: form });
      };
      const unknown = await send((f) => f.append('source_environment', 'nowhere'));
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.error, /nowhere/);
      await createEnvironment(emu, 'copy-empty');
      const empty = await send((f) => f.append('source_environment', 'copy-empty'));
      assert.equal(empty.status, 400);
      assert.match(empty.body.error, /no revision/);
      const both = await send((f) => {
        f.append('source_environment', 'copy-source');
        f.append('file', new Blob([new Uint8Array(3)]), 'x.zip');
      });
      assert.equal(both.status, 400);
      const neither = await send((f) => f.append('something', 'else'));
      assert.equal(neither.status, 400);
      assert.match(neither.body.error, /file or source_environment/);
    });

    it('downloads the uploaded bytes with their name', async () => {
      await createEnvironment(emu, 'download-me');
      const data = await zipOf({ ...GOOD_FILES, 'extra.bin': 'z'.repeat(5000) });
      const up = await upload(emu, 'download-me', data, 'my-env.zip');
      const res = await fetch(`${emu.url}${ENVS}/download-me/revisions/${up.body.revision}/download`, {
        headers: { Authorization: 'Token test-token' },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/zip');
      assert.equal(res.headers.get('content-length'), String(data.length));
      assert.equal(res.headers.get('content-disposition'), 'attachment; filename="my-env.zip"');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
    });

    it('rebuilds a revision with {} or no body', async () => {
      const up = await createAndUpload(emu, 'rebuild-me');
      const withBody = await call<EnvironmentBuild>(
        emu,
        'POST',
        `${ENVS}/rebuild-me/revisions/${up.body.revision}/rebuild`,
        { json: {} },
      );
      assert.equal(withBody.status, 201);
      assert.equal(withBody.body.trigger, 'Rebuild triggered');
      assert.equal(withBody.body.revision, up.body.revision);
      assert.notEqual(withBody.body.id, up.body.build);
      const bare = await call<EnvironmentBuild>(
        emu,
        'POST',
        `${ENVS}/rebuild-me/revisions/${up.body.revision}/rebuild`,
      );
      assert.equal(bare.status, 201);
      const builds = await call<EnvironmentBuild[]>(
        emu,
        'GET',
        `${ENVS}/rebuild-me/revisions/${up.body.revision}/builds`,
      );
      assert.deepEqual(
        builds.body.map((b) => b.id),
        [up.body.build, withBody.body.id, bare.body.id],
      );
      const detail = await call<EnvironmentDetail>(emu, 'GET', `${ENVS}/rebuild-me`);
      assert.equal(detail.body.latest_build, bare.body.id);
    });

    it('handles an expired revision: 404 on download, 400 on rebuild', async () => {
      const up = await createAndUpload(emu, 'expiring');
      emu.expireRevision(PROJECT, 'expiring', up.body.revision);
      const rev = await call(emu, 'GET', `${ENVS}/expiring/revisions/${up.body.revision}`);
      assert.equal(rev.body.expired, true);
      const download = await call(emu, 'GET', `${ENVS}/expiring/revisions/${up.body.revision}/download`);
      assert.equal(download.status, 404);
      assert.match(download.body.error, /expired/);
      const rebuild = await call(emu, 'POST', `${ENVS}/expiring/revisions/${up.body.revision}/rebuild`);
      assert.equal(rebuild.status, 400);
      assert.match(rebuild.body.error, /expired/);
      const seeded = await call<{ id: string; expired: boolean }[]>(emu, 'GET', `${ENVS}/legacy-reports/revisions`);
      const old = seeded.body.find((r) => r.expired);
      const seededDownload = await call(emu, 'GET', `${ENVS}/legacy-reports/revisions/${old?.id}/download`);
      assert.equal(seededDownload.status, 404);
    });

    it('refuses cancelling a finished build, naming its status, and values other than cancelled', async () => {
      const up = await createAndUpload(emu, 'finished');
      const path = buildPath('finished', up.body.revision, up.body.build);
      const wrong = await call(emu, 'PATCH', path, { json: { status: 'success' } });
      assert.equal(wrong.status, 400);
      assert.match(wrong.body.error, /cancelled/);
      const late = await call(emu, 'PATCH', path, { json: { status: 'cancelled' } });
      assert.equal(late.status, 400);
      assert.match(late.body.error, /already finished/);
      assert.match(late.body.error, /success/);
    });
  });

  describe('on the clock', () => {
    const emu = useEmulator({ buildSeconds: 0.6, seed: true });

    it('goes queued, building, processing, success within buildSeconds, and every answer has size', async () => {
      // Long enough that polling sees the building stage (a sixth of the time) even on a busy machine.
      const slow = await startEmulator({ buildSeconds: 1.8 });
      try {
        await createEnvironment(slow, 'staged');
        const started = performance.now();
        const up = await upload(slow, 'staged', await goodZip());
        const path = buildPath('staged', up.body.revision, up.body.build);
        const seen: string[] = [];
        for (;;) {
          const b = await call<EnvironmentBuild>(slow, 'GET', path);
          assert.ok('size' in b.body);
          if (seen.at(-1) !== b.body.status) seen.push(b.body.status);
          if (b.body.status === 'success') break;
          assert.ok(performance.now() - started < 5000, `stuck in ${b.body.status}`);
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.deepEqual(seen, ['queued', 'building', 'processing', 'success']);
        assert.ok(performance.now() - started >= 1800, 'the whole lifecycle still takes buildSeconds');
        const rebuilt = await call<EnvironmentBuild>(
          slow,
          'POST',
          `${ENVS}/staged/revisions/${up.body.revision}/rebuild`,
        );
        assert.equal(rebuilt.body.status, 'queued');
        assert.equal(rebuilt.body.size, null, 'the rebuild answer has size, null until known');
      } finally {
        await slow.close();
      }
    });

    it('cancels a processing build through cancelled_pending, which becomes cancelled a second later', async () => {
      const up = await createAndUpload(emu, 'cancel-processing');
      const path = buildPath('cancel-processing', up.body.revision, up.body.build);
      await waitForBuildStatus(emu, path, 'processing', 1000);
      const answer = await call<EnvironmentBuild>(emu, 'PATCH', path, { json: { status: 'cancelled' } });
      assert.equal(answer.status, 200);
      assert.equal(answer.body.status, 'cancelled_pending');
      const again = await call<EnvironmentBuild>(emu, 'PATCH', path, { json: { status: 'cancelled' } });
      assert.equal(again.status, 200, 'a cancel on its way is answered as it stands');
      assert.equal(again.body.status, 'cancelled_pending');
      // Past the build's own end: the cancel wins, no outcome is produced.
      await new Promise((r) => setTimeout(r, 400));
      assert.equal((await call<EnvironmentBuild>(emu, 'GET', path)).body.status, 'cancelled_pending');
      await waitForBuildStatus(emu, path, 'cancelled', 1500);
      const late = await call(emu, 'PATCH', path, { json: { status: 'cancelled' } });
      assert.equal(late.status, 400);
      const detail = await call<EnvironmentDetail>(emu, 'GET', `${ENVS}/cancel-processing`);
      assert.equal(detail.body.active_build, null);
    });

    it('goes queued, processing, success', async () => {
      const up = await createAndUpload(emu, 'clocked');
      const path = buildPath('clocked', up.body.revision, up.body.build);
      const first = await call<EnvironmentBuild>(emu, 'GET', path);
      assert.equal(first.body.status, 'queued');
      assert.equal(first.body.size, null);
      const files = await call(emu, 'GET', `${path}/dependency-files`);
      assert.deepEqual(files.body, []);
      await waitForBuildStatus(emu, path, 'processing', 1000);
      const during = await call(emu, 'GET', `${path}/dependency-files`);
      assert.deepEqual(during.body, []);
      await waitForBuildStatus(emu, path, 'success', 2000);
      const after = await call<EnvironmentBuild>(emu, 'GET', path);
      assert.equal(typeof after.body.size, 'number');
    });

    it('cancels a running build, which then stays cancelled', async () => {
      const up = await createAndUpload(emu, 'cancel-me');
      const path = buildPath('cancel-me', up.body.revision, up.body.build);
      const answer = await call<EnvironmentBuild>(emu, 'PATCH', path, { json: { status: 'cancelled' } });
      assert.equal(answer.status, 200);
      assert.equal(answer.body.status, 'cancelled');
      assert.ok('size' in answer.body);
      await new Promise((r) => setTimeout(r, 800));
      const later = await call<EnvironmentBuild>(emu, 'GET', path);
      assert.equal(later.body.status, 'cancelled');
      const again = await call(emu, 'PATCH', path, { json: { status: 'cancelled' } });
      assert.equal(again.status, 400);
      assert.match(again.body.error, /cancelled/);
      const files = await call(emu, 'GET', `${path}/dependency-files`);
      assert.deepEqual(files.body, []);
      const detail = await call<EnvironmentDetail>(emu, 'GET', `${ENVS}/cancel-me`);
      assert.equal(detail.body.active_build, null);
    });
  });
});
