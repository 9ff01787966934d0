// npm run bench:deploy — the whole deploy, from "pack starts" to "revision created", ours against UbiOps' CLI's way.
//   npm run bench:deploy                         the bench folder (about 100 MB), 3 runs on each link
//   npm run bench:deploy -- --runs 5 --size-mb 100 --links 0,1000,100     (0: loopback)
// Needs Info-ZIP `zip` and `curl` (Debian: apt-get install -y zip curl) and /usr/bin/time.
//
// The folder is bench:pack's (bench/folder.ts): 5,000 source files and incompressible files, about 100 MB. Three
// links, each an emulator of its own (bench/common.ts) in a process of its own: loopback unlimited, and the emulator's
// `--bandwidth-mbps` at 1,000 and at 100 Mbit/s. On each, per run and in turn:
//   cli:   `zip -0 -r` (stored under environment_package/, as UbiOps' CLI writes) then `curl -F file=@…`;
//   zip6:  `zip -6 -r` then `curl -F`;
//   ours:  in a child process that has loaded its code and made one request (the extension's case): a first deploy,
//          which knows nothing of the link (DEFAULT_LINK_BYTES_PER_SECOND), then the timed one, which chooses by
//          the throughput the first measured, as a second upload in a session of the extension does: prepareZipUpload
//          then UbiOpsClient.uploadRevision. The first deploy's time is printed too, without a goal.
// Times are wall clock from the start of the pack to the answer that creates the revision; the references include
// starting zip and curl (a few ms). Memory: ours, peak RSS above the RSS just before the timed deploy.
// Goals (issue 16): ≤ 1.0× the CLI's way on loopback and at 1,000 Mbit/s; ≤ 0.75× at 100 Mbit/s; never slower than
// zip -6 + curl; memory of the deploy under 64 MB above baseline (the worst run).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { UbiOpsClient } from '../src/api';
import { prepareZipUpload } from '../src/archive/storedZip';
import { argument, curlUploadArguments, memoryProbe, startEmulator } from './common';
import { generate } from './folder';

const TOKEN = 'bench-deploy-token';
const PROJECT = 'demo-project';
const GOAL_MEMORY_MB = 64;
const LINKS = [
  { name: 'loopback', mbps: 0, goal: 1.0 },
  { name: '1,000 Mbit/s', mbps: 1000, goal: 1.0 },
  { name: '100 Mbit/s', mbps: 100, goal: 0.75 },
];

interface Ours {
  first: number;
  seconds: number;
  /** Of `seconds`, the scan and the deflating before the first byte is sent. */
  prepareSeconds: number;
  peakMB: number;
  zipBytes: number;
  deflated: number;
}

async function deployOnce(
  client: UbiOpsClient,
  environment: string,
  folder: string,
): Promise<{ seconds: number; prepareSeconds: number; zipBytes: number; deflated: number }> {
  const started = process.hrtime.bigint();
  const upload = await prepareZipUpload(folder, { linkBytesPerSecond: client.uploadBytesPerSecond() });
  const prepareSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  try {
    await client.uploadRevision(PROJECT, environment, upload);
  } finally {
    await upload.dispose();
  }
  return {
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    prepareSeconds,
    zipBytes: upload.length,
    deflated: upload.deflated,
  };
}

/** A child: two deploys with our code, the second timed and measured; prints Ours as JSON. */
async function child(url: string, environment: string, folder: string): Promise<void> {
  const client = new UbiOpsClient({ host: url, token: TOKEN });
  try {
    await client.getStatus();
    const first = await deployOnce(client, environment, folder);
    globalThis.gc?.();
    const memory = memoryProbe();
    memory.start();
    const second = await deployOnce(client, environment, folder);
    const ours: Ours = {
      first: first.seconds,
      seconds: second.seconds,
      prepareSeconds: second.prepareSeconds,
      peakMB: memory.peakAboveMB(),
      zipBytes: second.zipBytes,
      deflated: second.deflated,
    };
    process.stdout.write(`${JSON.stringify(ours)}\n`);
  } finally {
    await client.close();
  }
}

function runOurs(url: string, environment: string, folder: string): Ours {
  const args = [...process.execArgv, '--expose-gc', __filename, '--child', url, environment, folder];
  const output = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1024 * 1024 });
  return JSON.parse(output.trim().split('\n').pop()!) as Ours;
}

