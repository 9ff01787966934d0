// The scan and the packer on many files: time and peak memory for a folder of --files (default 200,000) small files
// in one folder, the case issue 14 measured at 1.9 GB during the scan. Each measure runs in a child process of its
// own; memory is the peak RSS above the child's RSS just before the call (the peak reset through
// /proc/self/clear_refs) and the child's whole peak RSS.
//   npm run bench:scan
//   npm run bench:scan -- --files 50000
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { packFolder, scanFolder } from '../src/archive/pack';
import { argument } from './common';

const GOAL_MB = 256;

async function main(): Promise<void> {
  const at = process.argv.indexOf('--child');
  if (at >= 0) return child(process.argv[at + 1], process.argv[at + 2], Number(process.argv[at + 3]));

  const files = Number(argument('--files') ?? 200_000);
  const work = await mkdtemp(path.join(os.tmpdir(), 'ubiops-bench-scan-'));
  try {
    const folder = path.join(work, 'env');
    await mkdir(path.join(folder, 'many'), { recursive: true });
    await writeFile(path.join(folder, 'requirements.txt'), 'numpy\n');
    // A few rules, a negation among them, so that every file is tested against each.
    await writeFile(path.join(folder, '.ubiops-ignore'), '*.log\ntmp/\n!keep.log\n');
    for (let i = 0; i < files; i += 1000) {
      await Promise.all(
        Array.from({ length: Math.min(1000, files - i) }, (_, j) =>
          writeFile(path.join(folder, 'many', `file-${String(i + j).padStart(7, '0')}.py`), `x = ${i + j}\n`),
        ),
      );
    }
    console.log(
      `folder: ${files.toLocaleString('en-US')} files in one folder; Node ${process.version}, ${os.cpus().length} cores`,
    );
    for (const kind of ['scan', 'pack']) {
      const output = execFileSync(
        process.execPath,
        [...process.execArgv, __filename, '--child', kind, folder, String(files + 10)],
        { encoding: 'utf8' },
      );
      const { seconds, peakMB, totalMB, packed } = JSON.parse(output.trim().split('\n').pop()!) as Record<
        string,
        number
      >;
      const verdict = peakMB < GOAL_MB ? 'PASS' : 'MISS';
      console.log(
        `${kind}: ${packed.toLocaleString('en-US')} files in ${seconds.toFixed(1)} s, +${peakMB.toFixed(0)} MB peak RSS above baseline ` +
          `(${totalMB.toFixed(0)} MB in all; goal < ${GOAL_MB} MB above baseline) ${verdict}`,
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function child(kind: string, folder: string, maxFiles: number): Promise<void> {
  const field = (name: string) =>
    Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) / 1024;
  writeFileSync('/proc/self/clear_refs', '5');
  const baseline = field('VmRSS');
  const start = process.hrtime.bigint();
  let packed: number;
  if (kind === 'scan') {
    packed = (await scanFolder(folder, { maxFiles })).files.length;
  } else {
    const out = path.join(path.dirname(folder), 'out.zip');
    packed = (await packFolder(folder, { maxFiles, outFile: out })).manifest.files.length;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(JSON.stringify({ seconds, peakMB: field('VmHWM') - baseline, totalMB: field('VmHWM'), packed }));
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
