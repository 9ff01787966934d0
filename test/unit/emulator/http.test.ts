import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { Emulator } from '../../../src/emulator';
import { call, createEnvironment, PROJECT, TOKEN, upload, useEmulator } from './helpers';

/** A raw signed-in POST, for bodies fetch will not send (chunked without length, partial multipart). */
function rawPost(
  emu: Emulator,
  path: string,
  headers: Record<string, string>,
  write: (req: http.ClientRequest) => void,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const url = new URL(`${emu.url}${path}`);
  headers = { Authorization: `Token ${TOKEN}`, ...headers };
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    write(req);
  });
}

describe('emulator HTTP: auth and errors', () => {
  const emu = useEmulator({ maxUploadBytes: 10_000 });

  it('answers /status without a token', async () => {
    const answer = await call(emu, 'GET', '/status', { token: null });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { status: 'ok' });
  });

  it('refuses a missing token', async () => {
    const answer = await call(emu, 'GET', '/projects', { token: null });
    assert.equal(answer.status, 401);
    assert.deepEqual(answer.body, { error: 'Authentication credentials were not provided.' });
  });

  it('refuses a wrong token', async () => {
    const answer = await call(emu, 'GET', '/projects', { token: 'nope' });
    assert.equal(answer.status, 401);
    assert.deepEqual(answer.body, { error: 'Invalid token.' });
  });

  it('refuses a doubled Token prefix', async () => {
    const answer = await call(emu, 'GET', '/projects', { token: `Token ${TOKEN}` });
    assert.equal(answer.status, 401);
    assert.deepEqual(answer.body, { error: 'Invalid token.' });
  });

  it('accepts the right token and tolerates a trailing slash', async () => {
    const answer = await call<{ name: string }[]>(emu, 'GET', '/projects/');
    assert.equal(answer.status, 200);
    assert.ok(answer.body.some((p) => p.name === PROJECT));
  });

  it('filters projects by labels', async () => {
    const answer = await call<{ name: string }[]>(emu, 'GET', '/projects?labels=purpose:sandbox');
    assert.deepEqual(
      answer.body.map((p) => p.name),
      ['sandbox-project'],
    );
  });

  it('answers 404 naming an unknown project, environment, revision and build', async () => {
    const p = await call(emu, 'GET', '/projects/nowhere/environments');
    assert.equal(p.status, 404);
    assert.match(p.body.error, /nowhere/);
    const e = await call(emu, 'GET', `/projects/${PROJECT}/environments/ghost`);
    assert.equal(e.status, 404);
    assert.match(e.body.error, /ghost/);
    const r = await call(emu, 'GET', `/projects/${PROJECT}/environments/data-science/revisions/r-123`);
    assert.equal(r.status, 404);
    assert.match(r.body.error, /r-123/);
    const revs = await call<{ id: string }[]>(emu, 'GET', `/projects/${PROJECT}/environments/data-science/revisions`);
    const b = await call(
      emu,
      'GET',
      `/projects/${PROJECT}/environments/data-science/revisions/${revs.body[0].id}/builds/b-9`,
    );
    assert.equal(b.status, 404);
    assert.match(b.body.error, /b-9/);
  });

  it('answers 404 JSON for an unknown route', async () => {
    for (const path of ['/nothing', '/projects/x/y', '']) {
      const answer = await call(emu, 'GET', path);
      assert.equal(answer.status, 404, path);
      assert.equal(typeof answer.body.error, 'string');
    }
  });

  it('answers 405 with Allow for a wrong method', async () => {
    const answer = await call(emu, 'PUT', `/projects/${PROJECT}/environments/data-science`, { json: {} });
    assert.equal(answer.status, 405);
    assert.equal(answer.headers.get('allow'), 'GET, PATCH, DELETE');
    assert.equal(typeof answer.body.error, 'string');
    const status = await call(emu, 'POST', '/status', { token: null });
    assert.equal(status.status, 405);
    assert.equal(status.headers.get('allow'), 'GET');
  });

  it('answers 400 to malformed JSON and to a non-object body', async () => {
    const bad = await call(emu, 'POST', `/projects/${PROJECT}/environments`, {
      body: '{"name": "x",',
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /JSON/);
    const array = await call(emu, 'POST', `/projects/${PROJECT}/environments`, { json: ['x'] });
    assert.equal(array.status, 400);
  });

  it('answers 415 to a JSON endpoint given another content type', async () => {
    const answer = await call(emu, 'POST', `/projects/${PROJECT}/environments`, {
      body: 'name=x&base_environment=python3-12',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(answer.status, 415);
    assert.equal(typeof answer.body.error, 'string');
    const upload = await call(emu, 'POST', `/projects/${PROJECT}/environments/data-science/revisions`, {
      json: { source_environment: 'x' },
    });
    assert.equal(upload.status, 415);
  });

  it('answers 413 to a JSON body over 1 MiB, and keeps serving', async () => {
    const big = JSON.stringify({
      name: 'big',
      base_environment: 'python3-12',
      description: 'x'.repeat(1024 * 1024 + 10),
    });
    const answer = await call(emu, 'POST', `/projects/${PROJECT}/environments`, {
      body: big,
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(answer.status, 413);
    assert.equal(typeof answer.body.error, 'string');
    const chunked = await rawPost(
      emu,
      `/projects/${PROJECT}/environments`,
      { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      (req) => {
        req.write('{"name": "big", "description": "');
        req.write('y'.repeat(1024 * 1024 + 10));
        req.end('"}');
      },
    );
    assert.equal(chunked.status, 413);
    assert.ok((await call(emu, 'GET', '/projects')).status === 200);
    const gone = await call(emu, 'GET', `/projects/${PROJECT}/environments/big`);
    assert.equal(gone.status, 404);
  });

  it('answers 413 to an upload over maxUploadBytes, by length and while streaming', async () => {
    await createEnvironment(emu, 'big-upload');
    const revisionsPath = `/projects/${PROJECT}/environments/big-upload/revisions`;
    const byLength = await upload(emu, 'big-upload', new Uint8Array(50_000), 'big.zip');
    // The declared length is within limit + multipart allowance, so this one is caught while streaming.
    assert.equal(byLength.status, 413);
    const boundary = 'XBOUNDARYX';
    const multipart = `multipart/form-data; boundary=${boundary}`;
    const streamed = await rawPost(
      emu,
      revisionsPath,
      { 'Content-Type': multipart, 'Transfer-Encoding': 'chunked' },
      (req) => {
        req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.zip"\r\n\r\n`);
        for (let i = 0; i < 20; i++) req.write(Buffer.alloc(5_000, 1));
        req.end(`\r\n--${boundary}--\r\n`);
      },
    );
    assert.equal(streamed.status, 413);
    assert.match(JSON.parse(streamed.body).error, /10000/);
    const declared = await rawPost(
      emu,
      revisionsPath,
      { 'Content-Type': multipart, 'Content-Length': String(5 * 1024 * 1024) },
      (req) => req.end(`--${boundary}\r\n`),
    );
    assert.equal(declared.status, 413);
    const revisions = await call<unknown[]>(emu, 'GET', revisionsPath);
    assert.deepEqual(revisions.body, []);
    const small = await upload(emu, 'big-upload', new Uint8Array(100), 'small.zip');
    assert.equal(small.status, 201);
  });

  it('answers 400 to a malformed multipart body without crashing', async () => {
    await createEnvironment(emu, 'bad-multipart');
    const post = (contentType: string, body: string): ReturnType<typeof rawPost> =>
      rawPost(
        emu,
        `/projects/${PROJECT}/environments/bad-multipart/revisions`,
        { 'Content-Type': contentType },
        (req) => req.end(body),
      );
    const partial = '--abc\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n\r\npartial';
    assert.equal((await post('multipart/form-data; boundary=abc', partial)).status, 400);
    assert.equal((await post('multipart/form-data', 'x')).status, 400, 'no boundary');
    assert.equal((await call(emu, 'GET', '/status')).status, 200);
  });

  it('answers a garbage request line with 400 and keeps serving', async () => {
    const url = new URL(emu.url);
    const net = await import('node:net');
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname, () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let data = '';
      socket.on('data', (c) => (data += c.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    assert.match(reply, /^HTTP\/1\.1 400/);
    assert.equal((await call(emu, 'GET', '/status')).status, 200);
  });

  it('keeps a keep-alive connection usable after refusing a body it did not read', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const url = new URL(emu.url);
    const send = (path: string, method: string, body?: string): Promise<{ status: number; reused: boolean }> =>
      new Promise((resolve, reject) => {
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            path: `/v2.1${path}`,
            method,
            agent,
            headers: { Authorization: `Token ${TOKEN}`, 'Content-Type': 'application/json' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      assert.equal((await send('/projects', 'GET')).status, 200);
      assert.equal(
        (await send(`/projects/${PROJECT}/environments/python3-12`, 'PATCH', '{"description": "x"}')).status,
        403,
      );
      const next = await send('/projects', 'GET');
      assert.deepEqual(next, { status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });

  // How fast is measured in bench/emulator.ts, not here: a test asserts that every request is answered.
  it('answers 1,000 concurrent list requests, every one with 200', async () => {
    // node:http with keep-alive: the client shares this process, and fetch's own cost would be measured too.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1000 });
    const url = new URL(`${emu.url}/projects/${PROJECT}/environments`);
    const get = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = http.get(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            headers: { Authorization: `Token ${TOKEN}` },
            agent,
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
      });
    try {
      const statuses = await Promise.all(Array.from({ length: 1000 }, get));
      assert.equal(statuses.length, 1000);
      assert.ok(
        statuses.every((s) => s === 200),
        `statuses: ${[...new Set(statuses)].join(', ')}`,
      );
    } finally {
      agent.destroy();
    }
  });
});
