import assert from 'node:assert/strict';
import {
  BuildLogReader,
  buildLogQuery,
  type ListLogsOptions,
  type LogLine,
  nanosecondsFromText,
  parseLogsText,
  toLogLine,
  UbiOpsApiError,
} from '../../../src/api';
import { formatLogLine } from '../../../src/documents/logFormat';
import { DEMO_PROJECT as PROJECT, useEmulatorSuite } from '../../helpers/emulator';

const TOKEN = 'logs-token';

describe('UbiOpsClient: logs against the emulator', function () {
  const lab = useEmulatorSuite({ token: TOKEN, tempPrefix: 'ubiops-logs-client-' });
  let build: string;

  before(async () => {
    const requirements = Array.from({ length: 40 }, (_, i) => `pkg-${i}==2.${i}`).join('\n');
    build = (await lab.upload('paged', { 'requirements.txt': requirements })).build;
  });

  it("reads timestamps past 2^53 exactly, with the query UbiOps' client sends", async () => {
    const lines = await lab.client.listLogs(PROJECT, { query: buildLogQuery('paged', build), limit: 5000 });
    assert.ok(lines.length > 80);
    const raw = await fetch(
      `${lab.emulator.url}/projects/${PROJECT}/logs?${new URLSearchParams({ query: buildLogQuery('paged', build), limit: '5000' }).toString()}`,
      {
        headers: { Authorization: `Token ${TOKEN}` },
      },
    ).then((r) => r.text());
    const exact = [...raw.matchAll(/"timestamp":(\d+)/g)].map((m) => BigInt(m[1]));
    assert.deepEqual(
      lines.map((l) => l.timestamp),
      exact,
    );
    // JSON.parse would have merged lines one nanosecond apart.
    const rounded = (JSON.parse(raw) as { timestamp: number }[]).map((l) => l.timestamp);
    assert.ok(new Set(rounded).size < rounded.length, 'the test data has timestamps a number cannot tell apart');
    assert.equal(new Set(lines.map((l) => l.timestamp)).size, lines.length);
    assert.equal(lines[0].metadata.environment_build_id, build);
    assert.equal(lab.events[0].path.split('?')[0], `/projects/${PROJECT}/logs`);
  });

  it('sends start and end as nanoseconds, a Date or ISO text, and limit', async () => {
    const all = await lab.client.listLogs(PROJECT, { query: buildLogQuery('paged', build), limit: 5000 });
    const from = await lab.client.listLogs(PROJECT, {
      query: buildLogQuery('paged', build),
      start: all[10].timestamp,
      end: all[20].timestamp,
    });
    assert.deepEqual(
      from.map((l) => l.log),
      all.slice(10, 20).map((l) => l.log),
    );
    const byDate = await lab.client.listLogs(PROJECT, {
      query: buildLogQuery('paged', build),
      start: new Date(0),
      limit: 3,
    });
    assert.deepEqual(
      byDate.map((l) => l.timestamp),
      all.slice(0, 3).map((l) => l.timestamp),
    );
    const error = await lab.client.listLogs(PROJECT, { query: 'environment_name=`paged`' }).then(
      () => assert.fail('expected a 400'),
      (e: unknown) => e as UbiOpsApiError,
    );
    assert.equal(error.status, 400);
    assert.match(error.message, /query must start with "\|"/);
  });

  it("pages through a build's log at every page size without losing or repeating a line", async () => {
    const all = await lab.client.listLogs(PROJECT, { query: buildLogQuery('paged', build), limit: 5000 });
    for (const limit of [1, 2, 3, 7, 50]) {
      lab.events = [];
      const read = await lab.client.buildLogReader(PROJECT, 'paged', build, limit).rest();
      assert.deepEqual(
        read.map((l) => l.timestamp),
        all.map((l) => l.timestamp),
        `limit ${limit}`,
      );
      assert.equal(lab.events.length, Math.floor(all.length / limit) + 1, `one request per page at limit ${limit}`);
    }
  });
});

