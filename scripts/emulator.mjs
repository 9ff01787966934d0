// The UbiOps emulator's command line (dist/emulator.js, built by `node esbuild.mjs`) as a child process.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './vscode-server.mjs';

export const EMULATOR_CLI = join(ROOT, 'dist', 'emulator.js');

/**
 * Starts `node dist/emulator.js` and resolves with { url, token, close() } once it prints
 * "UbiOps emulator serving <url>". Its own process group, so a Ctrl-C in the terminal reaches only the caller,
 * which stops it with close(); it is also killed if the caller exits without doing so.
 */
export async function startEmulator({
  token,
  port = 0,
  dataDir,
  buildSeconds,
  quiet = true,
  log = (line) => process.stdout.write(`[emulator] ${line}\n`),
  readyTimeoutMs = 15_000,
} = {}) {
  if (!existsSync(EMULATOR_CLI)) throw new Error(`${EMULATOR_CLI} is missing: build it with "node esbuild.mjs".`);
  const args = [EMULATOR_CLI, '--port', String(port), '--host', '127.0.0.1'];
  if (token) args.push('--token', token);
  if (dataDir) args.push('--data-dir', dataDir);
  if (buildSeconds !== undefined) args.push('--build-seconds', String(buildSeconds));
  if (quiet) args.push('--quiet');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const killOnExit = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  };
  process.once('exit', killOnExit);
  let exited;
  const exitPromise = new Promise((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit((exited = { code, signal }))),
  );

  let output = '';
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the emulator did not start within ${readyTimeoutMs} ms:\n${output}`)),
      readyTimeoutMs,
    );
    let pending = '';
    const onLine = (line) => {
      const match = /^UbiOps emulator serving (\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      } else if (line.trim() && !/^(Accepted token|Data kept|Press Ctrl|Received SIG|Emulator stopped)/.test(line)) {
        log(line);
      }
    };
    child.stdout.on('data', (chunk) => {
      output += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      lines.forEach(onLine);
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
      for (const line of chunk.toString().split('\n')) if (line.trim()) log(line);
    });
    exitPromise.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited (${code ?? signal}) before serving:\n${output}`));
    });
  }).catch((err) => {
    killOnExit();
    process.removeListener('exit', killOnExit);
    throw err;
  });

  let closing;
  return {
    url,
    token,
    pid: child.pid,
    exited: exitPromise,
    close: () =>
      (closing ??= (async () => {
        if (!exited) {
          child.kill('SIGTERM');
          const timer = setTimeout(killOnExit, 5_000);
          await exitPromise;
          clearTimeout(timer);
        }
        process.removeListener('exit', killOnExit);
      })()),
  };
}

/** The names of the projects the emulator (or any UbiOps API) lists for this token. */
export async function projectNames(url, token) {
  const response = await fetch(`${url}/projects`, { headers: { authorization: `Token ${token}` } });
  if (!response.ok) throw new Error(`GET ${url}/projects answered ${response.status}`);
  return (await response.json()).map((project) => project.name);
}
