import assert from 'node:assert/strict';
import * as net from 'node:net';
import { UbiOpsClient, type EnvironmentBuild, type RequestEvent } from '../../../src/api';
import { BuildTracker, type BuildRef } from '../../../src/builds/buildTracker';
import { start } from '../../../src/emulator';
import { DEMO_PROJECT as PROJECT, useEmulatorSuite } from '../../helpers/emulator';
import { zipOf } from '../../helpers/zip';

const TOKEN = 'tracker-token';

describe('BuildTracker against the emulator', function () {
  this.timeout(20_000);
  const lab = useEmulatorSuite({ token: TOKEN, tempPrefix: 'ubiops-tracker-', emulator: { buildSeconds: 1.2 } });

  function tracker(): BuildTracker {
    return new BuildTracker(
      (ref, signal) => lab.client.getBuild(ref.project, ref.environment, ref.revision, ref.build, { signal }),
      { initialIntervalMs: 100, maxIntervalMs: 400, backoff: 2 },
    );
  }

  async function upload(
    environment: string,
    files: Record<string, string>,
  ): Promise<{ ref: BuildRef; build: EnvironmentBuild }> {
    const ref = await lab.upload(environment, files);
    return { ref, build: await lab.client.getBuild(PROJECT, environment, ref.revision, ref.build) };
  }

  function buildPolls(): RequestEvent[] {
    return lab.events.filter((event) => event.method === 'GET' && /\/builds\/[^/]+$/.test(event.path));
  }

  it('follows builds to success and to failure, then stops asking', async () => {
    const good = await upload('tracked-good', { 'requirements.txt': 'numpy==1.26.4\n' });
    const bad = await upload('tracked-bad', { 'requirements.txt': 'numpy==\n' });
    assert.ok(['queued', 'building', 'processing'].includes(good.build.status));
    lab.events = [];

    const followed = tracker();
    const updates: string[] = [];
    const finished = new Map<string, EnvironmentBuild>();
    const counts: number[] = [];
    followed.onDidUpdate(({ ref, build }) => updates.push(`${ref.environment}:${build.status}`));
    followed.onDidChangeRunning((count) => counts.push(count));
    const done = new Promise<void>((resolve) =>
      followed.onDidFinish(({ ref, build }) => {
        finished.set(ref.environment, build);
        if (finished.size === 2) {
          resolve();
        }
      }),
    );
    followed.follow(good.ref, good.build);
    followed.follow(bad.ref, bad.build);
    followed.follow(good.ref, good.build); // following twice changes nothing
    assert.equal(followed.running.length, 2);
    await done;

    assert.equal(finished.get('tracked-good')?.status, 'success');
    assert.equal(finished.get('tracked-bad')?.status, 'failed');
    assert.match(finished.get('tracked-bad')!.error_message ?? '', /requirements\.txt/);
    assert.ok(updates.includes('tracked-good:success') && updates.includes('tracked-bad:failed'));
    assert.deepEqual(counts.slice(0, 2), [1, 2]);
    assert.equal(counts.at(-1), 0);
    assert.equal(followed.running.length, 0);

    // Only the followed builds were asked about, and nothing after they finished.
    const polls = buildPolls();
    assert.equal(polls.length, lab.events.length, 'only build GETs were sent');
    const asked = new Set(polls.map((event) => event.path.split('/').pop()));
    assert.deepEqual([...asked].sort(), [good.ref.build, bad.ref.build].sort());
    const before = lab.events.length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(lab.events.length, before, 'nothing polls once no build runs');
    followed.dispose();
  });

  it('keeps following a cancelled build through cancelled_pending until it is cancelled', async () => {
    const { ref, build } = await upload('tracked-cancel', { 'requirements.txt': 'numpy\n' });
    const followed = tracker();
    const updates: string[] = [];
    followed.onDidUpdate(({ build: b }) => updates.push(b.status));
    const finished = new Promise<EnvironmentBuild>((resolve) => followed.onDidFinish(({ build: b }) => resolve(b)));
    followed.follow(ref, build);
    // Cancel once the build has started: the emulator then answers cancelled_pending for a second.
    const deadline = performance.now() + 5000;
    while ((await lab.client.getBuild(PROJECT, ref.environment, ref.revision, ref.build)).status !== 'processing') {
      assert.ok(performance.now() < deadline, 'the build reached processing');
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    const cancelled = await lab.client.cancelBuild(PROJECT, ref.environment, ref.revision, ref.build);
    assert.equal(cancelled.status, 'cancelled_pending');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(followed.running.length, 1, 'cancelled_pending is still running');
    assert.equal((await finished).status, 'cancelled');
    assert.ok(updates.includes('cancelled_pending'), updates.join(', '));
    assert.equal(followed.running.length, 0);
    followed.dispose();
  });

  it('backs off between polls of a build that keeps running', async () => {
    const slow = await start({ port: 0, tokens: [TOKEN], buildSeconds: 60 });
    const slowClient = new UbiOpsClient({ host: slow.url, token: TOKEN });
    const times: number[] = [];
    try {
      await slowClient.createEnvironment(PROJECT, { name: 'long-build', base_environment: 'python3-12' });
      const file = await lab.tempFile('long.zip', await zipOf({ 'requirements.txt': 'numpy\n' }, null));
      const created = await slowClient.uploadRevision(PROJECT, 'long-build', file);
      const followed = new BuildTracker(
        (ref, signal) => {
          times.push(performance.now());
          return slowClient.getBuild(ref.project, ref.environment, ref.revision, ref.build, { signal });
        },
        { initialIntervalMs: 50, maxIntervalMs: 400, backoff: 2 },
      );
      followed.follow({
        host: slow.url,
        project: PROJECT,
        environment: 'long-build',
        revision: created.revision,
        build: created.build,
      });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      followed.dispose();
      const polls = times.length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(times.length, polls, 'no poll after dispose');
      const gaps = times.slice(1).map((time, index) => time - times[index]);
      // 50, 100, 200, 400, 400…: growing, then capped.
      assert.ok(polls >= 4 && polls <= 8, `polled ${polls} times in 1.5 s`);
      assert.ok(gaps[0] < gaps[2], `the waits grow (${gaps.join(', ')} ms)`);
      assert.ok(
        gaps.every((gap) => gap < 600),
        `the waits are capped (${gaps.join(', ')} ms)`,
      );
    } finally {
      await slowClient.close();
      await slow.close();
    }
  });

  it('follows each build on its own: a check that never answers stalls no other build', async () => {
    // A server that accepts connections and never answers: one followed build lives there.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentHost = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/v2.1`;
    const silentClient = new UbiOpsClient({ host: silentHost, token: TOKEN });
    try {
      const healthy = await upload('tracked-beside-stuck', { 'requirements.txt': 'numpy==1.26.4\n' });
      const stuckRef: BuildRef = { ...healthy.ref, host: silentHost, build: 'stuck-build-id' };
      const asked: string[] = [];
      const followed = new BuildTracker(
        (ref, signal) => {
          asked.push(ref.build);
          const owner = ref.host === silentHost ? silentClient : lab.client;
          return owner.getBuild(ref.project, ref.environment, ref.revision, ref.build, { signal });
        },
        { initialIntervalMs: 100, maxIntervalMs: 200, backoff: 2 },
      );
      const finished = new Promise<EnvironmentBuild>((resolve) =>
        followed.onDidFinish(({ ref, build }) => ref.build === healthy.ref.build && resolve(build)),
      );
      // The stuck build first, so its check is in flight when the healthy build's checks fall due.
      followed.follow(stuckRef);
      await new Promise((resolve) => setTimeout(resolve, 150));
      followed.follow(healthy.ref, healthy.build);
      const outcome = await Promise.race([
        finished,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 8000)),
      ]);
      assert.equal(outcome?.status, 'success', 'the healthy build was followed to its end beside the stuck one');
      assert.ok(
        asked.filter((build) => build === healthy.ref.build).length >= 2,
        `the healthy build was checked again and again (${asked.join(', ')})`,
      );
      assert.equal(
        asked.filter((build) => build === 'stuck-build-id').length,
        1,
        'the stuck check is still waiting for its answer',
      );
      assert.deepEqual(
        followed.running.map((ref) => ref.build),
        ['stuck-build-id'],
      );
      followed.dispose();
    } finally {
      for (const socket of sockets) {
        socket.destroy();
      }
      await silentClient.close();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('stops following a build that is gone, and says so', async () => {
    const { ref, build } = await upload('tracked-gone', { 'requirements.txt': 'numpy\n' });
    const followed = tracker();
    const lost = new Promise<unknown>((resolve) => followed.onDidLose(({ error }) => resolve(error)));
    followed.follow(ref, build);
    await lab.client.deleteEnvironment(PROJECT, 'tracked-gone');
    const error = (await lost) as { status?: number };
    assert.equal(error.status, 404);
    assert.equal(followed.running.length, 0);
    followed.dispose();
  });
});
