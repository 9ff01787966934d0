import { strict as assert } from 'node:assert';
import { type ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function run(args: string[]): Run {
  // detached: its own process group, so the signal reaches npx, tsx and the emulator alike.
  const child = spawn('npx', ['tsx', 'src/emulator/cli.ts', ...args], { cwd: ROOT, detached: true });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  // 'close', not 'exit': npx may die first, and the emulator's last words come after.
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function waitForOutput(r: Run, pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const m = pattern.exec(r.stdout());
    if (m) return m;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`no ${pattern} in output: ${r.stdout()} ${r.stderr()}`);
}

describe('emulator command line', function () {
  this.timeout(15_000);

  it('starts, prints its URL and token, serves, and stops cleanly on SIGTERM', async () => {
    const r = run(['--port', '0', '--token', 'cli-token', '--build-seconds', '0']);
    try {
      const [, url] = await waitForOutput(r, /UbiOps emulator serving (http:\/\/127\.0\.0\.1:\d+\/v2\.1)/, 10_000);
      assert.match(r.stdout(), /cli-token/);
      const status = await fetch(`${url}/status`);
      assert.deepEqual(await status.json(), { status: 'ok' });
      const projects = await fetch(`${url}/projects`, { headers: { Authorization: 'Token cli-token' } });
      assert.equal(projects.status, 200);
      process.kill(-(r.child.pid as number), 'SIGTERM');
      await r.exit;
      // npx itself dies of the signal; the emulator's own clean close shows in its output.
      assert.match(r.stdout(), /Received SIGTERM, stopping\.\nEmulator stopped\./, r.stderr());
    } finally {
      if (r.child.exitCode === null) process.kill(-(r.child.pid as number), 'SIGKILL');
    }
  });

  it('exits non-zero with a clear message on a bad flag', async () => {
    // Side by side: three start-ups one after another can outlast the timeout on a busy machine.
    const unknown = run(['--port', '0', '--frobnicate']);
    const badRate = run(['--error-rate', '2']);
    const badBandwidth = run(['--bandwidth-mbps', 'fast']);
    assert.notEqual(await unknown.exit, 0);
    assert.match(unknown.stderr(), /frobnicate/);
    assert.notEqual(await badRate.exit, 0);
    assert.match(badRate.stderr(), /--error-rate expects a number between 0 and 1/);
    assert.notEqual(await badBandwidth.exit, 0);
    assert.match(badBandwidth.stderr(), /--bandwidth-mbps expects a number at least 0, not "fast"/);
  });

  it('exits non-zero with a clear message when the port is in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = run(['--port', String(port)]);
      assert.notEqual(await r.exit, 0);
      assert.match(r.stderr(), new RegExp(`Port ${port} is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('warns when binding beyond loopback with the default token', async () => {
    const r = run(['--port', '0', '--host', '0.0.0.0', '--no-seed']);
    try {
      await waitForOutput(r, /serving/, 10_000);
      assert.match(r.stderr(), /Warning: binding to 0\.0\.0\.0 with the default token/);
    } finally {
      process.kill(-(r.child.pid as number), 'SIGTERM');
      await r.exit;
    }
  });
});
