// npm run test:integration: the integration suite inside a real VS Code's extension host, on the newest
// (code-server 4.139.1 = VS Code 1.139.1) and the oldest supported (code-server 4.96.4 = VS Code 1.96.4) VS Code,
// one after the other, on machines that reach only the npm registry and Debian's packages.
//
// 1. builds the extension (node esbuild.mjs) and bundles test/integration/ into out/integration/;
// 2. installs code-server and its Node if missing (scripts/vscode-server.mjs);
// 3. starts code-server with fresh user-data and extensions dirs holding a development copy of the extension
//    (with the bundled suite in its out/integration/, as test-electron has it) and the test driver (./driver);
// 4. opens the workbench in Chromium (the extension host starts only once a browser opens it): the driver runs
//    the suite's run() on startup; the suite's mocha report and the driver's result go to a results folder
//    (UBIOPS_INTEGRATION_OUTPUT, UBIOPS_INTEGRATION_RESULTS), which this prints as it comes;
// 5. exits 0 only if the suite passed and at least one test ran.
//
// 6. greps everything written during the suite (code-server's user data: the extension's logs, global storage,
//    settings, state; the workspace; code-server's own log) for the canary token of security.test.ts, and fails
//    the run if it appears anywhere (--no-token-scan skips that).
//
// Options: --vscode newest|oldest|both (default: UBIOPS_VSCODE, else newest; `both` runs this script once per
// version and fails if either fails), --timeout <seconds> (default 300, or UBIOPS_INTEGRATION_TIMEOUT), --grep <text> (only matching tests),
// --keep (leave the temp folder with code-server's logs). On failure the logs and a screenshot are copied to
// test-results/integration/.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium, VIEWPORT } from '../../scripts/chromium.mjs';
import { ensureDemoWorkspace } from '../../scripts/demo-workspace.mjs';
import {
  copyDevExtension,
  ensureCodeServer,
  extensionId,
  launchCodeServer,
  ROOT,
  VSCODE_TARGETS,
} from '../../scripts/vscode-server.mjs';
import { bundleIntegrationTests } from './bundle.mjs';
import { logger, readSummary, reportFailure, runMain, seconds, stopOnSignals } from '../../scripts/suite-runner.mjs';

const { values: options } = parseArgs({
  options: {
    timeout: { type: 'string', default: process.env.UBIOPS_INTEGRATION_TIMEOUT ?? '300' },
    grep: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'no-token-scan': { type: 'boolean', default: false },
    vscode: { type: 'string', default: process.env.UBIOPS_VSCODE || 'newest' },
  },
});
// Each VS Code version keeps its own evidence: a `both` run must not wipe the first version's with the second's.
const RESULTS_DIR = join(
  ROOT,
  'test-results',
  options.vscode === 'newest' ? 'integration' : `integration-${options.vscode}`,
);
/** The token security.test.ts signs in with (CANARY_TOKEN there): it must not be written anywhere. */
const CANARY_TOKEN = 'canary-7f3e9b2c-never-written-anywhere';

/** Files under `roots` whose bytes contain `needle` (as UTF-8 or UTF-16LE, as SQLite and Chromium may store it). */
async function filesContaining(roots, needle) {
  const patterns = [Buffer.from(needle, 'utf8'), Buffer.from(needle, 'utf16le')];
  const found = [];
  const files = [];
  let scanned = 0;
  const walk = async (folder) => {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      if (error.code !== 'ENOTDIR') return;
      const data = await readFile(folder).catch(() => undefined);
      scanned += data ? 1 : 0;
      if (data && patterns.some((pattern) => data.includes(pattern))) found.push(folder);
      return;
    }
    for (const entry of entries) {
      const full = join(folder, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const data = await readFile(full).catch(() => undefined);
        if (!data) continue;
        scanned += 1;
        files.push(full);
        if (patterns.some((pattern) => data.includes(pattern))) found.push(full);
      }
    }
  };
  for (const root of roots) await walk(root);
  return { found, scanned, files };
}
const started = performance.now();
const log = logger('integration');

let codeServer;
let browser;
let tmp;

async function cleanUp({ keep = options.keep } = {}) {
  await browser?.close().catch(() => {});
  await codeServer?.close({ keep }).catch(() => {});
  if (tmp && !keep) await rm(tmp, { recursive: true, force: true });
}

