import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { Emulator } from '../../../src/emulator';
import {
  call,
  createEnvironment,
  GOOD_FILES,
  PROJECT,
  sleep,
  startEmulator,
  TOKEN,
  upload,
  waitFor,
  zipOf,
} from './helpers';
import { withTempDir } from '../../helpers/tempDir';

interface RawLine {
  /** The timestamp's exact digits, read from the answer's text. */
  ns: bigint;
  timestamp_str: string;
  log: string;
  metadata: { environment_name: string; environment_build_id: string; level: string; system: boolean };
}

const q = (environment: string, build?: string): string =>
  build === undefined
    ? `| environment_name=\`${environment}\``
    : `| environment_name=\`${environment}\` and environment_build_id=\`${build}\``;

/** GET …/logs; timestamps read from the text, so that digits past 2^53 are checked too. */
async function logs(
  emulator: Emulator,
  params: Record<string, string>,
): Promise<{ status: number; lines: RawLine[]; text: string }> {
  const search = new URLSearchParams(params).toString();
  const answer = await call<RawLine[]>(emulator, 'GET', `/projects/${PROJECT}/logs?${search}`);
  if (answer.status !== 200) {
    return { status: answer.status, lines: [], text: answer.text };
  }
  const stamps = [...answer.text.matchAll(/"timestamp":(\d+),/g)].map((m) => BigInt(m[1]));
  assert.equal(stamps.length, answer.body.length, 'every line has an integer timestamp');
  return { status: 200, lines: answer.body.map((line, i) => ({ ...line, ns: stamps[i] })), text: answer.text };
}

async function uploadTo(
  emulator: Emulator,
  environment: string,
  files: Record<string, string>,
): Promise<{ revision: string; build: string }> {
  await createEnvironment(emulator, environment);
  const answer = await upload(emulator, environment, await zipOf(files));
  assert.equal(answer.status, 201, answer.text);
  return answer.body;
}

