import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EnvironmentBuild, EnvironmentList } from '../../../src/api/models';
import { type Emulator } from '../../../src/emulator';
import { buildPath, call, createEnvironment, GOOD_FILES, PROJECT, sleep, startEmulator, upload, waitFor, zipOf } from './helpers';

const ROOT = path.resolve(__dirname, '../../..');

describe('emulator persistence', () => {
  let dir: string;
  let emu: Emulator | undefined;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'emulator-persist-'));
  });
  afterEach(async () => {
    await emu?.close();
    emu = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps metadata and zip bytes across a restart, and removes leftovers', async () => {
    emu = await startEmulator({ dataDir: dir });
    await createEnvironment(emu, 'kept', { labels: { keep: 'yes' } });
    const data = await zipOf(GOOD_FILES);
    const up = await upload(emu, 'kept', data, 'kept.zip');
    const customBefore = await call<EnvironmentList[]>(emu, 'GET', `/projects/${PROJECT}/environments?environment_type=custom`);
    await emu.close();
    emu = undefined;

    writeFileSync(path.join(dir, 'state.json.interrupted.tmp'), '{"half": ');
    writeFileSync(path.join(dir, 'zips', 'upload-interrupted.tmp'), 'partial');
    writeFileSync(path.join(dir, 'zips', 'orphan-revision.zip'), 'no metadata refers to me');

    emu = await startEmulator({ dataDir: dir });
    const kept = await call<EnvironmentList>(emu, 'GET', `/projects/${PROJECT}/environments/kept`);
    assert.equal(kept.status, 200);
    assert.deepEqual(kept.body.labels, { keep: 'yes' });
    const customAfter = await call<EnvironmentList[]>(emu, 'GET', `/projects/${PROJECT}/environments?environment_type=custom`);
    assert.deepEqual(customAfter.body, customBefore.body, 'the seed ran again or state changed');
    const res = await fetch(`${emu.url}/projects/${PROJECT}/environments/kept/revisions/${up.body.revision}/download`, {
      headers: { Authorization: 'Token test-token' },
    });
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="kept.zip"');
    const build = await call<EnvironmentBuild>(emu, 'GET', buildPath('kept', up.body.revision, up.body.build));
    assert.equal(build.body.status, 'success');
    const files = await call(emu, 'GET', `${buildPath('kept', up.body.revision, up.body.build)}/dependency-files`);
    assert.equal(files.body.length, 2);

    assert.ok(!existsSync(path.join(dir, 'state.json.interrupted.tmp')));
    assert.ok(!existsSync(path.join(dir, 'zips', 'upload-interrupted.tmp')));
    assert.ok(!existsSync(path.join(dir, 'zips', 'orphan-revision.zip')));
  });

  it('resumes a running build on the clock after a restart', async () => {
    emu = await startEmulator({ dataDir: dir, buildSeconds: 1 });
    await createEnvironment(emu, 'resumed');
    const up = await upload(emu, 'resumed', await zipOf(GOOD_FILES));
    await emu.close();
    emu = undefined;
    const saved = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as { builds: { id: string; status: string }[] };
    assert.equal(saved.builds.find((b) => b.id === up.body.build)?.status, 'queued');

    emu = await startEmulator({ dataDir: dir, buildSeconds: 1 });
    const path_ = buildPath('resumed', up.body.revision, up.body.build);
    const early = await call<EnvironmentBuild>(emu, 'GET', path_);
    assert.ok(['queued', 'processing'].includes(early.body.status), early.body.status);
    await waitFor(async () => (await call<EnvironmentBuild>(emu as Emulator, 'GET', path_)).body.status === 'success', 3000, 'success');
  });

  it('leaves a loadable state whenever it is killed', async function () {
    this.timeout(15_000);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'churn.ts'), dir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
      child.on('exit', () => reject(new Error('churn exited early')));
    });
    await sleep(300 + Math.random() * 300);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    emu = await startEmulator({ dataDir: dir, buildSeconds: 0.05 });
    const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as {
      environments: { name: string }[];
      revisions: { id: string; expired: boolean }[];
    };
    assert.ok(state.environments.some((e) => e.name.startsWith('churn-')), 'the churn made no progress before the kill');
    const zips = new Set(readdirSync(path.join(dir, 'zips')));
    for (const r of state.revisions.filter((x) => !x.expired)) {
      assert.ok(zips.has(`${r.id}.zip`), `revision ${r.id} lost its zip`);
    }
    assert.equal(zips.size, state.revisions.filter((x) => !x.expired).length, 'stray files are left in zips/');
    const list = await call<EnvironmentList[]>(emu, 'GET', `/projects/${PROJECT}/environments`);
    assert.equal(list.status, 200);
  });
});
