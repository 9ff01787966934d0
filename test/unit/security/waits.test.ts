/**
 * Issue 14, §3: every wait has an end. Waits the server asks for are capped (429 and 503 alike) and so is their
 * total; the caller is told of each wait; a call has a deadline, so an answer trickled byte by byte times out; a
 * transfer that stalls is stopped. Each against a tiny hostile server on 127.0.0.1.
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as path from 'node:path';
import { withTempDir } from '../../helpers/tempDir';
import { UbiOpsApiError, UbiOpsClient, type UbiOpsClientOptions } from '../../../src/api';
import type { WaitEvent } from '../../../src/api/transport';

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

describe('security: every wait has an end', () => {
  let server: http.Server;
  let handler: Handler;
  let url: string;
  const timers = new Set<NodeJS.Timeout>();

  before(async () => {
    server = http.createServer((request, response) => handler(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterEach(() => {
    timers.forEach(clearInterval);
    timers.clear();
    server.closeAllConnections();
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const client = (options: Partial<UbiOpsClientOptions> = {}) =>
    new UbiOpsClient({ host: url, token: 'secret-token-1', ...options });

  /** Writes `total` bytes of `body`, one every `everyMs`. */
  function trickle(response: http.ServerResponse, body: string, everyMs: number): void {
    let sent = 0;
    const timer = setInterval(() => {
      if (sent >= body.length) {
        clearInterval(timer);
        response.end();
        return;
      }
      response.write(body[sent++]);
    }, everyMs);
    timers.add(timer);
  }

  async function rejection(promise: Promise<unknown>): Promise<UbiOpsApiError> {
    try {
      await promise;
    } catch (error) {
      assert.ok(error instanceof UbiOpsApiError, `${(error as Error)?.name}: ${(error as Error)?.message}`);
      return error;
    }
    throw new Error('expected a rejection');
  }

  it('does not wait ten days when a 503 says Retry-After: 864000, nor 119 s for a 429: it fails at once, saying when to try', async () => {
    for (const [status, retryAfter, said] of [
      [503, '864000', /unavailable for now; try again in 10 days/],
      [429, '119', /limiting the request rate; try again in 119 s/],
    ] as const) {
      let requests = 0;
      handler = (_request, response) => {
        requests++;
        response
          .writeHead(status, { 'retry-after': retryAfter, 'content-type': 'application/json' })
          .end('{"error":"busy"}');
      };
      const c = client();
      const started = performance.now();
      const error = await rejection(c.listProjects());
      assert.ok(performance.now() - started < 2_000, `gave up at once, not after ${performance.now() - started} ms`);
      assert.equal(error.status, status);
      assert.equal(error.retryAfterSeconds, Number(retryAfter));
      assert.match(error.message, said);
      assert.equal(requests, 1);
      await c.close();
    }
  });

  it('caps the total of the waits of one call, and tells the caller and the client of each wait', async () => {
    handler = (_request, response) => response.writeHead(429, { 'retry-after': '1' }).end();
    const perCall: WaitEvent[] = [];
    const clientWide: WaitEvent[] = [];
    const c = client({ retry: { maxAttempts: 20, maxTotalWaitMs: 2_500 }, onWait: (event) => clientWide.push(event) });
    const started = performance.now();
    const error = await rejection(c.listEnvironments('p', {}, { onWait: (event) => perCall.push(event) }));
    const elapsed = performance.now() - started;
    assert.equal(error.status, 429);
    assert.ok(elapsed < 4_000, `stopped at the total cap, not after ${elapsed} ms`);
    assert.ok(perCall.length >= 1 && perCall.length <= 2, `${perCall.length} waits`);
    assert.deepEqual(clientWide, perCall);
    for (const event of perCall) {
      assert.equal(event.reason, 'rate limited');
      assert.equal(event.path, '/projects/p/environments');
      assert.match(event.message, /^waiting [12] s for the server \(rate limited\)$/);
    }
    await c.close();
  });

  it('gives a call a deadline, so an answer trickled one byte at a time times out', async function () {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '40' });
      trickle(response, `[${' '.repeat(38)}]`, 150); // a byte every 150 ms: no idle timeout ever fires
    };
    const c = client();
    const started = performance.now();
    const error = await rejection(c.listProjects({}, { timeoutMs: 1_000 }));
    assert.ok(performance.now() - started < 3_000, `${performance.now() - started} ms`);
    assert.equal(error.code, 'UBIOPS_CALL_TIMEOUT');
    assert.match(error.message, /GET \/projects: 127\.0\.0\.1:\d+ did not answer in full within 1 s/);
    // The client-wide deadline applies the same way, and a user's cancel is still an AbortError.
    const short = client({ timeouts: { callTimeoutMs: 800 } });
    assert.equal((await rejection(short.listProjects())).code, 'UBIOPS_CALL_TIMEOUT');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(short.listProjects({}, { signal: controller.signal }), { name: 'AbortError' });
    await Promise.all([c.close(), short.close()]);
  });

  it('stops a download that trickles instead of failing a large one on a deadline', async () => {
    await withTempDir('ubiops-waits-', async (dir) => {
      handler = (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/zip', 'content-length': '1000' });
        trickle(response, 'x'.repeat(1000), 50);
      };
      const c = client({ timeouts: { transferWindowMs: 300, minTransferBytes: 1024 } });
      const error = await rejection(c.downloadRevision('p', 'e', 'r', { directory: dir }));
      assert.equal(error.code, 'UBIOPS_TRANSFER_STALLED');
      assert.match(error.message, /stalled \(fewer than 1 KiB in 1 s\)/);
      assert.deepEqual(await fs.readdir(dir), [], 'nothing is left behind');
      await c.close();
    });
  });

  it('stops an upload the server stops reading', async () => {
    await withTempDir('ubiops-waits-', async (dir) => {
      const zip = path.join(dir, 'big.zip');
      await fs.writeFile(zip, Buffer.alloc(32 * 1024 * 1024));
      handler = (request) => request.pause(); // reads nothing, answers nothing
      const c = client({ timeouts: { transferWindowMs: 400, minTransferBytes: 1024 } });
      const started = performance.now();
      const error = await rejection(c.uploadRevision('p', 'e', zip));
      assert.equal(error.code, 'UBIOPS_TRANSFER_STALLED');
      assert.match(error.message, /the upload to 127\.0\.0\.1:\d+ stalled/);
      assert.ok(performance.now() - started < 5_000);
      await c.close();
    });
  });
});
