// npm run bench:activation — what activating the extension costs, next to an empty extension in the same VS Code.
//   npm run bench:activation                 5 fresh code-server instances (default)
//   npm run bench:activation -- --runs 9
// Each run starts code-server 4.139.1 (VS Code 1.139.1) with fresh profile folders on an empty folder, with the
// production build of this extension, an empty extension generated here with the same activation events and a
// view and a command (so VS Code does as much bookkeeping for it), and a driver. Neither of the two is activated
// by anything before the driver, which, 3 s after the workbench has started (start-up work settles), activates a
// third, empty extension (the extension host's one-time costs go to it), then calls
// `vscode.extensions.getExtension(id).activate()` on ours and the empty one with process.hrtime around it, in
// alternating order from run to run. Goal: the median of ours minus the median of the empty one is under 15 ms.
//
// It also checks that activation does nothing but register: code-server's environment points the extension at an
// emulator (UBIOPS_API_HOST / UBIOPS_API_TOKEN, so a connection exists without any user action), the driver waits
// a second after activating, then asks for the view's first children; the emulator must see no request before that
// call, and some after it.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../scripts/chromium.mjs';
import { extensionId, launchCodeServer, ROOT } from '../scripts/vscode-server.mjs';

const { values: options } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
const RUNS = Number(options.runs);
const GOAL_MS = 15;
const EMPTY_ID = 'ubiops-bench.empty-extension';
const WARMUP_ID = 'ubiops-bench.warmup-extension';
const SETTLE_MS = 3000;
const TOKEN = 'bench-activation-token';
const log = () => {};

/** The driver: activates both extensions when the workbench has started, and reports to BENCH_RESULTS. */
const DRIVER = String.raw`'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vscode = require('vscode');
/** --profile: a CPU profile of the extension host while ours activates (skews its time; for finding costs). */
async function startProfile() {
  const session = new (require('node:inspector').Session)();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (error, value) => (error ? reject(error) : resolve(value))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 50 });
  await post('Profiler.start');
  return async () => ((await post('Profiler.stop')).profile);
}
const write = (name, value) => fs.writeFileSync(path.join(process.env.BENCH_RESULTS, name), JSON.stringify(value));
exports.activate = function () {
  setTimeout(async () => {
    try {
      // The workbench's own start-up work settles first; then a third, empty extension takes the costs the
      // extension host pays once, for whichever extension it activates first.
      await new Promise((resolve) => setTimeout(resolve, Number(process.env.BENCH_SETTLE_MS)));
      await vscode.extensions.getExtension(process.env.BENCH_WARMUP).activate();
      const ids = process.env.BENCH_ORDER.split(',');
      const result = { before: {}, ms: {} };
      for (const id of ids) result.before[id] = vscode.extensions.getExtension(id).isActive;
      let api;
      result.activationStartedAt = Date.now();
      for (const id of ids) {
        const extension = vscode.extensions.getExtension(id);
        const loaded = new Set(process.moduleLoadList);
        const profiler = id === process.env.BENCH_OURS && process.env.BENCH_PROFILE ? await startProfile() : undefined;
        const started = process.hrtime.bigint();
        const exports = await extension.activate();
        result.ms[id] = Number(process.hrtime.bigint() - started) / 1e6;
        if (profiler) write('profile.cpuprofile', await profiler());
        result.builtins = Object.assign(result.builtins || {}, { [id]: process.moduleLoadList.filter((name) => !loaded.has(name)) });
        if (id === process.env.BENCH_OURS) api = exports;
      }
      // Idle with the extension active and a connection configured: nothing may reach the server.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      result.viewRequestedAt = Date.now();
      const roots = await api.explorer.getChildren();
      result.viewAnsweredAt = Date.now();
      result.roots = roots.length;
      write('result.json', result);
    } catch (error) {
      write('result.json', { error: String(error && error.stack || error) });
    }
  }, 0);
};
exports.deactivate = function () {};
`;

/** Writes a bench extension into `dir/name`: its `extension.js` source and a manifest with these fields. */
async function writeExtension(dir, name, source, fields) {
  const folder = path.join(dir, name);
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'extension.js'), source);
  const manifest = {
    publisher: 'ubiops-bench',
    version: '0.0.0',
    engines: { vscode: '^1.95.0' },
    main: './extension.js',
  };
  await writeFile(path.join(folder, 'package.json'), JSON.stringify({ ...manifest, ...fields }));
  return folder;
}

const NOTHING = `'use strict';\nexports.activate = function () { return {}; };\nexports.deactivate = function () {};\n`;

async function makeExtensions(dir, ours) {
  const activationEvents = ours.activationEvents ?? [];
  const driver = await writeExtension(dir, 'driver', DRIVER, {
    name: 'activation-driver',
    activationEvents: ['onStartupFinished'],
  });
  // The same activation events as ours, and one view and one command, as ours contributes its own.
  const empty = await writeExtension(dir, 'empty', NOTHING, {
    name: 'empty-extension',
    activationEvents,
    contributes: {
      views: { explorer: [{ id: 'emptyBench.view', name: 'Empty' }] },
      commands: [{ command: 'emptyBench.hello', title: 'Hello' }],
    },
  });
  const warmup = await writeExtension(dir, 'warmup', NOTHING, {
    name: 'warmup-extension',
    activationEvents,
    contributes: { commands: [{ command: 'warmupBench.hello', title: 'Hello' }] },
  });
  return { driver, empty, warmup };
}

