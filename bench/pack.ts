// Packs a generated folder with our packer, with Info-ZIP `zip -r -6` and with jszip (the baseline), each in a
// child process of its own so peak memory is that packer's alone, and checks each zip reads back with its CRCs.
//   npm run bench                  about 100 MB: 5,000 small source-like files and 4 large incompressible ones
//   npm run bench -- --size-mb 1024 --skip-jszip
// Time is the median of --runs (default 3) for zip and ours, one run for jszip. For our packer and jszip, time and
// memory cover the pack call only, from a process that has already loaded its code: that is the extension's case.
// Memory: peak RSS above the process's RSS just before packing (the peak is reset through /proc/self/clear_refs,
// so start-up does not count). `zip` is measured whole by /usr/bin/time, peak RSS included.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import JSZip from 'jszip';
import { extractZip } from '../src/archive/extract';
import { packFolder } from '../src/archive/pack';
import { generate, SMALL_FILES } from './folder';
import { argument } from './common';

const MB = 1024 * 1024;
const GOAL_TIME_RATIO = 1.0;
const GOAL_SIZE_RATIO = 1.02;
const GOAL_MEMORY_MB = 64;

interface Measure {
  seconds: number;
  peakMB: number;
  zipBytes: number;
}

async function main(): Promise<void> {
  const child = argument('--child');
  if (child)
    return runChild(
      child,
      process.argv[process.argv.indexOf('--child') + 2],
      process.argv[process.argv.indexOf('--child') + 3],
    );

  const sizeMb = Number(argument('--size-mb') ?? 100);
  const runs = Number(argument('--runs') ?? 3);
  const skipJszip = process.argv.includes('--skip-jszip');
  const work = await mkdtemp(path.join(os.tmpdir(), 'ubiops-bench-'));
  try {
    // Named like the zip's top folder so that `zip -r` from the parent writes the same entry names as ours.
    const folder = path.join(work, 'environment_package');
    const generated = await generate(folder, sizeMb);
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    console.log(
      `folder: ${generated}; ${os.cpus().length} cores (${cpu}), Node ${process.version}, ${os.platform()} ${os.release()}`,
    );

    const zipRuns: Measure[] = [];
    const ourRuns: Measure[] = [];
    for (let i = 0; i < runs; i++) {
      zipRuns.push(runZip(folder, path.join(work, `zip-${i}.zip`)));
      ourRuns.push(runNode('ours', folder, path.join(work, `ours-${i}.zip`)));
    }
    const zip = median(zipRuns);
    const ours = median(ourRuns);
    const jszip = skipJszip ? undefined : runNode('jszip', folder, path.join(work, 'jszip.zip'));

    for (const [name, file] of [
      ['ours', 'ours-0.zip'],
      ['zip', 'zip-0.zip'],
      ...(jszip ? [['jszip', 'jszip.zip']] : []),
    ] as const) {
      console.log(`check: ${name} ${verify(path.join(work, file), SMALL_FILES + 4 + 1)}`);
    }

    const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
    const timeRatio = ours.seconds / zip.seconds;
    const sizeRatio = ours.zipBytes / zip.zipBytes;
    console.log(
      `time:   zip -r -6 ${zip.seconds.toFixed(2)} s, ours ${ours.seconds.toFixed(2)} s, ratio ${timeRatio.toFixed(2)} (goal ≤ ${GOAL_TIME_RATIO.toFixed(2)}) ${verdict(timeRatio <= GOAL_TIME_RATIO)}`,
    );
    console.log(
      `size:   zip -r -6 ${(zip.zipBytes / MB).toFixed(1)} MB, ours ${(ours.zipBytes / MB).toFixed(1)} MB, ratio ${sizeRatio.toFixed(3)} (goal ≤ ${GOAL_SIZE_RATIO}) ${verdict(sizeRatio <= GOAL_SIZE_RATIO)}`,
    );
    console.log(
      `memory: zip -r -6 ${zip.peakMB.toFixed(1)} MB peak RSS, ours +${ours.peakMB.toFixed(1)} MB above baseline (goal < ${GOAL_MEMORY_MB} MB) ${verdict(ours.peakMB < GOAL_MEMORY_MB)}`,
    );
    if (jszip) {
      console.log(
        `jszip:  streamed files, DEFLATE 6: ${jszip.seconds.toFixed(2)} s (ratio ${(jszip.seconds / zip.seconds).toFixed(2)} ${verdict(jszip.seconds / zip.seconds <= GOAL_TIME_RATIO)}), ` +
          `size ratio ${(jszip.zipBytes / zip.zipBytes).toFixed(3)}, +${jszip.peakMB.toFixed(1)} MB above baseline ${verdict(jszip.peakMB < GOAL_MEMORY_MB)}`,
      );
    }
    const reading = runNode('jszip-read', path.join(work, 'ours-0.zip'), path.join(work, 'read-jszip'));
    const extracting = runNode('extract', path.join(work, 'ours-0.zip'), path.join(work, 'read-ours'));
    console.log(
      `read:   JSZip.loadAsync of our zip ${reading.seconds.toFixed(2)} s, +${reading.peakMB.toFixed(1)} MB (before inflating anything); ` +
        `extractZip ${extracting.seconds.toFixed(2)} s, +${extracting.peakMB.toFixed(1)} MB (everything inflated, CRCs checked)`,
    );
  } finally {
    if (!process.argv.includes('--keep')) await rm(work, { recursive: true, force: true });
    else console.log(`kept ${work}`);
  }
}

