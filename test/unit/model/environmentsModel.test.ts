import assert from 'node:assert/strict';
import { EnvironmentsModel, keyOf } from '../../../src/model/environmentsModel';
import { DEMO_PROJECT as PROJECT, useEmulatorSuite } from '../../helpers/emulator';

const CUSTOM = { type: 'custom' as const, labels: {} };

describe('EnvironmentsModel against the emulator', () => {
  // Running builds stay running: the statuses do not change under the tests.
  const lab = useEmulatorSuite({ token: 'model-token', tempPrefix: 'ubiops-model-', emulator: { buildSeconds: 3600 } });
  let model: EnvironmentsModel;
  let changes: string[];

  beforeEach(() => {
    model = new EnvironmentsModel(lab.client);
    changes = [];
    model.onDidChange((key) => changes.push(key));
  });

  afterEach(() => model.dispose());

  /** The requests the emulator answered while `body` ran. */
  async function requests(body: () => Promise<unknown>): Promise<number> {
    const before = lab.emulator.stats().requests;
    await body();
    return lab.emulator.stats().requests - before;
  }

  /** Every level under an environment, read once. */
  async function browseEnvironment(from: EnvironmentsModel, environment: string): Promise<void> {
    const ref = { project: PROJECT, environment };
    for (const revision of (await from.revisions(ref)).revisions) {
      for (const build of await from.builds({ ...ref, revision: revision.id })) {
        await from.dependencyFiles({ ...ref, revision: revision.id, build: build.id });
      }
    }
  }

  /** Every level under the demo project, read once. */
  async function browse(): Promise<void> {
    await model.projects();
    for (const environment of await model.environments(PROJECT, CUSTOM)) {
      await browseEnvironment(model, environment.name);
    }
  }

  it('loads each level once: browsing again sends no request', async () => {
    assert.ok((await requests(browse)) > 10, 'the first browse reads every level');
    assert.equal(await requests(browse), 0);
  });

  it('shares one request between asks that come while a level loads', async () => {
    const [a, b] = await Promise.all([model.projects(), model.projects()]);
    assert.equal(a, b);
    assert.equal(await requests(() => Promise.all([model.projects(), model.projects()])), 0);
  });

  it('loads the environments again under another filter, and nothing else', async () => {
    await browse();
    assert.equal(await requests(() => model.environments(PROJECT, { type: 'all', labels: {} })), 1);
    assert.equal(await requests(() => model.revisions({ project: PROJECT, environment: 'data-science' })), 0);
  });

  it('forgets what is under an invalidated place, announces it, and reloads it alone', async () => {
    await browse();
    const environment = { project: PROJECT, environment: 'data-science' };
    model.invalidate(environment);
    assert.deepEqual(changes, [keyOf(environment)]);
    const fresh = new EnvironmentsModel(lab.client);
    const alone = await requests(() => browseEnvironment(fresh, 'data-science'));
    fresh.dispose();
    assert.equal(await requests(browse), alone, 'browsing again reads that environment only');
  });

  it('keeps no failed load: the next ask tries again', async () => {
    lab.emulator.setTokens(['another-token']);
    try {
      await assert.rejects(model.projects(), /401/);
    } finally {
      lab.emulator.setTokens(['model-token']);
    }
    assert.ok((await model.projects()).some((project) => project.name === PROJECT));
  });

  it('announces the builds it read, with no other effect', async () => {
    const loaded: string[] = [];
    model.onDidLoadBuilds(({ revision, builds }) => loaded.push(`${keyOf(revision)}:${builds.length}`));
    const ref = { project: PROJECT, environment: 'nlp-transformers' };
    const [revision] = (await model.revisions(ref)).revisions;
    const builds = await model.builds({ ...ref, revision: revision.id });
    await model.builds({ ...ref, revision: revision.id });
    assert.deepEqual(loaded, [`${keyOf({ ...ref, revision: revision.id })}:${builds.length}`], 'once per load');
    assert.deepEqual(changes, []);
  });

  it('takes a build it is told of, announces it by key, and drops its files when its status changed', async () => {
    const ref = { project: PROJECT, environment: 'nlp-transformers' };
    const revisions = (await model.revisions(ref)).revisions;
    let found: { revision: string; build: string } | undefined;
    for (const revision of revisions) {
      const running = (await model.builds({ ...ref, revision: revision.id })).find((b) => b.status === 'processing');
      if (running) found = { revision: revision.id, build: running.id };
    }
    assert.ok(found, 'a processing build');
    const buildRef = { ...ref, ...found };
    await model.dependencyFiles(buildRef);
    const cancelled = { ...model.build(buildRef)!, status: 'cancelled' };
    model.updateBuild(buildRef, cancelled);
    assert.equal(model.build(buildRef)?.status, 'cancelled');
    assert.deepEqual(changes, [keyOf(buildRef)]);
    assert.equal(await requests(() => model.builds(buildRef)), 0, 'the list is updated in place');
    assert.equal(await requests(() => model.dependencyFiles(buildRef)), 1, 'its files are read again');
  });

  it('reloads a revision whose loaded list lacks a build it is told of; ignores a revision not loaded', async () => {
    const ref = { project: PROJECT, environment: 'data-science' };
    const [revision] = (await model.revisions(ref)).revisions;
    const [known] = await model.builds({ ...ref, revision: revision.id });
    const unknown = { ...ref, revision: revision.id, build: 'not-in-the-list' };
    model.updateBuild(unknown, { ...known, id: 'not-in-the-list' });
    assert.deepEqual(changes, [keyOf({ ...ref, revision: revision.id })]);
    assert.equal(await requests(() => model.builds(unknown)), 1);
    changes.length = 0;
    model.updateBuild({ ...ref, revision: 'not-loaded', build: known.id }, known);
    assert.deepEqual(changes, []);
  });
});