describe('emulator: build logs', function () {
  let emulator: Emulator;

  before(async () => {
    emulator = await startEmulator();
  });
  after(async () => emulator.close());

  it('logs a failed build with error lines that name the file, the line and the problem', async () => {
    const { build } = await uploadTo(emulator, 'log-fail', { 'requirements.txt': 'numpy==1.26.4\nscipy ==> 1.2\n' });
    const { lines } = await logs(emulator, { query: q('log-fail', build) });
    const errors = lines.filter((l) => l.metadata.level === 'error');
    assert.ok(errors.length >= 2, JSON.stringify(lines.map((l) => l.log)));
    assert.match(errors[0].log, /^ERROR: requirements\.txt, line 2: .*==>/);
    assert.match(errors.at(-1)?.log ?? '', /^Build failed: Invalid dependency files/);
    assert.ok(
      lines.every((l) => l.metadata.environment_name === 'log-fail' && l.metadata.environment_build_id === build),
    );
    assert.ok(
      lines.some((l) => l.metadata.system === true) && lines.every((l) => typeof l.metadata.system === 'boolean'),
    );
    // pip never collected anything: it stops at the broken file.
    assert.ok(!lines.some((l) => l.log.startsWith('Collecting')));
  });

  it('logs a successful build: base image, apt packages, pip per requirement; exact, increasing nanoseconds', async () => {
    const { build } = await uploadTo(emulator, 'log-ok', GOOD_FILES);
    const { lines, text } = await logs(emulator, { query: q('log-ok', build) });
    const texts = lines.map((l) => l.log);
    assert.ok(texts.some((t) => /^Pulling base image python3-12/.test(t)));
    assert.ok(texts.includes('Setting up libgomp1 ...'));
    assert.ok(texts.includes('Collecting numpy==1.26.4') && texts.includes('Collecting requests==2.32.3'));
    assert.ok(texts.some((t) => t.startsWith('Successfully installed numpy-1.26.4 requests-2.32.3')));
    assert.equal(texts.at(-1), 'Build succeeded.');
    for (let i = 1; i < lines.length; i++) {
      assert.ok(lines[i].ns > lines[i - 1].ns, `line ${i} after line ${i - 1}`);
    }
    // Past 2^53, written as integers, and lines one nanosecond apart exist.
    assert.ok(lines[0].ns > 2n ** 53n);
    assert.ok(lines.some((l, i) => i > 0 && l.ns - lines[i - 1].ns === 1n));
    assert.ok(!/"timestamp":"/.test(text));
    const first = lines[0];
    assert.equal(
      first.timestamp_str.slice(0, 26),
      new Date(Number(first.ns / 1_000_000n)).toISOString().slice(0, 23) +
        String((first.ns % 1_000_000n) / 1000n).padStart(3, '0'),
    );
  });

  it('takes start as nanoseconds or ISO 8601 (inclusive) and end (exclusive); limit defaults to 1000', async () => {
    const { build } = await uploadTo(emulator, 'log-range', GOOD_FILES);
    const all = (await logs(emulator, { query: q('log-range', build) })).lines;
    const mid = all[3];
    const fromNs = (await logs(emulator, { query: q('log-range', build), start: mid.ns.toString() })).lines;
    assert.deepEqual(
      fromNs.map((l) => l.ns),
      all.slice(3).map((l) => l.ns),
    );
    const after = (await logs(emulator, { query: q('log-range', build), start: (mid.ns + 1n).toString() })).lines;
    assert.deepEqual(
      after.map((l) => l.ns),
      all.slice(4).map((l) => l.ns),
    );
    const upTo = (await logs(emulator, { query: q('log-range', build), end: mid.ns.toString() })).lines;
    assert.deepEqual(
      upTo.map((l) => l.ns),
      all.slice(0, 3).map((l) => l.ns),
    );
    // ISO 8601 with nanoseconds, and with an offset, name the same instant.
    const ms = mid.ns / 1_000_000n;
    const iso = `${new Date(Number(ms)).toISOString().slice(0, 19)}.${String(mid.ns % 1_000_000_000n).padStart(9, '0')}Z`;
    assert.deepEqual((await logs(emulator, { query: q('log-range', build), start: iso })).lines.length, all.length - 3);
    const shifted = new Date(Number(ms) + 2 * 3600_000).toISOString().slice(0, 19);
    const withOffset = `${shifted}.${String(mid.ns % 1_000_000_000n).padStart(9, '0')}+02:00`;
    assert.deepEqual(
      (await logs(emulator, { query: q('log-range', build), start: withOffset })).lines.length,
      all.length - 3,
    );
    assert.deepEqual(
      (await logs(emulator, { query: q('log-range', build), limit: '2' })).lines.map((l) => l.ns),
      all.slice(0, 2).map((l) => l.ns),
    );
    const project = (await logs(emulator, {})).lines;
    assert.ok(
      project.some((l) => l.metadata.environment_name === 'web-scraper') &&
        project.some((l) => l.metadata.environment_build_id === build),
    );
  });

  it('serves the default 1000 and at most 5000 lines; other limits are 400s', async () => {
    const requirements = Array.from({ length: 700 }, (_, i) => `package-${i}==1.0.${i}`).join('\n');
    const { build } = await uploadTo(emulator, 'log-long', { 'requirements.txt': requirements });
    assert.equal((await logs(emulator, { query: q('log-long', build) })).lines.length, 1000);
    assert.ok((await logs(emulator, { query: q('log-long', build), limit: '5000' })).lines.length > 1400);
    for (const limit of ['0', '5001', '-1', 'ten', '2.5']) {
      const answer = await logs(emulator, { query: q('log-long', build), limit });
      assert.equal(answer.status, 400, `limit ${limit}`);
      assert.match(answer.text, /limit must be a whole number from 1 to 5000/);
    }
  });

  it("accepts UbiOps' query form and double quotes; answers 400 with the form for what it does not understand", async () => {
    const { build } = await uploadTo(emulator, 'log-query', GOOD_FILES);
    const exact = await logs(emulator, { query: q('log-query', build) });
    assert.ok(exact.lines.length > 5);
    const quoted = await logs(emulator, {
      query: `| environment_name="log-query" and environment_build_id="${build}"`,
    });
    assert.equal(quoted.lines.length, exact.lines.length);
    const byEnv = await logs(emulator, { query: q('log-query') });
    assert.equal(byEnv.lines.length, exact.lines.length);
    const errors = await logs(emulator, { query: `${q('log-query', build)} and level=\`error\`` });
    assert.equal(errors.lines.length, 0);
    assert.equal((await logs(emulator, { query: q('no-such-env') })).lines.length, 0);
    for (const bad of [
      'environment_name=`log-query`',
      '| env=`x`',
      '| environment_name=`x` or level=`error`',
      '{app="x"}',
      '| environment_name=x',
    ]) {
      const answer = await logs(emulator, { query: bad });
      assert.equal(answer.status, 400, bad);
      assert.match(JSON.parse(answer.text).error, /query/);
    }
    for (const start of ['yesterday', '2024-13-45T00:00:00Z', '12.5']) {
      const answer = await logs(emulator, { query: q('log-query', build), start });
      assert.equal(answer.status, 400, start);
      assert.match(answer.text, /start must be an ISO 8601/);
    }
    assert.equal((await call(emulator, 'GET', '/projects/no-such-project/logs')).status, 404);
    assert.equal((await call(emulator, 'GET', `/projects/${PROJECT}/logs`, { token: null })).status, 401);
  });

  it('has logs for the seeded builds: the failed one explains its failure, the cancelled one ends with it', async () => {
    const failed = (await logs(emulator, { query: q('web-scraper'), limit: '5000' })).lines;
    assert.ok(failed.some((l) => l.metadata.level === 'error' && /requirements\.txt, line 2/.test(l.log)));
    const cancelled = (await logs(emulator, { query: q('experiment') })).lines;
    assert.equal(cancelled.at(-1)?.log, 'Build cancelled.');
    const ok = (await logs(emulator, { query: q('data-science'), limit: '5000' })).lines;
    assert.ok(ok.filter((l) => l.log === 'Build succeeded.').length >= 4);
  });

  it('removes the logs with their environment', async () => {
    const { build } = await uploadTo(emulator, 'log-gone', GOOD_FILES);
    assert.ok((await logs(emulator, { query: q('log-gone', build) })).lines.length > 0);
    assert.equal((await call(emulator, 'DELETE', `/projects/${PROJECT}/environments/log-gone`)).status, 204);
    await createEnvironment(emulator, 'log-gone');
    assert.equal((await logs(emulator, { query: `| environment_build_id=\`${build}\`` })).lines.length, 0);
  });
});

describe("emulator: a running build's log", function () {
  this.timeout(30_000);

  it('grows while the build runs, never before its last line, and ends with the outcome', async () => {
    const seeded = await startEmulator({ buildSeconds: 1.5 });
    try {
      const { build } = await uploadTo(seeded, 'log-live', GOOD_FILES);
      const seen: bigint[] = [];
      const counts: number[] = [];
      let start: bigint | undefined;
      let status = 'queued';
      while (!['success', 'failed', 'cancelled'].includes(status)) {
        const page = await logs(seeded, {
          query: q('log-live', build),
          ...(start === undefined ? {} : { start: (start + 1n).toString() }),
        });
        for (const l of page.lines) {
          assert.ok(seen.length === 0 || l.ns > seen[seen.length - 1], 'new lines come after the last one served');
          seen.push(l.ns);
        }
        start = seen.at(-1) ?? start;
        counts.push(seen.length);
        const revs = await call<{ id: string }[]>(
          seeded,
          'GET',
          `/projects/${PROJECT}/environments/log-live/revisions`,
        );
        const builds = await call<{ status: string }[]>(
          seeded,
          'GET',
          `/projects/${PROJECT}/environments/log-live/revisions/${revs.body[0].id}/builds`,
        );
        status = builds.body[0].status;
        await sleep(100);
      }
      const rest = await logs(seeded, { query: q('log-live', build), start: ((start ?? 0n) + 1n).toString() });
      const all = await logs(seeded, { query: q('log-live', build) });
      assert.equal(seen.length + rest.lines.length, all.lines.length, 'resuming after the last line lost nothing');
      assert.ok(new Set(counts).size >= 3, `the log grew in steps: ${counts.join(',')}`);
      assert.equal(all.lines.at(-1)?.log, 'Build succeeded.');
    } finally {
      await seeded.close();
    }
  });

  it("ends a cancelled build's log with its cancellation and drops what it had not written", async () => {
    const emulator = await startEmulator({ buildSeconds: 30 });
    try {
      const { revision, build } = await uploadTo(emulator, 'log-cancel', GOOD_FILES);
      await waitFor(
        async () => (await logs(emulator, { query: q('log-cancel', build) })).lines.length > 0,
        5000,
        'the first line',
      );
      const cancel = await call(
        emulator,
        'PATCH',
        `/projects/${PROJECT}/environments/log-cancel/revisions/${revision}/builds/${build}`,
        {
          json: { status: 'cancelled' },
        },
      );
      assert.equal(cancel.status, 200);
      const lines = (await logs(emulator, { query: q('log-cancel', build) })).lines;
      assert.equal(lines.at(-1)?.log, 'Build cancelled.');
      assert.equal(lines.at(-1)?.metadata.level, 'warning');
      assert.ok(!lines.some((l) => l.log.startsWith('Collecting')), 'pip had not started');
    } finally {
      await emulator.close();
    }
  });

  it("serves a running build's lines when the wall clock is not the monotonic clock (stepped by NTP, say)", async () => {
    // An emulator process whose wall clock is an hour ahead of where it was when the process started, as after a
    // step at a machine's boot. The lines are stamped by the wall clock; "now" must be read from the same clock, or
    // no line of a running build is served until it ends.
    const step = 'data:text/javascript,const now = Date.now.bind(Date); Date.now = () => now() + 3600000;';
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        step,
        'src/emulator/cli.ts',
        '--port',
        '0',
        '--token',
        TOKEN,
        '--build-seconds',
        '30',
      ],
      { cwd: path.resolve(__dirname, '../../..'), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitFor(async () => /serving http:\/\/127\.0\.0\.1:\d+\/v2\.1/.test(out), 15_000, `the emulator: ${out}`);
      const stepped = { url: /serving (http:\/\/127\.0\.0\.1:\d+\/v2\.1)/.exec(out)![1] } as Emulator;
      const { build } = await uploadTo(stepped, 'log-stepped', GOOD_FILES);
      await waitFor(
        async () => (await logs(stepped, { query: q('log-stepped', build) })).lines.length > 0,
        5000,
        'the first line of a running build',
      );
    } finally {
      child.kill('SIGKILL');
    }
  });

  it("serves every line logDelaySeconds after its time, a finished build's too", async () => {
    const delayed = await startEmulator({ logDelaySeconds: 1 }); // buildSeconds 0: built before the upload's answer
    try {
      const { build } = await uploadTo(delayed, 'log-late', GOOD_FILES);
      const early = await logs(delayed, { query: q('log-late', build) });
      assert.ok(!early.lines.some((l) => l.log === 'Build succeeded.'), 'the end of the log is not delivered yet');
      await waitFor(
        async () => (await logs(delayed, { query: q('log-late', build) })).lines.at(-1)?.log === 'Build succeeded.',
        3000,
        'the late end of the log',
      );
    } finally {
      await delayed.close();
    }
  });

  it('keeps logs across a restart with a data folder', async () => {
    await withTempDir('ubiops-logs-data-', async (dataDir) => {
      let emulator = await startEmulator({ dataDir });
      const { build } = await uploadTo(emulator, 'log-kept', GOOD_FILES);
      const before = (await logs(emulator, { query: q('log-kept', build) })).text;
      await emulator.close();
      emulator = await startEmulator({ dataDir });
      try {
        assert.equal((await logs(emulator, { query: q('log-kept', build) })).text, before);
      } finally {
        await emulator.close();
      }
    });
  });
});
