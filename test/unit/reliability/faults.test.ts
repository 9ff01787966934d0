/**
 * Fault scenarios: the real client and BuildTracker, driven like a user drives the tree, against the emulator with
 * each of its switchable faults. Prints a table (and writes test-results/reliability/faults.md):
 * scenario | operations tried | operations completed | user-visible failures | requests sent.
 *
 * An "operation" is what a user does or waits for: list the projects, expand an environment (its revisions and
 * its detail, as the tree loads them), expand a revision (its builds), download, upload, follow a build to its
 * end. A "user-visible failure" is an operation that ended in an error the user would see. "Requests sent" counts
 * every attempt the client made, retries included.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { RequestEvent, UbiOpsClient, type EnvironmentBuild, type RetryOptions } from '../../../src/api';
import { BuildTracker, type BuildRef } from '../../../src/builds/buildTracker';
import { start, type Emulator, type EmulatorOptions } from '../../../src/emulator';
import { useTempDir } from '../../helpers/tempDir';
import { zipOf } from '../../helpers/zip';
import { writeReport } from './report';

const TOKEN = 'faults-token-0b7e';
const PROJECTS = ['demo-project', 'sandbox-project'];

interface Row {
  scenario: string;
  tried: number;
  completed: number;
  failures: number;
  requests: number;
}

const rows: Row[] = [];

/** One scenario's bookkeeping: its clients count their attempts into it; `op` counts what the user does. */
class Scenario {
  readonly row: Row;
  readonly events: RequestEvent[] = [];
  readonly failureMessages: string[] = [];
  private readonly clients: UbiOpsClient[] = [];

  constructor(name: string) {
    this.row = { scenario: name, tried: 0, completed: 0, failures: 0, requests: 0 };
    rows.push(this.row);
  }

  client(host: string, retry?: RetryOptions): UbiOpsClient {
    const client = new UbiOpsClient({
      host,
      token: TOKEN,
      retry,
      onRequest: (event) => {
        this.row.requests += 1;
        this.events.push(event);
      },
    });
    this.clients.push(client);
    return client;
  }

  /** One user operation: counted as completed, or as a failure the user sees (its message kept). */
  async op<T>(body: () => Promise<T>): Promise<T | undefined> {
    this.row.tried += 1;
    try {
      const value = await body();
      this.row.completed += 1;
      return value;
    } catch (error) {
      this.row.failures += 1;
      this.failureMessages.push(error instanceof Error ? error.message : String(error));
      return undefined;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.close()));
  }
}

interface RevisionSeen {
  project: string;
  environment: string;
  revision: string;
  expired: boolean;
  implicit: boolean;
}

/**
 * What a user does who expands everything: the projects, each project's environments, each environment (its
 * revisions and detail, in parallel, as EnvironmentNode loads them), each revision's builds. `parallel` expands
 * all rows of a level at once (the worst case for a rate limit); otherwise one at a time.
 */
async function browse(s: Scenario, client: UbiOpsClient, parallel: boolean): Promise<RevisionSeen[]> {
  const each = async <T>(items: T[], body: (item: T) => Promise<void>): Promise<void> => {
    if (parallel) {
      await Promise.all(items.map(body));
    } else {
      for (const item of items) await body(item);
    }
  };
  const seen: RevisionSeen[] = [];
  const projects = (await s.op(() => client.listProjects())) ?? [];
  await each(
    projects.filter((project) => PROJECTS.includes(project.name)),
    async (project) => {
      const environments =
        (await s.op(() => client.listEnvironments(project.name, { environment_type: 'custom' }))) ?? [];
      await each(environments, async (environment) => {
        const loaded = await s.op(() =>
          Promise.all([
            client.listRevisions(project.name, environment.name),
            client.getEnvironment(project.name, environment.name),
          ]),
        );
        const revisions = loaded?.[0] ?? [];
        await each(revisions, async (revision) => {
          seen.push({
            project: project.name,
            environment: environment.name,
            revision: revision.id,
            expired: revision.expired,
            implicit: environment.implicit,
          });
          await s.op(() => client.listBuilds(project.name, environment.name, revision.id));
        });
      });
    },
  );
  return seen;
}