function printProfile(profile) {
  const self = new Map();
  const time = new Map();
  profile.samples.forEach((id, index) => time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (time.get(node.id) ?? 0));
  }
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 20);
  for (const [key, us] of top) console.log(`  ${(us / 1000).toFixed(2).padStart(6)} ms  ${key}`);
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function main() {
  // The production bundle, as users get it.
  execFileSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: ROOT, stdio: 'inherit' });
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const { id: ours } = await extensionId(ROOT);
  const require = createRequire(import.meta.url);
  const { start } = require(path.join(ROOT, 'dist', 'emulator-lib.js'));

  const requests = [];
  // Wall-clock stamps: they are compared with the extension host's own (activationStartedAt), another process.
  // eslint-disable-next-line no-restricted-properties
  const emulator = await start({ port: 0, tokens: [TOKEN], log: (line) => requests.push({ at: Date.now(), line }) });
  const work = await mkdtemp(path.join(os.tmpdir(), 'ubiops-bench-activation-'));
  const { driver, empty, warmup } = await makeExtensions(work, manifest);
  const browser = await launchChromium();
  const runs = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const results = path.join(work, `results-${run}`);
      const folder = path.join(work, `workspace-${run}`);
      await mkdir(results, { recursive: true });
      await mkdir(folder, { recursive: true });
      const order = run % 2 === 0 ? [ours, EMPTY_ID] : [EMPTY_ID, ours];
      const codeServer = await launchCodeServer({
        folder,
        devExtensions: [ROOT],
        extensions: [driver, empty, warmup],
        dir: work,
        log,
        env: {
          BENCH_RESULTS: results,
          BENCH_ORDER: order.join(','),
          BENCH_WARMUP: WARMUP_ID,
          BENCH_SETTLE_MS: String(SETTLE_MS),
          BENCH_PROFILE: options.profile ? '1' : '',
          BENCH_OURS: ours,
          UBIOPS_API_HOST: emulator.url,
          UBIOPS_API_TOKEN: TOKEN,
        },
      });
      const page = await browser.newPage();
      try {
        await page.goto(codeServer.workbenchUrl(folder));
        const file = path.join(results, 'result.json');
        const deadline = performance.now() + 90_000;
        while (!existsSync(file)) {
          if (performance.now() > deadline)
            throw new Error(`run ${run + 1}: the driver reported nothing in 90 s (log ${codeServer.logFile})`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        const result = JSON.parse(await readFile(file, 'utf8'));
        if (result.error) throw new Error(`run ${run + 1}: ${result.error}`);
        const early = requests.filter(
          (request) => request.at >= result.activationStartedAt && request.at < result.viewRequestedAt,
        );
        const afterView = requests.filter(
          (request) => request.at >= result.viewRequestedAt && request.at <= result.viewAnsweredAt + 50,
        );
        runs.push({ ...result, order, early: early.length, afterView: afterView.length });
        if (options.profile) printProfile(JSON.parse(await readFile(path.join(results, 'profile.cpuprofile'), 'utf8')));
        if (options.verbose)
          console.log(
            `run ${run + 1}: Node built-ins loaded by activating ours: ${result.builtins[ours].join(', ') || 'none'}`,
          );
        console.log(
          `run ${run + 1}: ours ${result.ms[ours].toFixed(1)} ms, empty ${result.ms[EMPTY_ID].toFixed(1)} ms (${order[0] === ours ? 'ours' : 'empty'} first); ` +
            `active before: ${Object.values(result.before).some(Boolean) ? 'yes' : 'no'}; requests before the view: ${early.length}, for the view: ${afterView.length}`,
        );
      } finally {
        await page.close();
        await codeServer.close({ keep: options.keep });
      }
    }
  } finally {
    await browser.close();
    await emulator.close();
    if (!options.keep) await rm(work, { recursive: true, force: true });
  }

  const oursMs = median(runs.map((run) => run.ms[ours]));
  const emptyMs = median(runs.map((run) => run.ms[EMPTY_ID]));
  const added = oursMs - emptyMs;
  const preActivated = runs.filter((run) => Object.values(run.before).some(Boolean)).length;
  const early = runs.reduce((sum, run) => sum + run.early, 0);
  const forView = Math.min(...runs.map((run) => run.afterView));
  const verdict = (ok) => (ok ? 'PASS' : 'MISS');
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}; code-server 4.139.1 (VS Code 1.139.1), extension host on Node 24`,
  );
  console.log(
    `activation: ours ${oursMs.toFixed(1)} ms, empty extension ${emptyMs.toFixed(1)} ms (medians of ${runs.length} fresh instances); ` +
      `adds ${added.toFixed(1)} ms, ratio ${(oursMs / emptyMs).toFixed(2)}; goal < ${GOAL_MS} ms: ${verdict(added < GOAL_MS && preActivated === 0)}` +
      `${preActivated ? ` (activated before the driver in ${preActivated} runs: not measured)` : ''}`,
  );
  console.log(
    `activation: requests to the configured server between activation and the first getChildren: ${early} (goal 0): ${verdict(early === 0)}; ` +
      `then ${forView} for the view's first level (the counter works)`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
