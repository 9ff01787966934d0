import assert from 'node:assert/strict';
import { UbiOpsApiError, UbiOpsClient } from '../../../src/api';
import { type Emulator, start } from '../../../src/emulator';

const TOKEN = 'pool-token';

describe('UbiOpsClient connection pool', () => {
  let emulator: Emulator;

  before(async () => {
    emulator = await start({ port: 0, tokens: [TOKEN], buildSeconds: 0 });
  });

  after(async () => {
    await emulator?.close();
  });

  it('connects on the first request, not when created: activation makes a client and opens nothing', async () => {
    const before = emulator.stats();
    const client = new UbiOpsClient({ host: emulator.url, token: TOKEN });
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(emulator.stats(), before);
      assert.equal((await client.listProjects()).length > 0, true);
      // undici hands a socket to the next request one turn of the event loop after an answer ends (it checks the
      // server did not close it); a user's next click always comes later than that.
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(await client.getStatus().then((status) => status.status), 'ok');
      const after = emulator.stats();
      assert.equal(after.requests - before.requests, 2);
      assert.equal(
        after.connections - before.connections,
        1,
        'one kept-alive connection for calls one after the other',
      );
    } finally {
      await client.close();
    }
  });

  it('refuses a malformed proxy setting when created, as before', () => {
    assert.throws(
      () => new UbiOpsClient({ host: emulator.url, token: TOKEN, network: { proxy: 'not a url' } }),
      TypeError,
    );
  });

  it('closes without having connected, and calls after close() still fail', async () => {
    const client = new UbiOpsClient({ host: emulator.url, token: TOKEN, retry: { maxAttempts: 1 } });
    await client.close();
    await assert.rejects(
      client.getStatus(),
      (error: unknown) => error instanceof UbiOpsApiError && /closed/i.test(error.message),
    );
  });
});
