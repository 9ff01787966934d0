// npm run bench:log — a build log of 50,000 lines (a requirements.txt of 25,000 packages, two lines each, built by
// the emulator), opened as the extension opens it: read page by page through the client (5,000 lines a page,
// exact nanosecond timestamps), each page formatted and joined into the document's text, as each append does.
// Reported: time to the first page (what the editor shows at once), time to the whole log, and the cost of the
// last append, against a reference measured in the same run: the same pages fetched as plain text and given to
// JSON.parse (what any client pays for the bytes). Goal: first page under 250 ms, and the whole log within 3× the
// reference. Scrolling itself is the editor's (a virtualised view of the text); the extension's part in it is
// the decorations, whose ranges are computed once per append and measured here too.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import JSZip from 'jszip';
import { buildLogQuery, UbiOpsClient } from '../src/api';
import { formatLogLine } from '../src/documents/logFormat';
import { start } from '../src/emulator';

const TOKEN = 'bench-token';
const PROJECT = 'demo-project';
const PACKAGES = 25_000;
const PAGE = 5000;
const ROUNDS = 3;

const ms = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e6;
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ubiops-bench-log-'));
  const emulator = await start({ port: 0, tokens: [TOKEN], buildSeconds: 0 });
  const client = new UbiOpsClient({ host: emulator.url, token: TOKEN });
  try {
    await client.createEnvironment(PROJECT, { name: 'long-log', base_environment: 'python3-12' });
    const zip = new JSZip();
    zip.file(
      'environment_package/requirements.txt',
      Array.from({ length: PACKAGES }, (_, i) => `package-${i}==1.0.${i}`).join('\n'),
    );
    const file = path.join(dir, 'long-log.zip');
    await fs.writeFile(file, await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
    const { build } = await client.uploadRevision(PROJECT, 'long-log', file);
    const query = buildLogQuery('long-log', build);

    const opens: number[] = [];
    const firsts: number[] = [];
    const appends: number[] = [];
    const references: number[] = [];
    let lines = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Reference: the same pages as plain text, JSON.parse'd.
      let started = process.hrtime.bigint();
      let startNs: string | undefined;
      for (;;) {
        const search = new URLSearchParams({ query, limit: String(PAGE), ...(startNs ? { start: startNs } : {}) });
        const text = await fetch(`${emulator.url}/projects/${PROJECT}/logs?${search.toString()}`, {
          headers: { Authorization: `Token ${TOKEN}` },
        }).then((r) => r.text());
        const page = JSON.parse(text) as unknown[];
        if (page.length < PAGE) break;
        // UbiOps' client's way: the last timestamp plus one (its lines have distinct nanoseconds here).
        const last = /^"timestamp":(\d+)/.exec(text.slice(text.lastIndexOf('"timestamp":')))?.[1];
        startNs = last === undefined ? undefined : (BigInt(last) + 1n).toString();
      }
      references.push(ms(started));

      // The extension's way: the reader's pages, formatted, the document text rebuilt after each page.
      started = process.hrtime.bigint();
      const document: string[] = [];
      const errors: number[] = [];
      let text = '';
      let first = 0;
      let lastAppend = 0;
      await client.buildLogReader(PROJECT, 'long-log', build).rest(undefined, (page) => {
        const appendStarted = process.hrtime.bigint();
        for (const line of page) {
          if (line.metadata.level === 'error') errors.push(document.length);
          document.push(formatLogLine(line));
        }
        text = document.join('\n');
        lastAppend = ms(appendStarted);
        if (!first) first = ms(started);
      });
      opens.push(ms(started));
      firsts.push(first);
      appends.push(lastAppend);
      lines = document.length;
      if (text.length === 0) throw new Error('empty log');
    }
    const open = median(opens);
    const reference = median(references);
    console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
    console.log(
      `build log: ${lines} lines in pages of ${PAGE}; first page shown after ${median(firsts).toFixed(0)} ms, whole log ` +
        `${open.toFixed(0)} ms (median of ${ROUNDS}); reference (same pages, fetch + JSON.parse) ${reference.toFixed(0)} ms; ` +
        `ratio ${(open / reference).toFixed(2)}; last append (format + join of ${lines} lines) ${median(appends).toFixed(0)} ms; ` +
        `goal first page < 250 ms and ratio < 3: ${median(firsts) < 250 && open / reference < 3 ? 'PASS' : 'MISS'}`,
    );
  } finally {
    await client.close();
    await emulator.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

void main();
