/**
 * The client's side of what UbiOps' own tools do around environments, against the emulator over loopback: the CLI's
 * sign-in and project selection, the usage filter, environments without a base, non-ASCII file names.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { UbiOpsApiError } from '../../../src/api';
import { useEmulatorSuite } from '../../helpers/emulator';
import { zipOf } from '../../helpers/zip';

const TOKEN = 'official-tools-token';
const PROJECT = 'demo-project';
const SANDBOX = 'sandbox-project';

describe("UbiOpsClient and UbiOps' own tools' calls", () => {
  const lab = useEmulatorSuite({
    token: TOKEN,
    tempPrefix: 'ubiops-official-',
    emulator: { user: 'grace@example.com', userName: 'Grace', userSurname: 'Hopper' },
    client: { retry: { maxAttempts: 1 } },
  });

  it('walks the CLI sign-in: GET /status, GET /user, then selects a project with GET /projects/{name}', async () => {
    assert.deepEqual(await lab.client.getStatus(), { status: 'ok' });
    assert.deepEqual(await lab.client.getUser(), { email: 'grace@example.com', name: 'Grace', surname: 'Hopper' });
    const project = await lab.client.getProject(PROJECT);
    assert.equal(project.name, PROJECT);
    assert.equal(project.suspended, false);
    assert.equal(project.suspended_reason, null);
    assert.deepEqual(project.cors_origins, []);
    assert.ok('credits' in project);
    const environments = await lab.client.listEnvironments(project.name);
    assert.ok(environments.length > 0);
  });

  it('reports an unknown project as a 404 naming it', async () => {
    await assert.rejects(lab.client.getProject('ghost-project'), (error: unknown) => {
      assert.ok(error instanceof UbiOpsApiError);
      assert.equal(error.status, 404);
      assert.equal(error.path, '/projects/ghost-project');
      assert.match(error.serverMessage ?? '', /ghost-project/);
      return true;
    });
  });

  it('sends environment_type with the usage query, and keeps the two-argument call', async () => {
    // The sandbox project: no seeded deployment versions to count.
    await lab.client.createEnvironment(SANDBOX, { name: 'usage-typed', base_environment: 'python3-11' });
    lab.emulator.addDeploymentVersion(SANDBOX, 'usage-typed', { deployment: 'typed', version: 'v1' });
    lab.emulator.addDeploymentVersion(SANDBOX, 'python3-11', { deployment: 'direct', version: 'v1' });
    const names = (list: { deployment: string; version: string }[]) =>
      list.map((u) => `${u.deployment}/${u.version}`).sort();
    assert.deepEqual(names(await lab.client.listEnvironmentUsage(SANDBOX, 'python3-11')), ['direct/v1', 'typed/v1']);
    assert.deepEqual(
      names(await lab.client.listEnvironmentUsage(SANDBOX, 'python3-11', { environment_type: 'base' })),
      ['direct/v1'],
    );
    assert.deepEqual(
      names(await lab.client.listEnvironmentUsage(SANDBOX, 'python3-11', { environment_type: 'custom' })),
      ['typed/v1'],
    );
    assert.deepEqual(
      names(await lab.client.listEnvironmentUsage(SANDBOX, 'usage-typed', { environment_type: 'all' })),
      ['typed/v1'],
    );
  });

  it('creates an environment without a base environment (custom Docker image)', async () => {
    const created = await lab.client.createEnvironment(PROJECT, { name: 'client-image' });
    assert.equal(created.base_environment, null);
    assert.equal(created.base_environment_display_name, null);
    assert.equal(created.system, false);
  });

  it('uploads ümlaut.zip and downloads it under the same name', async () => {
    await lab.client.createEnvironment(PROJECT, { name: 'client-umlaut', base_environment: 'python3-12' });
    const file = await lab.tempFile('ümlaut.zip', await zipOf({ 'requirements.txt': 'numpy==1.26.4\n' }));
    const created = await lab.client.uploadRevision(PROJECT, 'client-umlaut', file);
    const out = path.join(lab.dir, 'out');
    await fs.mkdir(out);
    const download = await lab.client.downloadRevision(PROJECT, 'client-umlaut', created.revision, { directory: out });
    assert.equal(download.fileName, 'ümlaut.zip');
    assert.equal(path.basename(download.path), 'ümlaut.zip');
  });
});
