/**
 * Issue 14, §7: the emulator as a local server. It answers only requests addressed to this machine (a DNS-rebinding
 * page cannot drive it), says when its token is the well-known default, and closes idle and stalled connections.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import * as os from 'node:os';
import type { Emulator } from '../../../src/emulator';
import { hostAllowed } from '../../../src/emulator/hostCheck';
import { startEmulator, TOKEN } from '../emulator/helpers';

/** A request with the Host header as given (fetch would not let us set it). */
function withHost(emu: Emulator, host: string, pathName = '/v2.1/projects'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: emu.port,
        path: pathName,
        headers: { host, authorization: `Token ${TOKEN}` },
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Milliseconds until the server closes a connection on which `send` was written (nothing if empty). */
function closedAfter(emu: Emulator, send: string, limitMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect(emu.port, '127.0.0.1', () => send && socket.write(send));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after ${limitMs} ms`));
    }, limitMs);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
  });
}

describe('security: the emulator as a local server', () => {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ idleTimeoutMs: 400, headersTimeoutMs: 300 });
  });
  after(() => emu.close());

  it('refuses requests addressed to another host name (DNS rebinding) with 421, /status included', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${emu.port}`,
      'rebind.attacker.test:80',
      '10.0.0.1',
      '[fe80::1]',
    ]) {
      for (const pathName of ['/v2.1/projects', '/v2.1/status']) {
        const answer = await withHost(emu, host, pathName);
        assert.equal(answer.status, 421, `Host: ${host} ${pathName}`);
        assert.match(answer.body, /answers only requests addressed to this machine/);
      }
    }
  });

  it('answers loopback host names, with or without a port', async () => {
    for (const host of [
      'localhost',
      `localhost:${emu.port}`,
      `127.0.0.1:${emu.port}`,
      '127.3.2.1',
      `[::1]:${emu.port}`,
      'LOCALHOST',
      'app.localhost',
    ]) {
      assert.equal((await withHost(emu, host)).status, 200, `Host: ${host}`);
    }
  });

  it("answers the name or address it was started with, and, bound to every interface, this machine's addresses", () => {
    assert.ok(hostAllowed('emulator.internal:8765', 'emulator.internal'));
    assert.ok(!hostAllowed('emulator.internal:8765', '127.0.0.1'));
    const own = Object.values(os.networkInterfaces())
      .flat()
      .find((iface) => iface && !iface.internal && iface.family === 'IPv4');
    if (own) {
      assert.ok(hostAllowed(`${own.address}:8765`, '0.0.0.0'));
      assert.ok(!hostAllowed(`${own.address}:8765`, '127.0.0.1'));
    }
    assert.ok(!hostAllowed('192.0.2.7', '0.0.0.0'), 'an address of no interface here');
    assert.ok(hostAllowed(undefined, '127.0.0.1'), 'HTTP/1.0 without Host: no browser sends that');
    assert.ok(!hostAllowed('localhost@evil.example', '127.0.0.1'));
    assert.ok(!hostAllowed('127.0.0.1.evil.example', '127.0.0.1'));
  });

  it('closes a connection that never sends a request, and one whose headers never end', async () => {
    assert.ok((await closedAfter(emu, '', 5_000)) < 5_000);
    assert.ok((await closedAfter(emu, `GET /v2.1/status HTTP/1.1\r\nHost: localhost\r\n`, 5_000)) < 5_000);
  });

  it("says in its start-up banner when the token is the well-known default, and not for the user's own", async function () {
    this.timeout(30_000);
    const banner = async (args: string[]): Promise<string> => {
      const root = path.resolve(__dirname, '../../..');
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/emulator/cli.ts', '--port', '0', '--no-seed', ...args],
        { cwd: root },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      try {
        const deadline = performance.now() + 20_000;
        while (!/Press Ctrl\+C/.test(out) && performance.now() < deadline && child.exitCode === null)
          await new Promise((r) => setTimeout(r, 50));
        return out;
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('close', r));
      }
    };
    assert.match(await banner([]), /"emulator-token" is the well-known default token/);
    assert.doesNotMatch(await banner(['--token', 'a-secret-of-mine']), /well-known default/);
  });
});