stopOnSignals(log, cleanUp);

/** Copies what explains a failure into test-results/integration/: the server's and the workbench's logs. */
async function keepEvidence(page) {
  await mkdir(RESULTS_DIR, { recursive: true });
  if (page) await page.screenshot({ path: join(RESULTS_DIR, 'workbench.png') }).catch(() => {});
  if (codeServer) {
    await cp(codeServer.logFile, join(RESULTS_DIR, 'code-server.log')).catch(() => {});
    await cp(join(codeServer.userDataDir, 'logs'), join(RESULTS_DIR, 'logs'), { recursive: true }).catch(() => {});
  }
  log(`logs and a screenshot are in ${RESULTS_DIR}`);
}

async function main() {
  await rm(RESULTS_DIR, { recursive: true, force: true });
  let step = performance.now();
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('node esbuild.mjs failed');
  const { outDir, tests } = await bundleIntegrationTests();
  log(`built the extension and bundled ${tests} test file${tests === 1 ? '' : 's'} in ${seconds(step)}`);
  if (tests === 0) throw new Error('no test/integration/**/*.test.ts file');

  await ensureCodeServer({ log, vscode: options.vscode });

  tmp = await mkdtemp(join(tmpdir(), 'ubiops-integration-'));
  const driver = join(tmp, 'driver');
  const results = join(tmp, 'results');
  await mkdir(results, { recursive: true });
  await cp(join(ROOT, 'test', 'integration', 'driver'), driver, { recursive: true });
  const workspace = await ensureDemoWorkspace(join(tmp, 'workspace'));
  const { id: extensionUnderTest } = await extensionId(ROOT);

  step = performance.now();
  codeServer = await launchCodeServer({
    folder: workspace,
    extensions: [driver],
    // The bundled suite goes inside the development copy, where @vscode/test-electron has it too (out/integration
    // in the extension's folder): VS Code gives each extension its own `vscode` API object, chosen by the path of
    // the module that requires it, so tests that replace `vscode.window.showInputBox` must be the extension's.
    prepare: async (extensionsDir) => {
      const extension = await copyDevExtension(extensionsDir);
      await cp(outDir, join(extension, 'out', 'integration'), { recursive: true });
    },
    dir: tmp,
    log,
    vscode: options.vscode,
    env: {
      UBIOPS_INTEGRATION_RESULTS: results,
      UBIOPS_INTEGRATION_EXTENSION: extensionUnderTest,
      UBIOPS_INTEGRATION_VSCODE: VSCODE_TARGETS[options.vscode]?.vscode,
      UBIOPS_INTEGRATION_SUITE: 'out/integration/index.js',
      UBIOPS_INTEGRATION_OUTPUT: join(results, 'output.log'),
      UBIOPS_INTEGRATION_GREP: options.grep,
      // A developer's own credentials must not leak into the suite: the tests set up their connections.
      UBIOPS_API_HOST: undefined,
      UBIOPS_API_TOKEN: undefined,
    },
  });

  browser = await launchChromium();
  // vscode.env.clipboard is the browser's clipboard in code-server: without these permissions readText() waits
  // for a prompt nobody answers.
  const context = await browser.newContext({ viewport: VIEWPORT, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(codeServer.workbenchUrl(workspace));
  log(`workbench opened in Chromium; waiting for the suite (timeout ${options.timeout} s)`);

  // Stream the suite's output as the driver appends it; stop at result.json or the timeout.
  const outputFile = join(results, 'output.log');
  const resultFile = join(results, 'result.json');
  const deadline = performance.now() + Number(options.timeout) * 1000;
  const startDeadline = performance.now() + 90_000; // the extension host starts within seconds when all is well
  let printed = 0;
  let output = '';
  const drain = async () => {
    if (!existsSync(outputFile)) return;
    const handle = await open(outputFile, 'r');
    try {
      const { size } = await handle.stat();
      if (size <= printed) return;
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(size - printed), 0, size - printed, printed);
      const text = buffer.subarray(0, bytesRead).toString('utf8');
      printed += bytesRead;
      output += text;
      process.stdout.write(text);
    } finally {
      await handle.close();
    }
  };
  let result;
  while (!result) {
    await drain();
    if (existsSync(resultFile)) {
      await drain();
      result = JSON.parse(readFileSync(resultFile, 'utf8'));
      break;
    }
    const driverStarted = existsSync(join(results, 'started'));
    if (performance.now() > deadline || (!driverStarted && performance.now() > startDeadline)) {
      const where = driverStarted ? 'the suite did not finish' : 'the test driver never started';
      await keepEvidence(page);
      if (pageErrors.length) log(`errors in the workbench page:\n  ${pageErrors.join('\n  ')}`);
      throw new Error(`timed out after ${seconds(step)}: ${where}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  log(`suite finished ${seconds(step)} after code-server started`);

  let leaked = [];
  if (!options['no-token-scan']) {
    // Give the log writers a moment to flush what the last test logged.
    await new Promise((r) => setTimeout(r, 1_000));
    // Not the extensions dir: the bundled suite there holds the token in its source.
    const roots = [codeServer.userDataDir, codeServer.logFile, workspace, results];
    const { found, scanned, files } = await filesContaining(roots, CANARY_TOKEN);
    leaked = found;
    // The extension's own log (context.logUri, the "UbiOps" LogOutputChannel) must be among what was scanned.
    const extensionLogs = files.filter((file) => /ubiops-environments[^/]*\/.*\.log$/i.test(file));
    if (extensionLogs.length === 0)
      leaked = ["(the extension's log was not found under the user data: the scan misses it)"];
    else
      log(
        `token scan covered the extension's log: ${extensionLogs.map((file) => file.replace(codeServer.userDataDir, '<user-data>')).join(', ')}`,
      );
    // A positive control: the scan must find the token where it is known to be, in the bundled suite's source.
    const control = await filesContaining([codeServer.extensionsDir], CANARY_TOKEN);
    if (control.found.length === 0)
      leaked = ['(the scan did not even find the token in the bundled suite: it is broken)'];
    log(
      `token scan: ${scanned} files written during the suite (user data, logs, global storage, settings, workspace), ${found.length} holding the test token`,
    );
  }

  const summary = readSummary(output);
  const { passed, failed } = summary ?? { passed: 0, failed: 0 };
  let failure;
  if (!result.ok) failure = summary ? result.error : (result.stack ?? result.error);
  else if (!summary) failure = 'the suite printed no "N passed, N failed, N skipped" line';
  else if (failed > 0) failure = `${failed} failed`;
  else if (passed === 0) failure = 'no test ran';
  else if (leaked.length)
    failure = `the test token was written to ${leaked.map((file) => file.replace(tmp, '<tmp>')).join(', ')}`;
  if (failure) {
    await keepEvidence(page);
    if (pageErrors.length) log(`errors in the workbench page:\n  ${pageErrors.join('\n  ')}`);
  }
  await cleanUp();
  log(`total ${seconds(started)}`);
  if (failure) {
    reportFailure('integration', failure, summary);
    return 1;
  }
  return 0;
}

/** `--vscode both`: this script once per VS Code version, in turn; the exit code is the worst of them. */
async function runEach() {
  const rest = process.argv
    .slice(2)
    .filter((arg, i, all) => arg !== '--vscode' && all[i - 1] !== '--vscode' && !arg.startsWith('--vscode='));
  let code = 0;
  const outcomes = [];
  for (const vscode of Object.keys(VSCODE_TARGETS)) {
    log(
      `--- VS Code ${VSCODE_TARGETS[vscode].vscode} (${vscode}, code-server ${VSCODE_TARGETS[vscode].codeServer}) ---`,
    );
    const child = spawn(process.execPath, [process.argv[1], '--vscode', vscode, ...rest], { stdio: 'inherit' });
    const status = await new Promise((done) =>
      child.once('exit', (exitCode, signal) => done(exitCode ?? (signal ? 1 : 0))),
    );
    outcomes.push(`VS Code ${VSCODE_TARGETS[vscode].vscode}: ${status === 0 ? 'passed' : 'FAILED'}`);
    code = Math.max(code, status);
  }
  process.stderr.write(`[integration] ${outcomes.join('; ')}\n`);
  return code;
}

runMain('integration', options.vscode === 'both' ? runEach : main, { cleanUp, tmp: () => tmp });
