// npm run bench:transfer — uploading and downloading a revision's zip, our client against curl, on loopback.
//   npm run bench:transfer                    a 500 MB zip of incompressible content, 3 runs of each (min/median/max)
//   npm run bench:transfer -- --size-mb 200 --runs 1
// The emulator runs in a process of its own (builds take an hour, so no build reads the zip during the run); each
// transfer runs in a child process of its own, so that peak memory is that transfer's alone:
//   ours:  UbiOpsClient.uploadRevision / downloadRevision, timed around the call in a process that has loaded its
//          code and made one request (the extension's case); memory is the peak RSS above the RSS just before the
//          call (VmHWM, reset through /proc/self/clear_refs);
//   curl:  `curl -F file=@zip -H 'Authorization: Token …'` and `curl -o`, timed by curl (%{time_total}); its peak RSS
//          whole, from /usr/bin/time.
// Goals: at least 0.9 of curl's throughput; under 64 MB above baseline. The emulator's cost (busboy writing the
// upload to disk, streaming the download from disk) is in both sides' figures alike.
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { UbiOpsClient } from '../src/api';
import { argument, curlUploadArguments, median, memoryProbe, minMedianMax, startEmulator } from './common';

const MB = 1024 * 1024;
const TOKEN = 'bench-transfer-token';
const PROJECT = 'demo-project';
const GOAL_RATIO = 0.9;
const GOAL_MEMORY_MB = 64;

interface Measure {
  seconds: number;
  peakMB: number;
  /** CPU time (user + system) of the transferring process, and of the emulator, during the transfer. */
  cpuSeconds: number;
  emulatorCpuSeconds?: number;
}

/** A child: one transfer with our client; prints its Measure as JSON. */
async function child(kind: string, url: string, environment: string, file: string): Promise<void> {
  const client = new UbiOpsClient({ host: url, token: TOKEN });
  try {
    await client.getStatus(); // code loaded, connection open: as in the extension, where the tree was browsed
    const revision = argument('--revision');
    global.gc?.();
    const memory = memoryProbe();
    memory.start();
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    if (kind === 'upload') {
      await client.uploadRevision(PROJECT, environment, file);
    } else {
      await client.downloadRevision(PROJECT, environment, revision!, { filePath: file });
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    const measure: Measure = { seconds, peakMB: memory.peakAboveMB(), cpuSeconds: (used.user + used.system) / 1e6 };
    process.stdout.write(`${JSON.stringify(measure)}\n`);
  } finally {
    await client.close();
  }
}

function runOurs(
  kind: 'upload' | 'download',
  url: string,
  environment: string,
  file: string,
  revision?: string,
): Measure {
  const args = [
    ...process.execArgv,
    '--expose-gc',
    __filename,
    '--child',
    kind,
    url,
    environment,
    file,
    ...(revision ? ['--revision', revision] : []),
  ];
  const output = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1024 * 1024 });
  return JSON.parse(output.trim().split('\n').pop()!) as Measure;
}

function runCurl(args: string[]): Measure {
  const result = spawnSync(
    '/usr/bin/time',
    ['-f', 'peak %M cpu %U %S', 'curl', '-sS', '--fail', '-w', 'total %{time_total}\n', ...args],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`curl failed: ${result.stderr}`);
  const seconds = Number(/total ([\d.]+)/.exec(result.stdout)![1]);
  const [, kb, user, system] = /peak (\d+) cpu ([\d.]+) ([\d.]+)/.exec(result.stderr)!;
  return { seconds, peakMB: Number(kb) / 1024, cpuSeconds: Number(user) + Number(system) };
}

