import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { Emulator } from '../../../src/emulator';
import { startEmulator, TOKEN } from './helpers';

/** GET over the given agent, body read. */
function get(emulator: Emulator, agent: http.Agent, path: string): Promise<number> {
  const url = new URL(`${emulator.url}${path}`);
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: url.hostname, port: url.port, path: url.pathname, agent, headers: { Authorization: `Token ${TOKEN}` } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      )
      .on('error', reject);
  });
}

describe('emulator stats()', () => {
  it('counts requests received and TCP connections accepted, for the benchmarks', async () => {
    const emulator = await startEmulator();
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      assert.deepEqual(emulator.stats(), { connections: 0, requests: 0 });
      // Three requests, one after the other, over one kept-alive connection.
      for (const path of ['/status', '/projects', '/projects/demo-project/environments']) {
        assert.equal(await get(emulator, keepAlive, path), 200);
      }
      assert.deepEqual(emulator.stats(), { connections: 1, requests: 3 });
      // A new connection for each request when nothing is kept alive; a refused request counts too.
      const noKeepAlive = new http.Agent({ keepAlive: false });
      await get(emulator, noKeepAlive, '/status');
      await get(emulator, noKeepAlive, '/projects/no-such-project/environments');
      assert.deepEqual(emulator.stats(), { connections: 3, requests: 5 });
    } finally {
      keepAlive.destroy();
      await emulator.close();
    }
  });
});