/** Follows builds with a BuildTracker until each finishes; each build is one operation. */
async function follow(
  s: Scenario,
  client: UbiOpsClient,
  refs: { ref: BuildRef; build: EnvironmentBuild }[],
  timeoutMs: number,
): Promise<Map<string, EnvironmentBuild>> {
  const tracker = new BuildTracker(
    (ref, signal) => client.getBuild(ref.project, ref.environment, ref.revision, ref.build, { signal }),
    { initialIntervalMs: 200, maxIntervalMs: 600, backoff: 1.5 },
  );
  const finished = new Map<string, EnvironmentBuild>();
  const waits = refs.map(
    ({ ref }) =>
      new Promise<EnvironmentBuild>((resolve, reject) => {
        tracker.onDidFinish((event) => event.ref.build === ref.build && resolve(event.build));
        tracker.onDidLose(
          (event) =>
            event.ref.build === ref.build && reject(new Error(`build ${ref.build} was lost`, { cause: event.error })),
        );
        setTimeout(() => reject(new Error(`build ${ref.build} did not finish in ${timeoutMs} ms`)), timeoutMs).unref();
      }),
  );
  for (const { ref, build } of refs) tracker.follow(ref, build);
  try {
    await Promise.all(
      waits.map((wait, index) =>
        s.op(async () => {
          const build = await wait;
          finished.set(refs[index].ref.build, build);
        }),
      ),
    );
  } finally {
    tracker.dispose();
  }
  return finished;
}

/**
 * Rebuilds `count` revisions whose file is still there; each rebuild is one operation. With `clicks` above 1, a
 * rebuild that fails is tried again, as a user clicks again, up to `clicks` times in all.
 */
async function rebuild(
  s: Scenario,
  client: UbiOpsClient,
  revisions: RevisionSeen[],
  count: number,
  clicks = 1,
): Promise<{ ref: BuildRef; build: EnvironmentBuild }[]> {
  const candidates = revisions.filter((revision) => !revision.expired && !revision.implicit).slice(0, count);
  assert.equal(candidates.length, count, `${count} revisions can be rebuilt`);
  const started: { ref: BuildRef; build: EnvironmentBuild }[] = [];
  for (const { project, environment, revision } of candidates) {
    for (let click = 0; click < clicks; click++) {
      const build = await s.op(() => client.rebuildRevision(project, environment, revision));
      if (build) {
        started.push({ ref: { host: client.host, project, environment, revision, build: build.id }, build });
        break;
      }
    }
  }
  return started;
}

