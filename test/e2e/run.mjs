// npm run test:e2e: the packaged extension seen through VS Code's workbench, as a user sees it.
//
// 1. packages the extension (npm run package: production build, dist/emulator.js, ubiops-environments.vsix);
// 2. installs code-server and its Node 24 if missing (scripts/vscode-server.mjs);
// 3. starts the emulator (node dist/emulator.js) with its demo data and a token of this run;
// 4. starts code-server with fresh dirs, the .vsix installed with --install-extension, and UBIOPS_API_HOST /
//    UBIOPS_API_TOKEN in its environment pointing at the emulator, on a demo folder;
// 5. starts Debian's Chromium as a playwright server, and runs mocha on test/e2e/**/*.spec.ts (config
//    test/e2e/.mocharc.json) in a child process that connects to it; screenshots go to test-results/e2e/;
// 6. stops everything and exits 0 only if the specs passed and at least one ran.
//
// Options: --no-package (use the existing .vsix and dist/emulator.js), --grep <text>, and --keep (leave
// code-server's temp folder, with its logs).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromiumServer } from '../../scripts/chromium.mjs';
import { ensureDemoWorkspace } from '../../scripts/demo-workspace.mjs';
import { startEmulator } from '../../scripts/emulator.mjs';
import { ensureCodeServer, launchCodeServer, ROOT } from '../../scripts/vscode-server.mjs';
import { logger, readSummary, reportFailure, runMain, seconds, stopOnSignals } from '../../scripts/suite-runner.mjs';

const { values: options } = parseArgs({
  options: {
    'no-package': { type: 'boolean', default: false },
    grep: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const VSIX = join(ROOT, 'ubiops-environments.vsix');
const RESULTS_DIR = join(ROOT, 'test-results', 'e2e');
const TOKEN = `e2e-${Math.random().toString(36).slice(2, 10)}`;
const started = performance.now();
const log = logger('e2e');

let emulator;
let codeServer;
let browserServer;
let mochaChild;
let tmp;

async function cleanUp({ keep = options.keep } = {}) {
  mochaChild?.kill('SIGTERM');
  await browserServer?.close().catch(() => {});
  await codeServer?.close({ keep }).catch(() => {});
  await emulator?.close().catch(() => {});
  if (tmp && !keep) await rm(tmp, { recursive: true, force: true });
}

stopOnSignals(log, cleanUp);

async function main() {
  await rm(RESULTS_DIR, { recursive: true, force: true });
  await mkdir(RESULTS_DIR, { recursive: true });
  let step = performance.now();
  if (!options['no-package']) {
    const packaged = spawnSync('npm', ['run', '--silent', 'package'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (packaged.status !== 0) {
      process.stdout.write(packaged.stdout);
      throw new Error('npm run package failed');
    }
    log(`packaged ${VSIX} in ${seconds(step)}`);
  } else if (!existsSync(VSIX)) {
    throw new Error(`${VSIX} is missing: run "npm run package" or drop --no-package.`);
  }

  await ensureCodeServer({ log });

  step = performance.now();
  // Seeded running builds last 20 × buildSeconds: long enough that the suite still finds them queued and processing.
  emulator = await startEmulator({ token: TOKEN, buildSeconds: 10, log: (line) => log(`emulator: ${line}`) });
  log(`emulator serving ${emulator.url} (${seconds(step)})`);

  tmp = await mkdtemp(join(tmpdir(), 'ubiops-e2e-'));
  const workspace = await ensureDemoWorkspace(join(tmp, 'workspace'));
  step = performance.now();
  codeServer = await launchCodeServer({
    folder: workspace,
    vsix: [VSIX],
    dir: tmp,
    log,
    env: { UBIOPS_API_HOST: emulator.url, UBIOPS_API_TOKEN: TOKEN },
  });
  browserServer = await launchChromiumServer();
  log(`code-server and Chromium ready in ${seconds(step)}`);

  step = performance.now();
  const mochaArgs = [
    join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js'),
    '--config',
    join('test', 'e2e', '.mocharc.json'),
  ];
  if (options.grep) mochaArgs.push('--grep', options.grep);
  let output = '';
  const exitCode = await new Promise((resolveExit, reject) => {
    mochaChild = spawn(process.execPath, mochaArgs, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        UBIOPS_E2E_BROWSER: browserServer.wsEndpoint(),
        UBIOPS_E2E_WORKBENCH: codeServer.workbenchUrl(workspace),
        UBIOPS_E2E_API_HOST: emulator.url,
        UBIOPS_E2E_API_TOKEN: TOKEN,
        UBIOPS_E2E_RESULTS: RESULTS_DIR,
        UBIOPS_E2E_WORKSPACE: workspace,
      },
    });
    mochaChild.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    mochaChild.once('error', reject);
    mochaChild.once('exit', (code, signal) => resolveExit(code ?? signal));
  });
  mochaChild = undefined;
  log(`specs ran in ${seconds(step)}`);

  const summary = readSummary(output);
  const { passed, failed } = summary ?? { passed: 0, failed: 0 };
  let failure;
  if (!summary) failure = `mocha exited with ${exitCode} and printed no "N passed, N failed, N skipped" line`;
  else if (failed > 0 || exitCode !== 0) failure = `${failed} failed (mocha exited with ${exitCode})`;
  else if (passed === 0) failure = 'no test ran';
  if (failure) {
    await cp(codeServer.logFile, join(RESULTS_DIR, 'code-server.log')).catch(() => {});
    await cp(join(codeServer.userDataDir, 'logs'), join(RESULTS_DIR, 'logs'), { recursive: true }).catch(() => {});
  }
  await cleanUp();
  log(`screenshots in ${RESULTS_DIR}; total ${seconds(started)}`);
  if (failure) {
    reportFailure('e2e', failure, summary);
    return 1;
  }
  return 0;
}

runMain('e2e', main, { cleanUp, tmp: () => tmp });
