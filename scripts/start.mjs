// npm start: try the extension in a real VS Code (code-server) connected to the local UbiOps emulator.
//
// Builds the extension, installs code-server and its Node 24 on first use (about 2.5 min, cached in
// .vscode-test/code-server), starts the emulator with its demo data (kept in .vscode-test/emulator-data, so
// changes made in the demo survive a restart; delete that folder to start over), starts code-server on
// 127.0.0.1:8080 (or a free port) with a development copy of the extension and UBIOPS_API_HOST / UBIOPS_API_TOKEN
// pointing at the emulator, opened on .vscode-test/demo-workspace, and prints the URL to open. Ctrl+C stops both.
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { ensureDemoWorkspace } from './demo-workspace.mjs';
import { startEmulator } from './emulator.mjs';
import { ensureCodeServer, freePort, launchCodeServer, ROOT } from './vscode-server.mjs';

const TOKEN = 'emulator-token';
const DATA_DIR = join(ROOT, '.vscode-test', 'emulator-data');
const WORKSPACE = join(ROOT, '.vscode-test', 'demo-workspace');
const log = (line) => process.stdout.write(`[start] ${line}\n`);
const started = performance.now();

let emulator;
let codeServer;
let stopping = false;

async function stop(code) {
  if (stopping) return;
  stopping = true;
  await codeServer?.close().catch(() => {});
  await emulator?.close().catch(() => {});
  process.exit(code);
}

process.on('SIGINT', () => {
  if (stopping) process.exit(130); // a second Ctrl+C: now (the exit handlers kill both process groups)
  log('stopping code-server and the emulator');
  void stop(0);
});
process.on('SIGTERM', () => void stop(0));

try {
  log('building the extension (node esbuild.mjs)');
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('node esbuild.mjs failed');

  await ensureCodeServer({ log });

  emulator = await startEmulator({
    token: TOKEN,
    port: await freePort(8765),
    dataDir: DATA_DIR,
    quiet: false,
    log: (line) => process.stdout.write(`[emulator] ${line}\n`),
  });
  await ensureDemoWorkspace(WORKSPACE);

  codeServer = await launchCodeServer({
    folder: WORKSPACE,
    devExtensions: [ROOT],
    port: 8080,
    log,
    env: { UBIOPS_API_HOST: emulator.url, UBIOPS_API_TOKEN: TOKEN },
  });

  process.stdout.write(
    [
      '',
      `UbiOps Environments in VS Code ${codeServer.vscodeVersion} (code-server), ready in ${((performance.now() - started) / 1000).toFixed(1)} s:`,
      '',
      `  Open      ${codeServer.workbenchUrl(WORKSPACE)}`,
      '            and click the UbiOps icon in the activity bar.',
      `  Emulator  ${emulator.url}  (token ${TOKEN}, data in ${relative(ROOT, DATA_DIR)}/)`,
      '',
      'On a remote machine, forward the port first (ssh -L 8080:127.0.0.1:8080 ...). Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );

  const ended = await Promise.race([
    codeServer.exited.then((how) => `code-server exited (${how.code ?? how.signal}); its log: ${codeServer.logFile}`),
    emulator.exited.then((how) => `the emulator exited (${how.code ?? how.signal})`),
  ]);
  if (!stopping) {
    process.stderr.write(`[start] ${ended}\n`);
    await codeServer.close({ keep: true }); // keeps the log named above
    await stop(1);
  }
} catch (err) {
  process.stderr.write(`[start] ${err.message}\n`);
  await stop(1);
}
