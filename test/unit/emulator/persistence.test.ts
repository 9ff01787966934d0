import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentBuild, EnvironmentList } from '../../../src/api/models';
import { type Emulator } from '../../../src/emulator';
import { wallClockMs } from '../../../src/emulator/clock';
import {
  buildPath,
  call,
  createAndUpload,
  createEnvironment,
  getBuild,
  goodZip,
  PROJECT,
  sleep,
  startEmulator,
  upload,
  waitForBuildStatus,
} from './helpers';
import { useTempDir } from '../../helpers/tempDir';

const ROOT = path.resolve(__dirname, '../../..');

describe('emulator persistence', () => {
  let emu: Emulator | undefined;
  afterEach(async () => {
    await emu?.close();
    emu = undefined;
  });
  // Registered after the hook above: the data folder is removed once the emulator writing into it has closed.
  const dataFolder = useTempDir('emulator-persist-', 'each');

  /** Starts an emulator on `dataFolder.path`, uploads a good zip to a new environment `name`, and stops it: the build's path. */
  async function uploadThenStop(name: string, buildSeconds: number): Promise<{ id: string; path: string }> {
    emu = await startEmulator({ dataDir: dataFolder.path, buildSeconds });
    const up = await createAndUpload(emu, name);
    await emu.close();
    emu = undefined;
    return { id: up.body.build, path: buildPath(name, up.body.revision, up.body.build) };
  }

  it('keeps metadata and zip bytes across a restart, and removes leftovers', async () => {
    emu = await startEmulator({ dataDir: dataFolder.path });
    await createEnvironment(emu, 'kept', { labels: { keep: 'yes' } });
    const data = await goodZip();
    const up = await upload(emu, 'kept', data, 'kept.zip');
    const customBefore = await call<EnvironmentList[]>(
      emu,
      'GET',
      `/projects/${PROJECT}/environments?environment_type=custom`,
    );
    await emu.close();
    emu = undefined;

    writeFileSync(path.join(dataFolder.path, 'state.json.interrupted.tmp'), '{"half": ');
    writeFileSync(path.join(dataFolder.path, 'zips', 'upload-interrupted.tmp'), 'partial');
    writeFileSync(path.join(dataFolder.path, 'zips', 'orphan-revision.zip'), 'no metadata refers to me');

    emu = await startEmulator({ dataDir: dataFolder.path });
    const kept = await call<EnvironmentList>(emu, 'GET', `/projects/${PROJECT}/environments/kept`);
    assert.equal(kept.status, 200);
    assert.deepEqual(kept.body.labels, { keep: 'yes' });
    const customAfter = await call<EnvironmentList[]>(
      emu,
      'GET',
      `/projects/${PROJECT}/environments?environment_type=custom`,
    );
    assert.deepEqual(customAfter.body, customBefore.body, 'the seed ran again or state changed');
    const res = await fetch(`${emu.url}/projects/${PROJECT}/environments/kept/revisions/${up.body.revision}/download`, {
      headers: { Authorization: 'Token test-token' },
    });
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="kept.zip"');
    const build = await getBuild(emu, 'kept', up.body);
    assert.equal(build.body.status, 'success');
    const files = await call(emu, 'GET', `${buildPath('kept', up.body.revision, up.body.build)}/dependency-files`);
    assert.equal(files.body.length, 2);

    assert.ok(!existsSync(path.join(dataFolder.path, 'state.json.interrupted.tmp')));
    assert.ok(!existsSync(path.join(dataFolder.path, 'zips', 'upload-interrupted.tmp')));
    assert.ok(!existsSync(path.join(dataFolder.path, 'zips', 'orphan-revision.zip')));
  });

  it('resumes a running build on the clock after a restart', async () => {
    const build = await uploadThenStop('resumed', 1);
    const saved = JSON.parse(readFileSync(path.join(dataFolder.path, 'state.json'), 'utf8')) as {
      builds: { id: string; status: string }[];
    };
    assert.equal(saved.builds.find((b) => b.id === build.id)?.status, 'queued');

    emu = await startEmulator({ dataDir: dataFolder.path, buildSeconds: 1 });
    const early = await call<EnvironmentBuild>(emu, 'GET', build.path);
    assert.ok(['queued', 'building', 'processing'].includes(early.body.status), early.body.status);
    await waitForBuildStatus(emu, build.path, 'success', 3000);
  });

  it('fills the fields an older emulator did not store: system, base_environment_display_name, project details, buildingAt', async () => {
    const build = await uploadThenStop('older', 1);
    const file = path.join(dataFolder.path, 'state.json');
    const state = JSON.parse(readFileSync(file, 'utf8')) as {
      environments: Record<string, unknown>[];
      projects: Record<string, unknown>[];
      builds: Record<string, unknown>[];
    };
    for (const e of state.environments) {
      delete e.system;
      delete e.base_environment_display_name;
    }
    for (const p of state.projects) {
      for (const key of ['credits', 'suspended', 'suspended_reason', 'cors_origins']) delete p[key];
    }
    for (const b of state.builds) delete b.buildingAt;
    writeFileSync(file, JSON.stringify(state));

    emu = await startEmulator({ dataDir: dataFolder.path, buildSeconds: 1 });
    const list = await call<EnvironmentList[]>(emu, 'GET', `/projects/${PROJECT}/environments`);
    for (const e of list.body) {
      assert.equal(e.system, e.project === null, e.name);
    }
    const older = list.body.find((e) => e.name === 'older');
    assert.equal(older?.base_environment_display_name, 'Ubuntu 24.04 + Python 3.12');
    assert.equal(list.body.find((e) => e.name === 'python3-12')?.base_environment_display_name, null);
    const project = await call(emu, 'GET', `/projects/${PROJECT}`);
    assert.equal(project.status, 200);
    assert.deepEqual(
      [project.body.credits, project.body.suspended, project.body.suspended_reason, project.body.cors_origins],
      [null, false, null, []],
    );
    await waitForBuildStatus(emu, build.path, 'success', 3000);
  });

  it('finishes a pending cancel after a restart', async () => {
    const { id, path: build } = await uploadThenStop('cancel-restart', 30);
    // Past the queued third of the build: a cancel now is pending.
    const file = path.join(dataFolder.path, 'state.json');
    const state = JSON.parse(readFileSync(file, 'utf8')) as {
      builds: { id: string; buildingAt: number; processingAt: number }[];
    };
    const record = state.builds.find((b) => b.id === id)!;
    record.buildingAt = wallClockMs() - 2000;
    record.processingAt = wallClockMs() - 1000;
    writeFileSync(file, JSON.stringify(state));
    emu = await startEmulator({ dataDir: dataFolder.path, buildSeconds: 30 });
    await waitForBuildStatus(emu, build, 'processing', 1000);
    const cancel = await call<EnvironmentBuild>(emu, 'PATCH', build, { json: { status: 'cancelled' } });
    assert.equal(cancel.body.status, 'cancelled_pending');
    await emu.close();
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { builds: { id: string; status: string }[] };
    assert.equal(saved.builds.find((b) => b.id === id)?.status, 'cancelled_pending');

    emu = await startEmulator({ dataDir: dataFolder.path, buildSeconds: 30 });
    await waitForBuildStatus(emu, build, 'cancelled', 3000);
  });

  it('leaves a loadable state whenever it is killed', async function () {
    this.timeout(15_000);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'fixtures', 'churn.ts'), dataFolder.path],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
      child.on('exit', () => reject(new Error('churn exited early')));
    });
    await sleep(300 + Math.random() * 300);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    emu = await startEmulator({ dataDir: dataFolder.path, buildSeconds: 0.05 });
    const state = JSON.parse(readFileSync(path.join(dataFolder.path, 'state.json'), 'utf8')) as {
      environments: { name: string }[];
      revisions: { id: string; expired: boolean }[];
    };
    assert.ok(
      state.environments.some((e) => e.name.startsWith('churn-')),
      'the churn made no progress before the kill',
    );
    const zips = new Set(readdirSync(path.join(dataFolder.path, 'zips')));
    for (const r of state.revisions.filter((x) => !x.expired)) {
      assert.ok(zips.has(`${r.id}.zip`), `revision ${r.id} lost its zip`);
    }
    assert.equal(zips.size, state.revisions.filter((x) => !x.expired).length, 'stray files are left in zips/');
    const list = await call<EnvironmentList[]>(emu, 'GET', `/projects/${PROJECT}/environments`);
    assert.equal(list.status, 200);
  });
});