/** zip at `level` then curl -F, timed together; the zip is removed afterwards. */
function runReference(level: '-0' | '-6', work: string, revisions: string): { seconds: number; zipBytes: number } {
  const zip = path.join(work, `reference${level}.zip`);
  const started = process.hrtime.bigint();
  execFileSync('/usr/bin/zip', ['-r', level, '-q', zip, 'environment_package'], { cwd: work });
  const curl = spawnSync('curl', ['-sS', '--fail', ...curlUploadArguments(zip, TOKEN, revisions)]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (curl.status !== 0) throw new Error(`curl failed: ${curl.stderr.toString()}`);
  const zipBytes = Number(execFileSync('stat', ['-c', '%s', zip], { encoding: 'utf8' }));
  execFileSync('rm', ['-f', zip]);
  return { seconds, zipBytes };
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const median = (values: number[]) => sorted(values)[Math.floor(values.length / 2)];
const spread = (values: number[]) =>
  `${sorted(values)
    .map((v) => v.toFixed(2))
    .join('/')} s (median ${median(values).toFixed(2)})`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

async function main(): Promise<void> {
  if (argument('--child')) {
    const at = process.argv.indexOf('--child');
    return child(process.argv[at + 1], process.argv[at + 2], process.argv[at + 3]);
  }
  const runs = Number(argument('--runs') ?? 3);
  const sizeMb = Number(argument('--size-mb') ?? 100);
  const work = await mkdtemp(path.join(os.tmpdir(), 'ubiops-bench-deploy-'));
  try {
    const folder = path.join(work, 'environment_package');
    const described = await generate(folder, sizeMb);
    console.log(
      `folder: ${described}; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; min/median/max of ${runs} runs`,
    );
    let worstMemory = 0;
    const only = argument('--links')?.split(',').map(Number); // e.g. --links 0,100 (0: loopback)
    for (const link of LINKS.filter(({ mbps }) => !only || only.includes(mbps))) {
      const emulator = await startEmulator(
        path.join(work, `emulator-${link.mbps}`),
        TOKEN,
        link.mbps ? ['--bandwidth-mbps', String(link.mbps)] : [],
      );
      // A client per call: a connection left idle while a child deploys can be closed by the server as it is reused.
      const admin = async (call: (client: UbiOpsClient) => Promise<unknown>) => {
        const client = new UbiOpsClient({ host: emulator.url, token: TOKEN });
        await call(client).finally(() => client.close());
      };
      const figures = { cli: [] as number[], zip6: [] as number[], ours: [] as Ours[] };
      let sizes = { cli: 0, zip6: 0 };
      try {
        for (let run = 0; run < runs; run++) {
          // A fresh environment per run: the previous runs' zips go with it.
          const environment = `bench-deploy-${run}`;
          await admin((client) =>
            client.createEnvironment(PROJECT, { name: environment, base_environment: 'python3-12' }),
          );
          const revisions = `${emulator.url}/projects/${PROJECT}/environments/${environment}/revisions`;
          const cli = runReference('-0', work, revisions);
          const zip6 = runReference('-6', work, revisions);
          figures.cli.push(cli.seconds);
          figures.zip6.push(zip6.seconds);
          sizes = { cli: cli.zipBytes, zip6: zip6.zipBytes };
          figures.ours.push(runOurs(emulator.url, environment, folder));
          await admin((client) => client.deleteEnvironment(PROJECT, environment));
        }
      } finally {
        await emulator.close();
      }
      const ours = figures.ours.map((o) => o.seconds);
      const memory = Math.max(...figures.ours.map((o) => o.peakMB));
      worstMemory = Math.max(worstMemory, memory);
      const last = figures.ours[figures.ours.length - 1];
      const cliRatio = median(ours) / median(figures.cli);
      const zip6Ratio = median(ours) / median(figures.zip6);
      const MB = 1024 * 1024;
      console.log(
        `${link.name}: cli way (zip -0 + curl, ${(sizes.cli / MB).toFixed(1)} MB) ${spread(figures.cli)}; zip -6 + curl (${(sizes.zip6 / MB).toFixed(1)} MB) ${spread(figures.zip6)}`,
      );
      console.log(
        `${link.name}: ours (${(last.zipBytes / MB).toFixed(1)} MB, ${last.deflated} entries deflated) ${spread(ours)}, of which scan and deflate ${spread(figures.ours.map((o) => o.prepareSeconds))}; first deploy of a session ${spread(figures.ours.map((o) => o.first))}`,
      );
      console.log(
        `${link.name}: ratio to the cli way ${cliRatio.toFixed(2)} (goal ≤ ${link.goal.toFixed(2)}) ${verdict(cliRatio <= link.goal)}; ` +
          `to zip -6 + curl ${zip6Ratio.toFixed(2)} (goal ≤ 1.00) ${verdict(zip6Ratio <= 1)}; memory, worst run +${memory.toFixed(1)} MB (goal < ${GOAL_MEMORY_MB} MB) ${verdict(memory < GOAL_MEMORY_MB)}`,
      );
    }
    console.log(
      `memory of the deploy, worst of all runs: +${worstMemory.toFixed(1)} MB above baseline (goal < ${GOAL_MEMORY_MB} MB) ${verdict(worstMemory < GOAL_MEMORY_MB)}`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
