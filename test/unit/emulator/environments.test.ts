import { strict as assert } from 'node:assert';
import type { EnvironmentDetail, EnvironmentList, EnvironmentUsage } from '../../../src/api/models';
import { call, createAndUpload, createEnvironment, goodZip, PROJECT, upload, useEmulator } from './helpers';

const ENVS = `/projects/${PROJECT}/environments`;

describe('emulator environments', () => {
  const emu = useEmulator();

  describe('create', () => {
    it('creates with defaults and answers the list shape with 201', async () => {
      const answer = await call<EnvironmentList>(emu, 'POST', ENVS, {
        json: { name: 'created-1', base_environment: 'python3-12', unknown_field: 42 },
      });
      assert.equal(answer.status, 201);
      assert.equal(answer.body.name, 'created-1');
      assert.equal(answer.body.display_name, 'created-1');
      assert.equal(answer.body.base_environment, 'python3-12');
      assert.equal(answer.body.project, PROJECT);
      assert.equal(answer.body.creation_date, answer.body.last_updated);
      assert.deepEqual(answer.body.labels, {});
      assert.ok(!('active_revision' in answer.body));
      const got = await call<EnvironmentDetail>(emu, 'GET', `${ENVS}/created-1`);
      assert.equal(got.status, 200);
      assert.equal(got.body.id, answer.body.id);
      assert.equal(got.body.active_revision, null);
      assert.equal(got.body.latest_build, null);
    });

    it('inherits gpu_required from a CUDA base', async () => {
      const answer = await call<EnvironmentList>(emu, 'POST', ENVS, {
        json: { name: 'created-gpu', base_environment: 'ubuntu22-04-python3-10-cuda12-3-2' },
      });
      assert.equal(answer.status, 201);
      assert.equal(answer.body.gpu_required, true);
    });

    const refusals: [string, Record<string, unknown>, RegExp][] = [
      ['a missing name', { base_environment: 'python3-12' }, /"name"/],
      [
        'a 1025-character name',
        { name: `a${'b'.repeat(1024)}`, base_environment: 'python3-12' },
        /at most 1024 characters/,
      ],
      ['a name with a slash', { name: 'a/b', base_environment: 'python3-12' }, /cannot contain "\/"/],
      ['the name ".."', { name: '..', base_environment: 'python3-12' }, /nor be "\." or "\.\."/],
      ['a name with a control character', { name: 'a\u0001b', base_environment: 'python3-12' }, /control characters/],
      [
        'a display name over 1024',
        { name: 'x-long-display', base_environment: 'python3-12', display_name: 'd'.repeat(1025) },
        /1024/,
      ],
      ['a duplicate name', { name: 'data-science', base_environment: 'python3-12' }, /already exists/],
      ['a base environment name', { name: 'python3-11', base_environment: 'python3-12' }, /base environment/],
      ['an unknown base', { name: 'x-unknown-base', base_environment: 'python2-7' }, /python2-7/],
      ['a custom environment as base', { name: 'x-custom-base', base_environment: 'data-science' }, /base environment/],
      [
        'a description over 400',
        { name: 'x-long', base_environment: 'python3-12', description: 'd'.repeat(401) },
        /400/,
      ],
      ['labels not strings', { name: 'x-labels', base_environment: 'python3-12', labels: { a: 1 } }, /labels/],
      ['labels as an array', { name: 'x-labels2', base_environment: 'python3-12', labels: ['a'] }, /labels/],
    ];
    for (const [what, body, message] of refusals) {
      it(`refuses ${what} with 400`, async () => {
        const answer = await call(emu, 'POST', ENVS, { json: body });
        assert.equal(answer.status, 400, answer.text);
        assert.match(answer.body.error, message);
      });
    }

    it('accepts a 64-character name and a 400-character description', async () => {
      const answer = await call(emu, 'POST', ENVS, {
        json: { name: `a${'b'.repeat(63)}`, base_environment: 'python3-12', description: 'd'.repeat(400) },
      });
      assert.equal(answer.status, 201, answer.text);
    });

    it('allows the same name in another project', async () => {
      const answer = await call(emu, 'POST', '/projects/sandbox-project/environments', {
        json: { name: 'data-science', base_environment: 'python3-11' },
      });
      assert.equal(answer.status, 201, answer.text);
    });
  });

  describe('list', () => {
    before(async () => {
      await createEnvironment(emu, 'labelled-a', { labels: { team: 'alpha', tier: 'gold' } });
      await createEnvironment(emu, 'labelled-b', { labels: { team: 'beta' }, supports_request_format: false });
    });

    it('lists base environments and the project custom ones, not other projects', async () => {
      const all = await call<EnvironmentList[]>(emu, 'GET', ENVS);
      const names = all.body.map((e) => e.name);
      assert.ok(names.includes('python3-12') && names.includes('labelled-a'));
      assert.ok(!names.includes('quickstart'), 'a custom environment of another project leaked in');
      const explicitAll = await call<EnvironmentList[]>(emu, 'GET', `${ENVS}?environment_type=all`);
      assert.deepEqual(
        explicitAll.body.map((e) => e.name),
        names,
      );
    });

    it('filters on environment_type', async () => {
      const base = await call<EnvironmentList[]>(emu, 'GET', `${ENVS}?environment_type=base`);
      assert.ok(base.body.length >= 6);
      assert.ok(base.body.every((e) => e.project === null && e.base_environment === null));
      assert.ok(base.body.some((e) => e.deprecated));
      const custom = await call<EnvironmentList[]>(emu, 'GET', `${ENVS}?environment_type=custom`);
      assert.ok(custom.body.length > 0);
      assert.ok(custom.body.every((e) => e.project === PROJECT));
      const bad = await call(emu, 'GET', `${ENVS}?environment_type=everything`);
      assert.equal(bad.status, 400);
    });

    it('filters on labels, any pair matching', async () => {
      const one = await call<EnvironmentList[]>(emu, 'GET', `${ENVS}?labels=team:alpha`);
      assert.deepEqual(
        one.body.map((e) => e.name),
        ['labelled-a'],
      );
      const either = await call<EnvironmentList[]>(
        emu,
        'GET',
        `${ENVS}?labels=${encodeURIComponent('team:beta,tier:gold')}`,
      );
      assert.deepEqual(either.body.map((e) => e.name).sort(), ['labelled-a', 'labelled-b']);
      const none = await call<EnvironmentList[]>(emu, 'GET', `${ENVS}?labels=team:gamma`);
      assert.deepEqual(none.body, []);
      const bad = await call(emu, 'GET', `${ENVS}?labels=novalue`);
      assert.equal(bad.status, 400);
    });

    it('filters on supports_request_format', async () => {
      const no = await call<EnvironmentList[]>(emu, 'GET', `${ENVS}?supports_request_format=false`);
      // The seeded environment on a Docker image does not support the request format either.
      assert.deepEqual(
        no.body.map((e) => e.name),
        ['custom-image', 'labelled-b'],
      );
      const yes = await call<EnvironmentList[]>(emu, 'GET', `${ENVS}?supports_request_format=True`);
      assert.ok(yes.body.length > 1 && yes.body.every((e) => e.supports_request_format));
      const bad = await call(emu, 'GET', `${ENVS}?supports_request_format=maybe`);
      assert.equal(bad.status, 400);
    });
  });

  describe('get and update', () => {
    it('serves base environments under a project path, but refuses changing them', async () => {
      const got = await call<EnvironmentDetail>(emu, 'GET', `${ENVS}/python3-12`);
      assert.equal(got.status, 200);
      assert.equal(got.body.project, null);
      const revisions = await call(emu, 'GET', `${ENVS}/python3-12/revisions`);
      assert.deepEqual(revisions.body, []);
      const patch = await call(emu, 'PATCH', `${ENVS}/python3-12`, { json: { description: 'mine' } });
      assert.equal(patch.status, 403);
      assert.match(patch.body.error, /base environment/);
      const del = await call(emu, 'DELETE', `${ENVS}/python3-12`);
      assert.equal(del.status, 403);
      const up = await upload(emu, 'python3-12', await goodZip());
      assert.equal(up.status, 403);
    });

    it('updates display name and description, replaces labels whole and moves last_updated', async () => {
      const created = await createEnvironment(emu, 'to-update', { labels: { a: '1', b: '2' } });
      const before = created.body as EnvironmentList;
      await new Promise((r) => setTimeout(r, 5));
      const answer = await call<EnvironmentDetail>(emu, 'PATCH', `${ENVS}/to-update`, {
        json: { display_name: 'Updated', description: 'New words', labels: { c: '3' } },
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.body.display_name, 'Updated');
      assert.equal(answer.body.description, 'New words');
      assert.deepEqual(answer.body.labels, { c: '3' });
      assert.equal(answer.body.creation_date, before.creation_date);
      assert.ok(answer.body.last_updated > before.last_updated);
      assert.ok('active_build' in answer.body);
      const again = await call<EnvironmentDetail>(emu, 'GET', `${ENVS}/to-update`);
      assert.deepEqual(again.body.labels, { c: '3' });
    });

    it('renames, keeping revisions, and checks the new name', async () => {
      const up = await createAndUpload(emu, 'old-name');
      const renamed = await call<EnvironmentDetail>(emu, 'PATCH', `${ENVS}/old-name`, { json: { name: 'new-name' } });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.name, 'new-name');
      assert.equal((await call(emu, 'GET', `${ENVS}/old-name`)).status, 404);
      const revision = await call(emu, 'GET', `${ENVS}/new-name/revisions/${up.body.revision}`);
      assert.equal(revision.body.environment, 'new-name');
      const bad = await call(emu, 'PATCH', `${ENVS}/new-name`, { json: { name: 'new/name' } });
      assert.equal(bad.status, 400);
      const taken = await call(emu, 'PATCH', `${ENVS}/new-name`, { json: { name: 'data-science' } });
      assert.equal(taken.status, 400);
      const base = await call(emu, 'PATCH', `${ENVS}/new-name`, { json: { base_environment: 'python3-11' } });
      assert.equal(base.status, 400);
    });

    it('reports active and latest revision and build', async () => {
      const good = await createAndUpload(emu, 'tracking');
      const bad = await upload(emu, 'tracking', Buffer.from('not a zip'));
      const detail = await call<EnvironmentDetail>(emu, 'GET', `${ENVS}/tracking`);
      assert.equal(detail.body.active_revision, good.body.revision);
      assert.equal(detail.body.active_build, good.body.build);
      assert.equal(detail.body.latest_revision, bad.body.revision);
      assert.equal(detail.body.latest_build, bad.body.build);
    });
  });

  describe('usage and delete', () => {
    it('lists the deployment versions using an environment', async () => {
      await createEnvironment(emu, 'used-env', { display_name: 'Used' });
      emu.addDeploymentVersion(PROJECT, 'used-env', { deployment: 'dep', version: 'v1' });
      emu.addDeploymentVersion(PROJECT, 'used-env', { deployment: 'dep', version: 'v2', status: 'unavailable' });
      const usage = await call<EnvironmentUsage[]>(emu, 'GET', `${ENVS}/used-env/usage?environment_type=custom`);
      assert.equal(usage.status, 200);
      assert.deepEqual(
        usage.body.map((u) => [u.deployment, u.version, u.environment, u.environment_display_name, u.status]),
        [
          ['dep', 'v1', 'used-env', 'Used', 'available'],
          ['dep', 'v2', 'used-env', 'Used', 'unavailable'],
        ],
      );
    });

    it('refuses deleting an environment in use, listing the versions', async () => {
      const answer = await call(emu, 'DELETE', `${ENVS}/used-env`);
      assert.equal(answer.status, 400);
      assert.match(answer.body.error, /dep\/v1/);
      assert.match(answer.body.error, /dep\/v2/);
      assert.match(answer.body.error, /another environment/);
      assert.equal((await call(emu, 'GET', `${ENVS}/used-env`)).status, 200);
      const seeded = await call(emu, 'DELETE', `${ENVS}/data-science`);
      assert.equal(seeded.status, 400);
      assert.match(seeded.body.error, /churn-model\/v1/);
    });

    it('deletes with 204 and an empty body, taking revisions along', async () => {
      const up = await createAndUpload(emu, 'doomed');
      const answer = await call(emu, 'DELETE', `${ENVS}/doomed`);
      assert.equal(answer.status, 204);
      assert.equal(answer.text, '');
      assert.equal((await call(emu, 'GET', `${ENVS}/doomed`)).status, 404);
      await createEnvironment(emu, 'doomed');
      const revision = await call(emu, 'GET', `${ENVS}/doomed/revisions/${up.body.revision}`);
      assert.equal(revision.status, 404, 'a revision of the deleted environment survived');
    });
  });

  describe('seed', () => {
    it('shows every state a user meets', async () => {
      const envs = await call<EnvironmentList[]>(emu, 'GET', `${ENVS}?environment_type=custom`);
      const byName = new Map(envs.body.map((e) => [e.name, e]));
      for (const name of [
        'data-science',
        'web-scraper',
        'nlp-transformers',
        'image-tools',
        'experiment',
        'fraud-detector-v1',
        'legacy-reports',
        'gpu-training',
      ]) {
        assert.ok(byName.has(name), name);
      }
      assert.equal(byName.get('fraud-detector-v1')?.implicit, true);
      assert.equal(byName.get('gpu-training')?.gpu_required, true);

      const lastBuild = async (env: string): Promise<{ status: string; error_message: string }> => {
        const d = await call<EnvironmentDetail>(emu, 'GET', `${ENVS}/${env}`);
        const b = await call(
          emu,
          'GET',
          `${ENVS}/${env}/revisions/${d.body.latest_revision}/builds/${d.body.latest_build}`,
        );
        return b.body;
      };
      assert.equal((await lastBuild('nlp-transformers')).status, 'processing');
      assert.equal((await lastBuild('image-tools')).status, 'queued');
      assert.equal((await lastBuild('experiment')).status, 'cancelled');
      assert.equal((await lastBuild('web-scraper')).status, 'success');

      const scraperRevisions = await call<{ id: string }[]>(emu, 'GET', `${ENVS}/web-scraper/revisions`);
      const firstBuilds = await call<{ status: string; error_message: string }[]>(
        emu,
        'GET',
        `${ENVS}/web-scraper/revisions/${scraperRevisions.body[0].id}/builds`,
      );
      assert.equal(firstBuilds.body[0].status, 'failed');
      assert.match(firstBuilds.body[0].error_message, /requirements\.txt:2/);

      const legacy = await call<{ expired: boolean }[]>(emu, 'GET', `${ENVS}/legacy-reports/revisions`);
      assert.deepEqual(
        legacy.body.map((r) => r.expired),
        [true, false],
      );
      const ds = await call<unknown[]>(emu, 'GET', `${ENVS}/data-science/revisions`);
      assert.ok(ds.body.length >= 3);
      const refused = await upload(emu, 'fraud-detector-v1', await goodZip());
      assert.equal(refused.status, 400);
      assert.match((refused.body as unknown as { error: string }).error, /implicit/);
    });
  });
});