describe('BuildLogReader at nanosecond boundaries', () => {
  /** A server's paging over fixed lines, as the endpoint defines it (start inclusive, limit). */
  function server(lines: LogLine[]): { list: (o: ListLogsOptions) => Promise<LogLine[]>; calls: ListLogsOptions[] } {
    const calls: ListLogsOptions[] = [];
    return {
      calls,
      list: async (options) => {
        calls.push(options);
        const startNs = options.start as bigint | undefined;
        return lines.filter((l) => startNs === undefined || l.timestamp >= startNs).slice(0, options.limit);
      },
    };
  }
  const line = (ns: bigint, log: string): LogLine => ({ timestamp: ns, timestamp_str: '', log, metadata: {} });
  const base = 1_795_384_491_760_000_000n;

  it('keeps lines that share the last nanosecond of a page, where "last plus one" would lose them', async () => {
    const lines = [
      line(base, 'a'),
      line(base + 1n, 'b'),
      line(base + 1n, 'c'),
      line(base + 1n, 'd'),
      line(base + 2n, 'e'),
      line(base + 2n, 'f'),
    ];
    for (const limit of [1, 2, 3, 4, 5]) {
      const { list } = server(lines);
      const read = await new BuildLogReader(list, 'q', limit).rest();
      assert.deepEqual(
        read.map((l) => l.log),
        ['a', 'b', 'c', 'd', 'e', 'f'],
        `limit ${limit}`,
      );
    }
  });

  it('resumes where it stopped as a log grows, and asks from the last timestamp', async () => {
    const lines = [line(base, 'a'), line(base + 5n, 'b')];
    const { list, calls } = server(lines);
    const reader = new BuildLogReader(list, 'q', 10);
    assert.deepEqual(
      (await reader.next()).lines.map((l) => l.log),
      ['a', 'b'],
    );
    assert.deepEqual((await reader.next()).lines, []);
    lines.push(line(base + 5n, 'c'), line(base + 9n, 'd'));
    assert.deepEqual(
      (await reader.next()).lines.map((l) => l.log),
      ['c', 'd'],
    );
    assert.equal(calls[0].start, undefined);
    assert.equal(calls[1].start, base + 5n);
    assert.equal(calls[2].start, base + 5n);
  });

  it('parses exact integers only where they are timestamps, and falls back to timestamp_str', () => {
    const text =
      '[{"timestamp": 1795384491760000001, "timestamp_str": "x", "log": "\\"timestamp\\":12345678901234567891,", "metadata": {}}]';
    const parsed = (parseLogsText(text) as unknown[]).map(toLogLine);
    assert.equal(parsed[0]?.timestamp, 1795384491760000001n);
    assert.equal(parsed[0]?.log, '"timestamp":12345678901234567891,');
    const fromText = toLogLine({ timestamp_str: '2026-11-22T21:54:51.760000123Z', log: 'x' });
    assert.equal(fromText?.timestamp, 1795384491760000123n);
    assert.equal(nanosecondsFromText('2026-11-22T23:54:51.5+02:00'), 1795384491500000000n);
    assert.equal(toLogLine({ log: 'no time' }), undefined);
  });
});

describe('formatLogLine', () => {
  it('gives one document line with time and level, without escapes or control characters', () => {
    const line = formatLogLine({
      timestamp: 1_795_384_491_760_123_456n,
      timestamp_str: '',
      log: '\u001b[31mred\u001b[0m\r\nsecond\u0007 line\u2028',
      metadata: { level: 'error' },
    });
    assert.match(line, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.760 {2}ERROR {2}red ⏎ second line$/);
    assert.match(
      formatLogLine({ timestamp: 0n, timestamp_str: '', log: 'x', metadata: { level: 'warning' } }),
      / {2}WARN {3}x$/,
    );
    assert.match(formatLogLine({ timestamp: 0n, timestamp_str: '', log: 'x', metadata: {} }), / {2}INFO {3}x$/);
  });
});
