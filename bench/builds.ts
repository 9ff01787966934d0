// npm run bench:builds — the requests of following running builds, with the extension's BuildTracker and its
// default intervals (first poll after 2 s, each wait 1.5× the last, at most 10 s), against the emulator.
//   npm run bench:builds                         10 builds that run 90 s, then 20 s with nothing running
//   npm run bench:builds -- --builds 25 --seconds 180 --tail 30
// Goals: one request per running build per poll; at most 6 a minute each after the first minute; none once every
// build has finished. The reference is the number of running builds. The tracker's requests are counted where it
// makes them (its getBuild), and cross-checked with the emulator's own request count.
import * as os from 'node:os';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import JSZip from 'jszip';
import { UbiOpsClient } from '../src/api';
import { BuildTracker, type BuildRef } from '../src/builds/buildTracker';
import { start } from '../src/emulator';

const TOKEN = 'bench-token';
const PROJECT = 'demo-project';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

/** When the tracker's defaults poll one build that stays running: 2, 5, 9.5, 16.25, 26.25, then every 10 s. */
function cadence(seconds: number, initial = 2, backoff = 1.5, max = 10): number[] {
  const at: number[] = [];
  let wait = initial;
  for (let t = initial; t <= seconds;) {
    at.push(t);
    wait = Math.min(max, wait * backoff);
    t += wait;
  }
  return at;
}

async function main(): Promise<void> {
  const builds = option('--builds', 10);
  const seconds = option('--seconds', 90);
  const tail = option('--tail', 20);
  // The builds finish at the end of the measured time; the tracker notices within its longest wait.
  const emulator = await start({ port: 0, tokens: [TOKEN], buildSeconds: seconds });
  const client = new UbiOpsClient({ host: emulator.url, token: TOKEN });
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'ubiops-bench-builds-'));
  try {
    const zip = path.join(work, 'environment.zip');
    await fs.writeFile(
      zip,
      await new JSZip().file('requirements.txt', 'numpy==1.26.4\n').generateAsync({ type: 'nodebuffer' }),
    );
    await client.createEnvironment(PROJECT, { name: 'bench-builds', base_environment: 'python3-12' });
    const refs: BuildRef[] = [];
    for (let i = 0; i < builds; i++) {
      const created = await client.uploadRevision(PROJECT, 'bench-builds', zip);
      refs.push({
        host: client.host,
        project: PROJECT,
        environment: 'bench-builds',
        revision: created.revision,
        build: created.build,
      });
    }

    const calls = new Map<string, number[]>(); // build → seconds since following started, one per request
    let started = 0;
    const tracker = new BuildTracker((ref, signal) => {
      calls.get(ref.build)!.push((performance.now() - started) / 1000);
      return client.getBuild(ref.project, ref.environment, ref.revision, ref.build, { signal });
    });
    let finished = 0;
    let allFinishedAt: number | undefined;
    tracker.onDidFinish(() => {
      if (++finished === builds) allFinishedAt = (performance.now() - started) / 1000;
    });
    const serverBefore = emulator.stats().requests;
    started = performance.now();
    for (const ref of refs) {
      calls.set(ref.build, []);
      tracker.follow(ref, await client.getBuild(ref.project, ref.environment, ref.revision, ref.build));
    }
    const ownRequests = builds; // the getBuild just above, which a tree row would have made
    while (allFinishedAt === undefined && performance.now() - started < (seconds + 60) * 1000) await sleep(250);
    await sleep(tail * 1000);
    const end = (performance.now() - started) / 1000;
    tracker.dispose();

    const all = [...calls.values()];
    const total = all.reduce((sum, times) => sum + times.length, 0);
    const serverRequests = emulator.stats().requests - serverBefore - ownRequests;
    const firstMinute = all.map((times) => times.filter((t) => t < 60).length);
    const steadyEnd = Math.min(allFinishedAt ?? end, seconds);
    const steadyMinutes = (steadyEnd - 60) / 60;
    const steady = all.map((times) => times.filter((t) => t >= 60 && t < steadyEnd).length / steadyMinutes);
    const afterAll =
      allFinishedAt === undefined
        ? NaN
        : all.reduce((sum, times) => sum + times.filter((t) => t > allFinishedAt!).length, 0);
    // One request per running build per poll: every poll round asks each due build once, never twice.
    const duplicates = all.reduce(
      (sum, times) => sum + times.filter((t, i) => i > 0 && t - times[i - 1] < 1).length,
      0,
    );
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
    const maxSteady = Math.max(...steady);

    const expected = cadence(120);
    console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
    console.log(
      `cadence of one build with the defaults: polls at ${expected
        .slice(0, 7)
        .map((t) => `${t.toFixed(1)}`)
        .join(', ')}, … s: ` +
        `${expected.filter((t) => t < 60).length} in the first minute, then one per 10 s plus the answer's time (≤ 6 a minute)`,
    );
    console.log(
      `builds: ${builds} running builds for ${seconds} s: ${total} tracker requests (emulator saw ${serverRequests}); ` +
        `first minute ${Math.min(...firstMinute)}–${Math.max(...firstMinute)} per build`,
    );
    if (steadyMinutes > 0) {
      console.log(
        `builds: after the first minute, per build ${Math.min(...steady).toFixed(2)}–${maxSteady.toFixed(2)} requests a minute ` +
          `(reference: ${builds} running builds; goal ≤ 6): ${verdict(maxSteady <= 6)}; two requests for one build in one poll: ${duplicates} ${verdict(duplicates === 0)}`,
      );
    } else {
      console.log(
        `builds: --seconds ${seconds} leaves no time after the first minute: no steady-state figure (cadence above)`,
      );
    }
    console.log(
      `builds: all ${builds} finished at ${seconds} s, seen finished by ${allFinishedAt?.toFixed(1) ?? 'never'} s; ` +
        `requests in the ${(end - (allFinishedAt ?? end)).toFixed(0)} s after: ${afterAll} (goal 0): ${verdict(afterAll === 0)}`,
    );
  } finally {
    await client.close();
    await emulator.close();
    await fs.rm(work, { recursive: true, force: true });
  }
}

void main();