/** About 5,000 source-like files (compressible about 4×, like code) and four incompressible files for the rest. */
function runZip(folder: string, out: string): Measure {
  const result = spawnSync(
    '/usr/bin/time',
    ['-f', '%e %M', '/usr/bin/zip', '-r', '-6', '-q', out, path.basename(folder)],
    {
      cwd: path.dirname(folder),
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`zip failed: ${result.stderr}`);
  const [seconds, kb] = result.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  // /usr/bin/time has 10 ms resolution; time the zip run itself for a finer figure would need its own wrapper.
  return { seconds: seconds, peakMB: kb / 1024, zipBytes: statSync(out).size };
}

function runNode(kind: string, input: string, out: string): Measure {
  const output = execFileSync(process.execPath, [...process.execArgv, __filename, '--child', kind, input, out], {
    encoding: 'utf8',
  });
  return JSON.parse(output.trim().split('\n').pop()!) as Measure;
}

/** `unzip -t` if it is installed, else our extractZip (which checks every CRC); both must find every entry. */
function verify(zipPath: string, files: number): string {
  if (existsSync('/usr/bin/unzip')) {
    const test = spawnSync('/usr/bin/unzip', ['-tq', zipPath], { encoding: 'utf8' });
    const listing = spawnSync('/usr/bin/unzip', ['-Z1', zipPath], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => l && !l.endsWith('/'));
    const ok = test.status === 0 && listing.length === files;
    return `${ok ? 'OK' : 'FAILED'}: unzip -t says "${test.stdout.trim()}", ${listing.length} files`;
  }
  return 'unzip not installed; skipped (extractZip checks CRCs in the read line)';
}

// ---- children ----

function memory(): { reset(): void; peakAboveBaselineMB(): number } {
  const status = () => readFileSync('/proc/self/status', 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status())?.[1] ?? NaN) / 1024;
  let baseline = 0;
  let viaProc = true;
  return {
    reset() {
      try {
        writeFileSync('/proc/self/clear_refs', '5');
        baseline = field('VmRSS');
      } catch {
        viaProc = false;
        baseline = process.resourceUsage().maxRSS / 1024;
      }
    },
    peakAboveBaselineMB: () => (viaProc ? field('VmHWM') : process.resourceUsage().maxRSS / 1024) - baseline,
  };
}

async function runChild(kind: string, input: string, out: string): Promise<void> {
  const meter = memory();
  globalThis.gc?.();
  meter.reset();
  const start = process.hrtime.bigint();
  if (kind === 'ours') {
    await packFolder(input, { outFile: out });
  } else if (kind === 'jszip') {
    await packWithJszip(input, out);
  } else if (kind === 'jszip-read') {
    const zip = await JSZip.loadAsync(readFileSync(input));
    if (Object.keys(zip.files).length === 0) throw new Error('empty');
  } else if (kind === 'extract') {
    await extractZip(input, out);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const peakMB = meter.peakAboveBaselineMB();
  const zipBytes = kind === 'ours' || kind === 'jszip' ? statSync(out).size : 0;
  console.log(JSON.stringify({ seconds, peakMB, zipBytes }));
}

/** jszip as the issue measured it: every file added as a stream, DEFLATE 6, generateNodeStream with streamFiles. */
async function packWithJszip(folder: string, out: string): Promise<void> {
  const zip = new JSZip();
  const top = path.basename(folder);
  const walk = (dir: string, rel: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(abs, `${rel}${entry.name}/`);
      else zip.file(`${rel}${entry.name}`, lazyStream(abs), { binary: true });
    }
  };
  walk(folder, `${top}/`);
  await pipeline(
    zip.generateNodeStream({
      type: 'nodebuffer',
      streamFiles: true,
      compression: 'DEFLATE',
      compressionOptions: { level: 6 },
    }) as unknown as Readable,
    createWriteStream(out),
  );
}

/** Opens the file only when jszip first reads it: 5,000 open streams at once would run out of descriptors. */
function lazyStream(file: string): Readable {
  let inner: Readable | undefined;
  const outer: Readable = new Readable({
    read() {
      if (inner) {
        inner.resume();
        return;
      }
      inner = createReadStream(file);
      inner.on('data', (chunk) => {
        if (!outer.push(chunk)) inner!.pause();
      });
      inner.on('end', () => outer.push(null));
      inner.on('error', (error) => outer.destroy(error));
    },
  });
  return outer;
}

function median(runs: Measure[]): Measure {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  const middle = sorted[Math.floor(sorted.length / 2)];
  return { ...middle, peakMB: Math.max(...runs.map((r) => r.peakMB)) };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
