/**
 * What UbiOps' own tools (CLI 2.28, Python client 4.12) expect of the server, against the emulator over loopback:
 * the fields and nulls of the official models, environments without a base, lenient input, the endpoints the CLI
 * calls around environments, and the usage filter.
 */
import { strict as assert } from 'node:assert';
import type {
  EnvironmentBuild,
  EnvironmentBuildDependency,
  EnvironmentDetail,
  EnvironmentList,
  EnvironmentUsage,
} from '../../../src/api/models';
import type { Emulator } from '../../../src/emulator';
import {
  buildPath,
  call,
  createEnvironment,
  getBuild,
  goodZip,
  PROJECT,
  PROJECT_FIELDS,
  startEmulator,
  upload,
  useEmulator,
} from './helpers';

const ENVS = `/projects/${PROJECT}/environments`;

/**
 * UbiOps' Python client's `wait_for_environment`, as it behaves: a system environment is ready at once; otherwise it
 * needs `latest_build` ("No build found" when there is none) and polls that build until it has finished.
 */
async function waitForEnvironment(emu: Emulator, name: string): Promise<{ requests: number; status: string }> {
  let requests = 1;
  const env = await call<EnvironmentDetail>(emu, 'GET', `${ENVS}/${encodeURIComponent(name)}`);
  assert.equal(env.status, 200, env.text);
  if (env.body.system) {
    return { requests, status: 'system' };
  }
  if (!env.body.latest_build) {
    throw new Error('404: No build found');
  }
  for (;;) {
    requests += 1;
    const build = await call<EnvironmentBuild>(
      emu,
      'GET',
      buildPath(name, env.body.latest_revision as string, env.body.latest_build),
    );
    if (['success', 'failed', 'cancelled'].includes(build.body.status)) {
      return { requests, status: build.body.status };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("emulator and UbiOps' own tools", () => {
  const emu = useEmulator({ user: 'ada@example.com', userName: 'Ada', userSurname: 'Lovelace' });

  describe('fields of the official models', () => {
    it('every environment answer (list, get, create, update) carries base_environment_display_name and system', async () => {
      const created = await call<EnvironmentList>(emu, 'POST', ENVS, {
        json: { name: 'models-env', base_environment: 'python3-12' },
      });
      assert.equal(created.status, 201);
      const updated = await call<EnvironmentDetail>(emu, 'PATCH', `${ENVS}/models-env`, { json: { description: 'x' } });
      const got = await call<EnvironmentDetail>(emu, 'GET', `${ENVS}/models-env`);
      for (const answer of [created.body, updated.body, got.body]) {
        assert.equal(answer.base_environment_display_name, 'Ubuntu 24.04 + Python 3.12');
        assert.equal(answer.system, false);
      }
      const list = await call<EnvironmentList[]>(emu, 'GET', ENVS);
      for (const e of list.body) {
        assert.equal(e.system, e.project === null, `${e.name}: system is true for base environments only`);
        assert.ok('base_environment_display_name' in e, e.name);
        if (e.project === null || e.base_environment === null) {
          assert.equal(e.base_environment_display_name, null, e.name);
        } else {
          const base = list.body.find((b) => b.name === e.base_environment);
          assert.equal(e.base_environment_display_name, base?.display_name, e.name);
        }
      }
      const base = await call<EnvironmentDetail>(emu, 'GET', `${ENVS}/python3-12`);
      assert.equal(base.body.system, true);
    });

    it("the Python client's wait_for_environment returns at once for python3-12 (system), and follows a build otherwise", async () => {
      assert.deepEqual(await waitForEnvironment(emu, 'python3-12'), { requests: 1, status: 'system' });
      await createEnvironment(emu, 'waited');
      await assert.rejects(waitForEnvironment(emu, 'waited'), /No build found/);
      await upload(emu, 'waited', await goodZip());
      assert.equal((await waitForEnvironment(emu, 'waited')).status, 'success');
    });

    it('the seed has every nullable field null somewhere, and an environment on a Docker image', async () => {
      const custom = await call<EnvironmentList[]>(emu, 'GET', `${ENVS}?environment_type=custom`);
      const image = custom.body.find((e) => e.name === 'custom-image');
      assert.ok(image, 'the seeded Docker-image environment');
      assert.equal(image.base_environment, null);
      assert.equal(image.base_environment_display_name, null);
      assert.equal(image.system, false);
      assert.equal(image.display_name, null);
      assert.equal(image.description, null);
      assert.equal(image.labels, null);
      assert.equal(image.project, PROJECT);

      const detail = await call<EnvironmentDetail>(emu, 'GET', `${ENVS}/custom-image`);
      const build = buildPath(
        'custom-image',
        detail.body.latest_revision as string,
        detail.body.latest_build as string,
      );
      const files = await call<EnvironmentBuildDependency[]>(emu, 'GET', `${build}/dependency-files`);
      assert.deepEqual(
        files.body.map((f) => [f.name, f.content === null]),
        [
          ['requirements.txt', false],
          ['ubiops.yaml', true],
        ],
      );

      const experiment = await call<EnvironmentDetail>(emu, 'GET', `${ENVS}/experiment`);
      const cancelled = await call<EnvironmentBuild>(
        emu,
        'GET',
        buildPath('experiment', experiment.body.latest_revision as string, experiment.body.latest_build as string),
      );
      assert.equal(cancelled.body.status, 'cancelled');
      assert.equal(cancelled.body.error_message, null);
      assert.equal(cancelled.body.size, null);
    });
  });

  describe('environments without a base environment (custom Docker image)', () => {
    for (const [what, extra] of [
      ['absent', {}],
      ['null', { base_environment: null }],
    ] as const) {
      it(`creates one when base_environment is ${what}, takes uploads and builds them`, async () => {
        const name = `image-${what}`;
        const created = await call<EnvironmentList>(emu, 'POST', ENVS, { json: { name, ...extra } });
        assert.equal(created.status, 201, created.text);
        assert.equal(created.body.base_environment, null);
        assert.equal(created.body.base_environment_display_name, null);
        assert.equal(created.body.system, false);
        assert.equal(created.body.gpu_required, false);
        assert.equal(created.body.supports_request_format, false);
        assert.equal(created.body.display_name, name);
        const up = await upload(emu, name, await goodZip());
        assert.equal(up.status, 201);
        const build = await getBuild(emu, name, up.body);
        assert.equal(build.body.status, 'success');
      });
    }

    it('takes supports_request_format when given', async () => {
      const created = await call<EnvironmentList>(emu, 'POST', ENVS, {
        json: { name: 'image-srf', supports_request_format: true },
      });
      assert.equal(created.body.supports_request_format, true);
    });
  });

  describe('refuses only what UbiOps refuses', () => {
    it('accepts names of 1–1024 characters whatever their characters, and serves them by URL', async () => {
      for (const name of [
        'A',
        'Upper_Case',
        '1starts-with-digit',
        'with space',
        'ümlaut-ñame',
        'q?x#y%z',
        'n'.repeat(1024),
      ]) {
        const created = await call<EnvironmentList>(emu, 'POST', ENVS, {
          json: { name, base_environment: 'python3-11' },
        });
        assert.equal(created.status, 201, `${name.slice(0, 20)}: ${created.text.slice(0, 200)}`);
        const got = await call<EnvironmentDetail>(emu, 'GET', `${ENVS}/${encodeURIComponent(name)}`);
        assert.equal(got.status, 200);
        assert.equal(got.body.name, name);
      }
      const duplicate = await call(emu, 'POST', ENVS, { json: { name: 'Upper_Case', base_environment: 'python3-11' } });
      assert.equal(duplicate.status, 400);
      assert.match(duplicate.body.error, /already exists/);
    });

    it('accepts any string-to-string labels and display names up to 1024, on create and update', async () => {
      const labels: Record<string, string> = { 'my team': 'data science', 'a:b': 'c,d', '': '', long: 'v'.repeat(500) };
      for (let i = 0; i < 60; i++) labels[`k${i}`] = `${i}`;
      const created = await call<EnvironmentList>(emu, 'POST', ENVS, {
        json: { name: 'lenient', base_environment: 'python3-12', labels, display_name: 'D'.repeat(1024) },
      });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(created.body.labels, labels);
      const updated = await call<EnvironmentDetail>(emu, 'PATCH', `${ENVS}/lenient`, {
        json: {
          labels: JSON.parse('{"__proto__": "x", "Ünïcode key": "✓"}'),
          display_name: 'A display name of 65 characters, over the local rule of 64 ……',
        },
      });
      assert.equal(updated.status, 200, updated.text);
      assert.deepEqual(Object.entries(updated.body.labels ?? {}), [
        ['__proto__', 'x'],
        ['Ünïcode key', '✓'],
      ]);
      const filtered = await call<EnvironmentList[]>(
        emu,
        'GET',
        `${ENVS}?labels=${encodeURIComponent('Ünïcode key:✓')}`,
      );
      assert.deepEqual(
        filtered.body.map((e) => e.name),
        ['lenient'],
      );
      const tooLong = await call(emu, 'PATCH', `${ENVS}/lenient`, { json: { display_name: 'd'.repeat(1025) } });
      assert.equal(tooLong.status, 400);
      assert.match(tooLong.body.error, /1024/);
      const notStrings = await call(emu, 'PATCH', `${ENVS}/lenient`, { json: { labels: { a: 1 } } });
      assert.equal(notStrings.status, 400);
      const description = await call(emu, 'PATCH', `${ENVS}/lenient`, { json: { description: 'd'.repeat(401) } });
      assert.equal(description.status, 400, 'the description limit of 400 is stated by the platform notes');
    });

    it('resets an emptied display name to the name, as create does', async () => {
      await createEnvironment(emu, 'emptied', { display_name: 'Something' });
      const answer = await call<EnvironmentDetail>(emu, 'PATCH', `${ENVS}/emptied`, { json: { display_name: '' } });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.display_name, 'emptied');
    });
  });

  describe('the endpoints the CLI calls around environments', () => {
    it('signs in as the CLI does: GET /status without a token, GET /user, then GET /projects/{name}', async () => {
      const status = await call(emu, 'GET', '/status', { token: null });
      assert.deepEqual([status.status, status.body], [200, { status: 'ok' }]);
      const user = await call(emu, 'GET', '/user');
      assert.equal(user.status, 200);
      assert.deepEqual(user.body, { email: 'ada@example.com', name: 'Ada', surname: 'Lovelace' });
      const project = await call(emu, 'GET', `/projects/${PROJECT}`);
      assert.equal(project.status, 200);
      assert.deepEqual(Object.keys(project.body), [...PROJECT_FIELDS, 'suspended', 'suspended_reason', 'cors_origins']);
      assert.equal(project.body.name, PROJECT);
      assert.equal(project.body.suspended, false);
      assert.deepEqual(project.body.cors_origins, []);
      const listed = await call<{ id: string; name: string }[]>(emu, 'GET', '/projects');
      assert.equal(listed.body.find((p) => p.name === PROJECT)?.id, project.body.id);
    });

    it('GET /user and GET /projects/{name} need a token; an unknown project is a 404 naming it', async () => {
      assert.equal((await call(emu, 'GET', '/user', { token: null })).status, 401);
      assert.equal((await call(emu, 'GET', `/projects/${PROJECT}`, { token: 'wrong' })).status, 401);
      const unknown = await call(emu, 'GET', '/projects/no-such-project');
      assert.equal(unknown.status, 404);
      assert.match(unknown.body.error, /"no-such-project"/);
    });

    it('GET /user has defaults without options', async () => {
      const plain = await startEmulator({ seed: false });
      try {
        const user = await call(plain, 'GET', '/user');
        assert.deepEqual(user.body, { email: 'you@example.com', name: 'Demo', surname: 'User' });
      } finally {
        await plain.close();
      }
    });
  });

  describe('usage and its environment_type', () => {
    before(async () => {
      await createEnvironment(emu, 'usage-custom', { display_name: 'Usage custom' });
      emu.addDeploymentVersion(PROJECT, 'usage-custom', { deployment: 'dep-a', version: 'v1' });
      emu.addDeploymentVersion(PROJECT, 'python3-12', { deployment: 'dep-b', version: 'v1' });
    });

    const usage = async (env: string, type?: string): Promise<string[][]> => {
      const answer = await call<EnvironmentUsage[]>(
        emu,
        'GET',
        `${ENVS}/${env}/usage${type ? `?environment_type=${type}` : ''}`,
      );
      assert.equal(answer.status, 200, answer.text);
      return answer.body.map((u) => [`${u.deployment}/${u.version}`, u.environment]).sort();
    };

    it('a base environment: versions on it (base) and on the project environments built on it (custom)', async () => {
      const all = await usage('python3-12');
      assert.ok(all.some(([v, e]) => v === 'dep-b/v1' && e === 'python3-12'));
      assert.ok(all.some(([v, e]) => v === 'dep-a/v1' && e === 'usage-custom'));
      assert.ok(
        all.some(([v, e]) => v === 'churn-model/v1' && e === 'data-science'),
        'the seed is counted too',
      );
      assert.deepEqual(await usage('python3-12', 'all'), all);
      assert.deepEqual(await usage('python3-12', 'base'), [['dep-b/v1', 'python3-12']]);
      const custom = await usage('python3-12', 'custom');
      assert.ok(custom.every(([, e]) => e !== 'python3-12') && custom.length === all.length - 1);
    });

    it('a custom environment: its own versions, which are custom ones', async () => {
      assert.deepEqual(await usage('usage-custom'), [['dep-a/v1', 'usage-custom']]);
      assert.deepEqual(await usage('usage-custom', 'custom'), [['dep-a/v1', 'usage-custom']]);
      assert.deepEqual(await usage('usage-custom', 'base'), []);
    });

    it('refuses an unknown environment_type with 400', async () => {
      const bad = await call(emu, 'GET', `${ENVS}/usage-custom/usage?environment_type=everything`);
      assert.equal(bad.status, 400);
      assert.match(bad.body.error, /"base", "custom" or "all"/);
    });
  });
});