/** A zip of `sizeMb` of random bytes (stored, as any packer stores what does not compress) and a requirements.txt. */
async function makeZip(file: string, sizeMb: number): Promise<void> {
  // Info-ZIP writes it (-0: stored), so the file is an ordinary zip whatever our packer does.
  const folder = path.join(path.dirname(file), 'environment_package');
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'requirements.txt'), 'numpy==1.26.4\n');
  const out = createWriteStream(path.join(folder, 'data.bin'));
  for (let written = 0; written < sizeMb; written++) {
    if (!out.write(randomBytes(MB))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  execFileSync('/usr/bin/zip', ['-r', '-0', '-q', file, 'environment_package'], { cwd: path.dirname(file) });
  await rm(folder, { recursive: true, force: true });
}

async function main(): Promise<void> {
  if (argument('--child')) {
    const at = process.argv.indexOf('--child');
    return child(process.argv[at + 1], process.argv[at + 2], process.argv[at + 3], process.argv[at + 4]);
  }
  const sizeMb = Number(argument('--size-mb') ?? 500);
  const runs = Number(argument('--runs') ?? 3);
  const work = await mkdtemp(path.join(os.tmpdir(), 'ubiops-bench-transfer-'));
  const emulator = await startEmulator(path.join(work, 'emulator-data'), TOKEN);
  const client = new UbiOpsClient({ host: emulator.url, token: TOKEN });
  try {
    const zip = path.join(work, 'environment.zip');
    await makeZip(zip, sizeMb);
    const bytes = statSync(zip).size;
    const uploads: Record<'ours' | 'curl', Measure[]> = { ours: [], curl: [] };
    const downloads: Record<'ours' | 'curl', Measure[]> = { ours: [], curl: [] };
    for (let run = 0; run < runs; run++) {
      // A fresh environment per run: the previous runs' zips go with it.
      const environment = `bench-transfer-${run}`;
      await client.createEnvironment(PROJECT, { name: environment, base_environment: 'python3-12' });
      const revisions = `${emulator.url}/projects/${PROJECT}/environments/${environment}/revisions`;
      const curlUpload = () => runCurl(curlUploadArguments(zip, TOKEN, revisions));
      const oursUpload = () => runOurs('upload', emulator.url, environment, zip);
      // Alternate which goes first: the page cache and the emulator's disk writes treat both alike.
      for (const upload of run % 2 ? [curlUpload, oursUpload] : [oursUpload, curlUpload]) {
        const before = emulator.cpuSeconds();
        const measure = { ...upload(), emulatorCpuSeconds: 0 };
        measure.emulatorCpuSeconds = emulator.cpuSeconds() - before;
        (upload === oursUpload ? uploads.ours : uploads.curl).push(measure);
      }
      const [revision] = await client.listRevisions(PROJECT, environment);
      const download = `${revisions}/${revision.id}/download`;
      const curlDownload = () =>
        runCurl(['-o', path.join(work, 'curl-download.zip'), '-H', `Authorization: Token ${TOKEN}`, download]);
      const oursDownload = () =>
        runOurs('download', emulator.url, environment, path.join(work, 'ours-download.zip'), revision.id);
      for (const get of run % 2 ? [curlDownload, oursDownload] : [oursDownload, curlDownload]) {
        await rm(path.join(work, get === oursDownload ? 'ours-download.zip' : 'curl-download.zip'), { force: true });
        const before = emulator.cpuSeconds();
        const measure = { ...get(), emulatorCpuSeconds: 0 };
        measure.emulatorCpuSeconds = emulator.cpuSeconds() - before;
        (get === oursDownload ? downloads.ours : downloads.curl).push(measure);
      }
      for (const name of ['ours-download.zip', 'curl-download.zip']) {
        if (statSync(path.join(work, name)).size !== bytes) throw new Error(`${name} is not ${bytes} bytes`);
      }
      await client.deleteEnvironment(PROJECT, environment);
    }

    const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
    const rates = (measures: Measure[]) => measures.map((measure) => bytes / MB / measure.seconds);
    const perGB = (values: number[]) => values.map((value) => value / (bytes / 1024 ** 3));
    console.log(
      `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${os.platform()} ${os.release()}; load average ${os.loadavg()[0].toFixed(1)}; ${(bytes / MB).toFixed(0)} MB zip, min/median/max of ${runs} runs`,
    );
    for (const [name, figures] of [
      ['upload', uploads],
      ['download', downloads],
    ] as const) {
      const ratio = median(rates(figures.ours)) / median(rates(figures.curl));
      // The bound must hold in every run: the worst run is the figure, not the median.
      const memory = Math.max(...figures.ours.map((m) => m.peakMB));
      console.log(
        `${name}: ours ${minMedianMax(rates(figures.ours), 0)} MB/s, curl ${minMedianMax(rates(figures.curl), 0)} MB/s, ` +
          `ratio of the medians ${ratio.toFixed(2)} (goal ≥ ${GOAL_RATIO}) ${verdict(ratio >= GOAL_RATIO)}; ` +
          `memory ours, worst of ${runs} runs, +${memory.toFixed(1)} MB above baseline (goal < ${GOAL_MEMORY_MB} MB) ${verdict(memory < GOAL_MEMORY_MB)} ` +
          `(each run ${figures.ours.map((m) => m.peakMB.toFixed(0)).join('/')} MB), curl ${median(figures.curl.map((m) => m.peakMB)).toFixed(1)} MB peak RSS in all`,
      );
      console.log(
        `${name}: CPU seconds a GB: ours ${minMedianMax(perGB(figures.ours.map((m) => m.cpuSeconds)))}, curl ${minMedianMax(perGB(figures.curl.map((m) => m.cpuSeconds)))}; ` +
          `the emulator serving ours ${minMedianMax(perGB(figures.ours.map((m) => m.emulatorCpuSeconds!)))}, serving curl ${minMedianMax(perGB(figures.curl.map((m) => m.emulatorCpuSeconds!)))}`,
      );
    }
  } finally {
    await client.close();
    await emulator.close();
    await rm(work, { recursive: true, force: true });
  }
}

void main();
