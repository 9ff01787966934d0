import assert from 'node:assert/strict';
import { buildLogQuery, type LogLine, type RequestEvent } from '../../../src/api';
import { BuildTracker, type BuildRef } from '../../../src/builds/buildTracker';
import { LogFollower } from '../../../src/builds/logFollower';
import { DEMO_PROJECT as PROJECT, useEmulatorSuite } from '../../helpers/emulator';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('LogFollower against the emulator', function () {
  this.timeout(20_000);
  const lab = useEmulatorSuite({
    token: 'follower-token',
    tempPrefix: 'ubiops-follower-',
    emulator: { buildSeconds: 2 },
  });

  function tracker(): BuildTracker {
    return new BuildTracker(
      (ref, signal) => lab.client.getBuild(ref.project, ref.environment, ref.revision, ref.build, { signal }),
      { initialIntervalMs: 100, maxIntervalMs: 200, backoff: 1.5 },
    );
  }

  const made: { dispose(): void }[] = [];
  afterEach(() => made.splice(0).forEach((thing) => thing.dispose()));

  /** Uploads `requirements` into a new environment; a tracker and a follower for its build, disposed after the test. */
  async function following(
    environment: string,
    requirements: string,
  ): Promise<{ ref: BuildRef; builds: BuildTracker; follower: LogFollower }> {
    const ref = await lab.upload(environment, { 'requirements.txt': requirements });
    const builds = tracker();
    const follower = new LogFollower(builds, { lateLinesMs: 600, lateIntervalMs: 200 });
    made.push(follower, builds);
    return { ref, builds, follower };
  }

  const logRequests = (): RequestEvent[] => lab.events.filter((e) => e.path.startsWith(`/projects/${PROJECT}/logs`));
  const buildPolls = (): RequestEvent[] => lab.events.filter((e) => /\/builds\/[^/?]+$/.test(e.path));

  it('follows a running build: every line once, one logs request per poll, late lines, then nothing', async () => {
    const requirements = Array.from({ length: 30 }, (_, i) => `pkg-${i}==1.${i}`).join('\n');
    const { ref, follower } = await following('follow-live', requirements);
    const received: LogLine[][] = [];
    let ended = false;
    lab.events = [];
    // Small pages, so that catching up takes several polls.
    follower.follow(
      ref,
      lab.client.buildLogReader(PROJECT, ref.environment, ref.build, 7),
      {
        append: (lines) => received.push(lines),
        end: () => (ended = true),
        fail: (error) => assert.fail(String(error)),
      },
      true,
    );
    const deadline = performance.now() + 10_000;
    while (!ended && performance.now() < deadline) {
      await sleep(50);
    }
    assert.ok(ended, 'the follower ended with the build');
    const all = await lab.client.listLogs(PROJECT, { query: buildLogQuery(ref.environment, ref.build), limit: 5000 });
    const got = received.flat();
    assert.deepEqual(
      got.map((l) => l.timestamp),
      all.map((l) => l.timestamp),
      'no line lost or repeated',
    );
    assert.ok(received.length >= 3, `the log arrived in several steps (${received.length})`);
    assert.equal(got.at(-1)?.log, 'Build succeeded.');
    // While running: the opening read, then at most one per poll; the rest only once the build had finished.
    const polls = buildPolls().length;
    const atEnd = logRequests().length;
    const finalPages = Math.ceil(all.length / 7) + 1;
    assert.ok(atEnd <= polls + finalPages, `${atEnd} logs requests for ${polls} polls`);
    // Then a read every 200 ms for the late lines, for 600 ms after the end; then nothing.
    await sleep(900);
    assert.equal(follower.following, 0, 'done with the late lines');
    const late = logRequests().length - atEnd;
    assert.ok(late >= 2 && late <= 4, `${late} reads for late lines`);
    const afterLate = logRequests().length;
    await sleep(500);
    assert.equal(logRequests().length, afterLate, 'nothing is asked after the late lines');
  });

  it('asks nothing more once the log is closed, while the build still runs', async () => {
    const { ref, follower } = await following('follow-closed', 'numpy==1.26.4\n');
    lab.events = [];
    const handle = follower.follow(
      ref,
      lab.client.buildLogReader(PROJECT, ref.environment, ref.build),
      {
        append: () => undefined,
        end: () => assert.fail('closed before the end'),
        fail: () => undefined,
      },
      true,
    );
    await sleep(300);
    handle.dispose();
    await sleep(100); // a request already on its way when the log closed is aborted, and logged as it ends
    const count = logRequests().length;
    assert.ok(count >= 1);
    await sleep(600);
    assert.ok(buildPolls().length > 1, 'the build is still polled');
    assert.equal(logRequests().length, count, 'but its log is not');
  });

  it('reads the log of a build that just finished whole, ends, and reads on only for the late lines', async () => {
    const { ref, builds, follower } = await following('follow-done', 'numpy==1.26.4\nbroken ==> 1\n');
    const done = await new Promise<LogLine[]>((resolve) => {
      builds.follow(ref);
      builds.onDidFinish(() => {
        const lines: LogLine[] = [];
        follower.follow(
          ref,
          lab.client.buildLogReader(PROJECT, ref.environment, ref.build, 2),
          {
            append: (page) => lines.push(...page),
            end: () => resolve(lines),
            fail: (error) => assert.fail(String(error)),
          },
          false,
        );
      });
    });
    assert.match(done.find((l) => l.metadata.level === 'error')?.log ?? '', /requirements\.txt, line 2/);
    // The tracker saw it finish a moment ago: late lines may still come, for the rest of the 600 ms.
    assert.equal(follower.following, 1);
    await sleep(700);
    assert.equal(follower.following, 0);
  });

  it('reads once and stops when told the build is not running and the tracker never saw it end', async () => {
    const { ref, follower } = await following('follow-old', 'numpy==1.26.4\n');
    lab.events = [];
    await new Promise<void>((resolve) =>
      follower.follow(
        ref,
        lab.client.buildLogReader(PROJECT, ref.environment, ref.build),
        { append: () => undefined, end: resolve, fail: (error) => assert.fail(String(error)) },
        false,
      ),
    );
    assert.equal(follower.following, 0, 'no late lines to wait for: the tracker never saw it finish');
    assert.equal(logRequests().length, 1);
  });
});