/** Math.random from a fixed seed (mulberry32): the emulator's fault draws repeat from run to run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('reliability: fault scenarios against the emulator', function () {
  this.timeout(60_000);
  const temp = useTempDir('ubiops-faults-');
  const originalRandom = Math.random;

  after(async () => {
    Math.random = originalRandom;
    const header = ['scenario', 'operations tried', 'operations completed', 'user-visible failures', 'requests sent'];
    const lines = [
      `| ${header.join(' | ')} |`,
      `|${header.map(() => '---').join('|')}|`,
      ...rows.map((row) => `| ${row.scenario} | ${row.tried} | ${row.completed} | ${row.failures} | ${row.requests} |`),
    ];
    await writeReport('faults.md', `# Fault scenarios\n\n${lines.join('\n')}\n`);
    console.log(
      `\n  Fault scenarios (also in test-results/reliability/faults.md):\n\n${lines.map((line) => `  ${line}`).join('\n')}\n`,
    );
  });

  async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
    return start({ port: 0, tokens: [TOKEN], buildSeconds: 1, ...options });
  }

  /**
   * One scenario against a fresh emulator, with a client of it: `Math.random` drawn from `seed` if given (the
   * emulator's faults then repeat from run to run), put back after, and the client and the emulator closed.
   */
  async function scenario(
    name: string,
    body: (s: Scenario, emu: Emulator, client: UbiOpsClient) => Promise<void>,
    seed?: number,
  ): Promise<void> {
    if (seed !== undefined) Math.random = seededRandom(seed);
    const emu = await emulator();
    const s = new Scenario(name);
    try {
      await body(s, emu, s.client(emu.url));
    } finally {
      Math.random = originalRandom;
      await s.close();
      await emu.close();
    }
  }

  it('a rate limit (scaled: 20 requests per 2 s window): expand everything, refresh, follow five builds — no failure', async () => {
    await scenario(
      'rate limit, 20 per 2 s window (300/min scaled): expand all, refresh, follow 5 builds',
      async (s, emu, client) => {
        emu.setFaults({ rateLimitPerMinute: 20, rateLimitWindowSeconds: 2 });
        const revisions = await browse(s, client, true);
        await browse(s, client, true); // refresh
        const started = await rebuild(s, client, revisions, 5);
        const finished = await follow(s, client, started, 30_000);

        assert.deepEqual(s.failureMessages, [], 'no failure the user would see');
        assert.equal(s.row.completed, s.row.tried);
        assert.equal(finished.size, 5, 'five builds followed to their end');
        const limited = s.events.filter((event) => event.status === 429);
        assert.ok(limited.length > 0, 'the limit was hit');
        // The server says "reset in N s" (N ≥ 1, at most the 2 s window): the client waits N + 1 s, never less.
        for (const event of limited) {
          assert.ok(
            event.retryInMs !== undefined && event.retryInMs >= 2000 && event.retryInMs <= 3600,
            `waited ${event.retryInMs} ms after a 429`,
          );
        }
      },
    );
  });

  it('10% 500/503 answers and 5% dropped connections: browsing, a download and build tracking complete', async () => {
    await scenario(
      '10% 500/503 + 5% dropped: browse, refresh, download, follow 3 builds',
      async (s, emu, client) => {
        emu.setFaults({ errorRate: 0.1, errorStatuses: [500, 503], dropRate: 0.05 });
        const revisions = await browse(s, client, false);
        await browse(s, client, false);
        const downloadable = revisions.find((revision) => !revision.expired)!;
        const saved = await s.op(() =>
          client.downloadRevision(downloadable.project, downloadable.environment, downloadable.revision, {
            directory: temp.path,
          }),
        );
        // Rebuilds are POSTs: one answered 500 or dropped is not repeated by the client (it may have been acted on);
        // the user sees it and retries with one click. Counted as user-visible failures; tracking must not fail.
        const started = await rebuild(s, client, revisions, 3, 3);
        const before = s.row.failures;
        const finished = await follow(s, client, started, 30_000);

        const attempts = s.events.length;
        const faults = s.events.filter(
          (event) => event.status === 500 || event.status === 503 || event.status === undefined,
        ).length;
        assert.ok(faults > 0, `faults were injected (${faults} of ${attempts} attempts)`);
        const readFailures = s.failureMessages.filter((message) => !message.includes('/rebuild'));
        assert.deepEqual(readFailures, [], 'browsing, the download and tracking never failed');
        assert.ok(saved && saved.bytes > 0, 'the download completed');
        assert.equal(started.length, 3, 'each rebuild went through within three clicks');
        assert.equal(finished.size, 3, 'every build was followed to its end');
        assert.equal(s.row.failures, before, 'tracking saw no failure');
      },
      0x5eed,
    );
  });

  it('an upload that fails says so clearly, leaves nothing half-created, and a retry succeeds', async () => {
    await scenario(
      'upload under faults: a 5xx, a dropped connection, then retried under 10% + 5%',
      async (s, emu, client) => {
        await client.createEnvironment('demo-project', { name: 'fault-upload', base_environment: 'python3-12' });
        const zipPath = await temp.file('fault-upload.zip', await zipOf({ 'requirements.txt': 'numpy==1.26.4\n' }));
        const upload = () => client.uploadRevision('demo-project', 'fault-upload', zipPath);

        emu.setFaults({ errorRate: 1, errorStatuses: [500, 503] });
        await s.op(upload);
        emu.setFaults({ dropRate: 1 });
        await s.op(upload);
        emu.setFaults({});
        const [serverError, dropped] = s.failureMessages;
        assert.match(
          serverError,
          /POST \/projects\/demo-project\/environments\/fault-upload\/revisions failed with 50[03]: .*try again/i,
        );
        assert.match(dropped, /could not reach 127\.0\.0\.1:\d+ \(the connection was dropped\)/);
        assert.deepEqual(await client.listRevisions('demo-project', 'fault-upload'), [], 'nothing half-created');

        emu.setFaults({ errorRate: 0.1, errorStatuses: [500, 503], dropRate: 0.05 });
        let created;
        for (let click = 0; click < 5 && !created; click++) {
          created = await s.op(upload);
        }
        emu.setFaults({});
        assert.ok(created, `a retry succeeded (${s.failureMessages.slice(2).join(' | ') || 'first time'})`);
        const revisions = await client.listRevisions('demo-project', 'fault-upload');
        assert.deepEqual(
          revisions.map((revision) => revision.id),
          [created.revision],
          'exactly one revision, the one the retry made',
        );
      },
      0xc0ffee,
    );
  });

  it('500 ms of latency: loads of different levels run side by side, not one after another', async () => {
    await scenario('500 ms latency: 6 levels loaded at once, then expand all', async (s, emu, client) => {
      const environment = 'data-science';
      const [revision] = await client.listRevisions('demo-project', environment);
      const [build] = await client.listBuilds('demo-project', environment, revision.id);
      s.row.requests = 0;
      emu.setFaults({ latencyMs: 500 });
      const started = performance.now();
      await Promise.all([
        s.op(() => client.listProjects()),
        s.op(() => client.listEnvironments('demo-project')),
        s.op(() => client.getEnvironment('demo-project', environment)),
        s.op(() => client.listRevisions('demo-project', environment)),
        s.op(() => client.listBuilds('demo-project', environment, revision.id)),
        s.op(() => client.listBuildDependencyFiles('demo-project', environment, revision.id, build.id)),
      ]);
      const concurrent = performance.now() - started;
      assert.ok(concurrent < 1000, `6 loads at once took ${concurrent} ms: about one latency, not six`);

      const browseStarted = performance.now();
      await browse(s, client, true);
      const expandAll = performance.now() - browseStarted;
      // Four levels deep: about four latencies, however many rows each level has.
      assert.ok(expandAll < 4 * 500 + 1200, `expanding everything took ${expandAll} ms`);
      assert.equal(s.row.failures, 0);
    });
  });

  it('the emulator stopped and restarted mid-session: a clear network error, then everything back', async () => {
    const dataDir = path.join(temp.path, 'restart-data');
    let emu = await emulator({ dataDir, buildSeconds: 2 });
    const port = emu.port;
    const s = new Scenario('emulator stopped and restarted (same data) mid-session');
    try {
      const client = s.client(emu.url, { baseDelayMs: 200 });
      await browse(s, client, true);
      await s.op(() =>
        client.createEnvironment('demo-project', {
          name: 'survives-restart',
          base_environment: 'python3-12',
          labels: { kept: 'yes' },
        }),
      );
      const zipPath = await temp.file('restart.zip', await zipOf({ 'requirements.txt': 'numpy==1.26.4\n' }, null));
      const created = (await s.op(() => client.uploadRevision('demo-project', 'survives-restart', zipPath)))!;
      const before = await client.listEnvironments('demo-project');

      // A build is followed across the outage.
      const ref: BuildRef = {
        host: client.host,
        project: 'demo-project',
        environment: 'survives-restart',
        revision: created.revision,
        build: created.build,
      };
      const tracking = follow(
        s,
        client,
        [{ ref, build: await client.getBuild('demo-project', 'survives-restart', created.revision, created.build) }],
        40_000,
      );

      await emu.close();
      const failed = await s.op(() => client.listProjects());
      assert.equal(failed, undefined);
      const message = s.failureMessages.at(-1)!;
      assert.match(
        message,
        new RegExp(
          `GET /projects: could not reach 127\\.0\\.0\\.1:${port} \\(connection refused: nothing is listening there\\)`,
        ),
      );

      // A call made while it is down completes once it is back within the retry window.
      const pending = s.op(() => client.listEnvironments('demo-project'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      emu = await emulator({ dataDir, port, buildSeconds: 2 });
      const after = await pending;
      assert.deepEqual(
        after?.map((environment) => environment.name),
        before.map((environment) => environment.name),
        'state intact',
      );

      const environment = await s.op(() => client.getEnvironment('demo-project', 'survives-restart'));
      assert.deepEqual(environment?.labels, { kept: 'yes' });
      const finished = await tracking;
      assert.equal(
        finished.get(created.build)?.status,
        'success',
        'the build went on after the restart, and was followed to its end',
      );
      assert.equal(s.row.failures, 1, 'only the call made while nothing listened failed');
    } finally {
      await s.close();
      await emu.close();
    }
  });
});
