/**
 * Issue 14, §6: the token. A host on this machine never goes through a proxy, `*.localhost` is resolved to this
 * machine by the client itself, and a server that echoes the `Authorization` header cannot put the token into an
 * error's text.
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import * as net from 'node:net';
import { type Project, UbiOpsApiError, UbiOpsClient, type UbiOpsClientOptions } from '../../../src/api';

const TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

/** A JSON server on `address`; `answer` decides the status and body from the request. */
async function server(
  address: string,
  answer: (request: http.IncomingMessage) => [number, string],
): Promise<{ url: (host?: string) => string; close: () => Promise<void> }> {
  const s = http.createServer((request, response) => {
    const [status, body] = answer(request);
    response.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => s.listen(0, address, resolve));
  const port = (s.address() as net.AddressInfo).port;
  return {
    url: (host = address.includes(':') ? `[${address}]` : address) => `http://${host}:${port}`,
    close: () => new Promise((resolve) => s.close(() => resolve())),
  };
}

async function rejection(promise: Promise<unknown>): Promise<UbiOpsApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof UbiOpsApiError, String(error));
    return error;
  }
  throw new Error('expected a rejection');
}

/** A proxy that counts the connections made to it and closes each at once. */
async function countingProxy(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const proxy = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
    connections: () => connections,
    close: () => new Promise((resolve) => proxy.close(() => resolve())),
  };
}

/** Lists the projects of `host` through a client with these network options, closing it after. */
async function listProjects(host: string, network: UbiOpsClientOptions['network']): Promise<Project[]> {
  const client = new UbiOpsClient({ host, token: TOKEN, network, retry: { maxAttempts: 1 } });
  try {
    return await client.listProjects();
  } finally {
    await client.close();
  }
}

describe('security: the token', () => {
  it('never sends a request to this machine through a proxy, whatever the address in 127.0.0.0/8', async () => {
    const proxy = await countingProxy();
    const servers = [await server('127.0.0.2', () => [200, '[]']), await server('127.45.6.7', () => [200, '[]'])];
    try {
      for (const s of servers) {
        assert.deepEqual(await listProjects(s.url(), { proxy: proxy.url }), []);
      }
      assert.equal(proxy.connections(), 0, 'the proxy saw no connection');
    } finally {
      await Promise.all(servers.map((s) => s.close()));
      await proxy.close();
    }
  });

  it('resolves `*.localhost` to this machine itself (and bypasses a proxy for it)', async () => {
    const proxy = await countingProxy();
    const s = await server('127.0.0.1', (request) => [
      200,
      JSON.stringify([{ id: 'p', name: String(request.headers.host) }]),
    ]);
    try {
      for (const network of [{}, { proxy: proxy.url }]) {
        const [project] = await listProjects(s.url('my-app.localhost'), network);
        assert.match(project.name, /^my-app\.localhost:\d+$/);
      }
      assert.equal(proxy.connections(), 0);
    } finally {
      await s.close();
      await proxy.close();
    }
  });

  it('redacts the token from every error text when the server echoes the Authorization header', async () => {
    const answers: ((authorization: string) => [number, string])[] = [
      (auth) => [401, JSON.stringify({ error: `Invalid token: ${auth}` })],
      (auth) => [400, JSON.stringify({ detail: { authorization: [`${auth} is not allowed`] } })],
      (auth) => [404, `no such thing for ${auth.replace('Token ', '')}`],
      (auth) => [500, JSON.stringify({ error_message: `headers: {"Authorization": "${auth}"}` })],
      () => [403, JSON.stringify({ error: 'echo: Authorization: Token 0123456789abcdef-other-credential' })],
    ];
    for (const answer of answers) {
      const s = await server('127.0.0.1', (request) => answer(String(request.headers.authorization)));
      const client = new UbiOpsClient({ host: s.url(), token: `Token ${TOKEN}`, retry: { maxAttempts: 1 } });
      try {
        const error = await rejection(client.listProjects());
        for (const text of [error.message, error.serverMessage ?? '', String(error)]) {
          assert.doesNotMatch(text, new RegExp(TOKEN), text);
          assert.doesNotMatch(text, /Token (?!\[redacted\])[0-9a-f]{8,}/, text);
        }
        assert.match(error.message, /\[redacted\]/);
      } finally {
        await client.close();
        await s.close();
      }
    }
  });
});