describe('LogFollower and the lines UbiOps delivers late', function () {
  this.timeout(20_000);
  // Every line is served a second after its time: the end of a build shows in the log after the build has ended.
  const lab = useEmulatorSuite({
    token: 'late-token',
    tempPrefix: 'ubiops-late-',
    emulator: { buildSeconds: 1.5, logDelaySeconds: 1 },
  });

  /** Follows a new build's log with this window for late lines; what it got, and what it got after `end()`. */
  async function followed(environment: string, lateLinesMs: number): Promise<{ all: string[]; afterEnd: string[] }> {
    const ref = await lab.upload(environment, { 'requirements.txt': 'numpy==1.26.4\n' });
    const builds = new BuildTracker(
      (r, signal) => lab.client.getBuild(r.project, r.environment, r.revision, r.build, { signal }),
      { initialIntervalMs: 100, maxIntervalMs: 200, backoff: 1.5 },
    );
    const follower = new LogFollower(builds, { lateLinesMs, lateIntervalMs: 250 });
    const all: string[] = [];
    const afterEnd: string[] = [];
    let ended = false;
    try {
      follower.follow(
        ref,
        lab.client.buildLogReader(PROJECT, ref.environment, ref.build),
        {
          append: (lines) => (ended ? afterEnd : all).push(...lines.map((line) => line.log)),
          end: () => (ended = true),
          fail: (error) => assert.fail(String(error)),
        },
        true,
      );
      const deadline = performance.now() + 10_000;
      while ((follower.following > 0 || !ended) && performance.now() < deadline) await sleep(50);
      assert.ok(ended && follower.following === 0, 'the follower ended');
      return { all: [...all, ...afterEnd], afterEnd };
    } finally {
      follower.dispose();
      builds.dispose();
    }
  }

  it('reads on after the build ended, and gets the lines that arrive late', async () => {
    const [tailed, untailed] = await Promise.all([followed('late-tailed', 2500), followed('late-untailed', 0)]);
    assert.equal(tailed.all.at(-1), 'Build succeeded.', tailed.all.join('\n'));
    assert.ok(tailed.afterEnd.includes('Build succeeded.'), 'it arrived after the build had ended');
    // Without reading on, the log stops before its end: what a client that does not wait for late lines shows.
    assert.ok(!untailed.all.includes('Build succeeded.'), untailed.all.join('\n'));
  });
});
