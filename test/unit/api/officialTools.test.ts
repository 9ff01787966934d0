/**
 * The client's side of what UbiOps' own tools do around environments, against the emulator over loopback: the CLI's
 * sign-in and project selection, the usage filter, environments without a base, non-ASCII file names.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import JSZip from 'jszip';
import { UbiOpsApiError, UbiOpsClient } from '../../../src/api';
import { type Emulator, start } from '../../../src/emulator';

const TOKEN = 'official-tools-token';
const PROJECT = 'demo-project';
const SANDBOX = 'sandbox-project';

describe("UbiOpsClient and UbiOps' own tools' calls", () => {
  let emulator: Emulator;
  let client: UbiOpsClient;
  let dir: string;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ubiops-official-'));
    emulator = await start({
      port: 0,
      tokens: [TOKEN],
      buildSeconds: 0,
      user: 'grace@example.com',
      userName: 'Grace',
      userSurname: 'Hopper',
    });
    client = new UbiOpsClient({ host: emulator.url, token: TOKEN, retry: { maxAttempts: 1 } });
  });

  after(async () => {
    await client?.close();
    await emulator?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('walks the CLI sign-in: GET /status, GET /user, then selects a project with GET /projects/{name}', async () => {
    assert.deepEqual(await client.getStatus(), { status: 'ok' });
    assert.deepEqual(await client.getUser(), { email: 'grace@example.com', name: 'Grace', surname: 'Hopper' });
    const project = await client.getProject(PROJECT);
    assert.equal(project.name, PROJECT);
    assert.equal(project.suspended, false);
    assert.equal(project.suspended_reason, null);
    assert.deepEqual(project.cors_origins, []);
    assert.ok('credits' in project);
    const environments = await client.listEnvironments(project.name);
    assert.ok(environments.length > 0);
  });

  it('reports an unknown project as a 404 naming it', async () => {
    await assert.rejects(client.getProject('ghost-project'), (error: unknown) => {
      assert.ok(error instanceof UbiOpsApiError);
      assert.equal(error.status, 404);
      assert.equal(error.path, '/projects/ghost-project');
      assert.match(error.serverMessage ?? '', /ghost-project/);
      return true;
    });
  });

  it('sends environment_type with the usage query, and keeps the two-argument call', async () => {
    // The sandbox project: no seeded deployment versions to count.
    await client.createEnvironment(SANDBOX, { name: 'usage-typed', base_environment: 'python3-11' });
    emulator.addDeploymentVersion(SANDBOX, 'usage-typed', { deployment: 'typed', version: 'v1' });
    emulator.addDeploymentVersion(SANDBOX, 'python3-11', { deployment: 'direct', version: 'v1' });
    const names = (list: { deployment: string; version: string }[]) =>
      list.map((u) => `${u.deployment}/${u.version}`).sort();
    assert.deepEqual(names(await client.listEnvironmentUsage(SANDBOX, 'python3-11')), ['direct/v1', 'typed/v1']);
    assert.deepEqual(names(await client.listEnvironmentUsage(SANDBOX, 'python3-11', { environment_type: 'base' })), [
      'direct/v1',
    ]);
    assert.deepEqual(names(await client.listEnvironmentUsage(SANDBOX, 'python3-11', { environment_type: 'custom' })), [
      'typed/v1',
    ]);
    assert.deepEqual(names(await client.listEnvironmentUsage(SANDBOX, 'usage-typed', { environment_type: 'all' })), [
      'typed/v1',
    ]);
  });

  it('creates an environment without a base environment (custom Docker image)', async () => {
    const created = await client.createEnvironment(PROJECT, { name: 'client-image' });
    assert.equal(created.base_environment, null);
    assert.equal(created.base_environment_display_name, null);
    assert.equal(created.system, false);
  });

  it('uploads ümlaut.zip and downloads it under the same name', async () => {
    await client.createEnvironment(PROJECT, { name: 'client-umlaut', base_environment: 'python3-12' });
    const zip = new JSZip().file('environment_package/requirements.txt', 'numpy==1.26.4\n');
    const file = path.join(dir, 'ümlaut.zip');
    await fs.writeFile(file, await zip.generateAsync({ type: 'nodebuffer' }));
    const created = await client.uploadRevision(PROJECT, 'client-umlaut', file);
    const out = path.join(dir, 'out');
    await fs.mkdir(out);
    const download = await client.downloadRevision(PROJECT, 'client-umlaut', created.revision, { directory: out });
    assert.equal(download.fileName, 'ümlaut.zip');
    assert.equal(path.basename(download.path), 'ümlaut.zip');
  });
});
