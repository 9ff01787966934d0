import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { RequestEvent, UbiOpsApiError, UbiOpsClient } from '../../../src/api';
import { useEmulatorSuite } from '../../helpers/emulator';
import { zipOf } from '../../helpers/zip';

const TOKEN = 'unit-test-token-4f2a';
const PROJECT = 'demo-project';

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The error a promise rejects with; fails the test when it resolves. */
async function rejection<T extends Error = UbiOpsApiError>(promise: Promise<unknown>): Promise<T> {
  try {
    await promise;
  } catch (error) {
    return error as T;
  }
  assert.fail('expected the call to fail');
}

describe('UbiOpsClient against the emulator', function () {
  // The web app hands out tokens with their prefix: the client must send it once.
  const lab = useEmulatorSuite({
    token: TOKEN,
    tempPrefix: 'ubiops-client-',
    client: { token: `Token ${TOKEN}`, retry: { baseDelayMs: 20, maxDelayMs: 100 } },
  });

  beforeEach(() => {
    lab.emulator.setFaults({});
  });

  describe('connection', () => {
    it('reads the service status and the projects', async () => {
      assert.deepEqual(await lab.client.getStatus(), { status: 'ok' });
      const projects = await lab.client.listProjects();
      const demo = projects.find((project) => project.name === PROJECT);
      assert.ok(demo, 'the seeded demo project is listed');
      assert.equal(typeof demo.id, 'string');
      assert.equal(typeof demo.organization_name, 'string');
    });

    it('checks a token: valid with its projects, invalid on 401', async () => {
      const good = await lab.client.checkToken();
      assert.equal(good.valid, true);
      assert.ok(good.projects!.length > 0);

      const wrong = new UbiOpsClient({ host: lab.emulator.url, token: 'not-the-token' });
      try {
        assert.deepEqual(await wrong.checkToken(), { valid: false });
        const error = await rejection(wrong.listProjects());
        assert.equal(error.status, 401);
        assert.match(error.message, /401/);
        assert.match(error.message, /Sign in again/);
        assert.ok(!error.message.includes('not-the-token'), 'the token never appears in errors');
        assert.ok(error.serverMessage);
      } finally {
        await wrong.close();
      }
    });

    it('names the host and the cause when nothing listens', async () => {
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as net.AddressInfo).port;
      await new Promise((resolve) => server.close(resolve));
      const offline = new UbiOpsClient({
        host: `http://127.0.0.1:${port}`,
        token: TOKEN,
        retry: { maxAttempts: 2, baseDelayMs: 10 },
      });
      try {
        const error = await rejection(offline.listProjects());
        assert.ok(error instanceof UbiOpsApiError);
        assert.equal(error.status, undefined);
        assert.equal(error.code, 'ECONNREFUSED');
        assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
        assert.match(error.message, /connection refused/);
      } finally {
        await offline.close();
      }
    });

    it('refuses to send a token over plain http to another machine', () => {
      assert.throws(() => new UbiOpsClient({ host: 'http://ubiops.example.com', token: TOKEN }), /plain http/);
    });
  });

  describe('environments', () => {
    it('lists with the type, label and request-format filters', async () => {
      const all = await lab.client.listEnvironments(PROJECT);
      const base = await lab.client.listEnvironments(PROJECT, { environment_type: 'base' });
      const custom = await lab.client.listEnvironments(PROJECT, { environment_type: 'custom' });
      assert.ok(base.length > 0 && custom.length > 0);
      assert.ok(base.every((environment) => environment.project === null));
      assert.ok(custom.every((environment) => environment.project === PROJECT));
      assert.equal(all.length, base.length + custom.length);

      const labelled = custom.find((environment) => Object.keys(environment.labels ?? {}).length > 0);
      assert.ok(labelled, 'the seed has a labelled environment');
      const [key, value] = Object.entries(labelled.labels ?? {})[0];
      const byLabel = await lab.client.listEnvironments(PROJECT, { labels: { [key]: value, nosuch: 'label' } });
      assert.ok(byLabel.some((environment) => environment.name === labelled.name));
      assert.ok(byLabel.every((environment) => environment.labels?.[key] === value));

      const supporting = await lab.client.listEnvironments(PROJECT, { supports_request_format: true });
      assert.ok(supporting.every((environment) => environment.supports_request_format === true));
    });

    it('creates, reads, renames, relabels and deletes an environment', async () => {
      const created = await lab.client.createEnvironment(PROJECT, {
        name: 'client-lifecycle',
        base_environment: 'python3-12',
        description: 'made by the client test',
        labels: { team: 'ml', stage: 'dev' },
      });
      assert.equal(created.name, 'client-lifecycle');
      assert.equal(created.display_name, 'client-lifecycle', 'display name defaults to the name');
      assert.equal(created.base_environment, 'python3-12');
      assert.equal(created.project, PROJECT);

      const detail = await lab.client.getEnvironment(PROJECT, 'client-lifecycle');
      assert.equal(detail.id, created.id);
      assert.equal(detail.latest_revision, null);
      assert.equal(detail.active_build, null);

      const renamed = await lab.client.updateEnvironment(PROJECT, 'client-lifecycle', {
        name: 'client-lifecycle-2',
        display_name: 'Lifecycle',
        labels: { stage: 'prod' },
      });
      assert.equal(renamed.name, 'client-lifecycle-2');
      assert.equal(renamed.display_name, 'Lifecycle');
      assert.deepEqual(renamed.labels, { stage: 'prod' }, 'labels are replaced whole');
      assert.equal((await rejection(lab.client.getEnvironment(PROJECT, 'client-lifecycle'))).status, 404);

      assert.deepEqual(await lab.client.listEnvironmentUsage(PROJECT, 'client-lifecycle-2'), []);
      await lab.client.deleteEnvironment(PROJECT, 'client-lifecycle-2');
      const gone = await rejection(lab.client.getEnvironment(PROJECT, 'client-lifecycle-2'));
      assert.equal(gone.status, 404);
      assert.match(gone.message, /refresh/);
    });

    it('carries the server message of a 400', async () => {
      await lab.client.createEnvironment(PROJECT, { name: 'client-duplicate', base_environment: 'python3-12' });
      const error = await rejection(
        lab.client.createEnvironment(PROJECT, { name: 'client-duplicate', base_environment: 'python3-12' }),
      );
      assert.equal(error.status, 400);
      assert.equal(error.method, 'POST');
      assert.equal(error.path, `/projects/${PROJECT}/environments`);
      assert.ok(error.serverMessage && /client-duplicate/.test(error.serverMessage), error.serverMessage);
      assert.ok(error.message.includes(error.serverMessage));
      await lab.client.deleteEnvironment(PROJECT, 'client-duplicate');
    });

    it('is refused deleting an environment a deployment version uses, and lists the usage', async () => {
      await lab.client.createEnvironment(PROJECT, { name: 'client-used', base_environment: 'python3-12' });
      lab.emulator.addDeploymentVersion(PROJECT, 'client-used', { deployment: 'scorer', version: 'v1' });
      const usage = await lab.client.listEnvironmentUsage(PROJECT, 'client-used');
      assert.deepEqual(
        usage.map((item) => [item.deployment, item.version, item.environment]),
        [['scorer', 'v1', 'client-used']],
      );
      const error = await rejection(lab.client.deleteEnvironment(PROJECT, 'client-used'));
      assert.equal(error.status, 400);
      assert.match(error.serverMessage ?? '', /scorer/);
      assert.ok((await lab.client.getEnvironment(PROJECT, 'client-used')).id, 'still there');
    });

    it('answers 404 with a clear message for an unknown environment', async () => {
      const error = await rejection(lab.client.getEnvironment(PROJECT, 'no-such-environment'));
      assert.equal(error.status, 404);
      assert.equal(error.path, `/projects/${PROJECT}/environments/no-such-environment`);
      assert.ok(error.serverMessage);
    });
  });

  describe('revisions and builds', () => {
    const requirements = 'numpy==1.26.4\nrequests>=2.31\n';
    const ubiopsYaml = 'environment_variables:\n  - PIP_NO_CACHE_DIR=1\napt:\n  packages:\n    - libgomp1\n';
    let zip: Buffer;
    let zipPath: string;

    before(async () => {
      await lab.client.createEnvironment(PROJECT, { name: 'client-builds', base_environment: 'python3-12' });
      zip = await zipOf({ 'requirements.txt': requirements, 'ubiops.yaml': ubiopsYaml, 'model.py': 'print(1)\n' });
      zipPath = await lab.tempFile('my-env.zip', zip);
    });

    it('uploads a zip with progress, builds it, and serves its dependency files', async () => {
      const progress: number[] = [];
      const created = await lab.client.uploadRevision(PROJECT, 'client-builds', zipPath, {
        onProgress: ({ bytes, total }) => {
          assert.equal(total, zip.length);
          progress.push(bytes);
        },
      });
      assert.equal(created.success, true);
      assert.equal(progress.at(-1), zip.length, 'progress reaches the file size');
      assert.deepEqual(
        [...progress].sort((a, b) => a - b),
        progress,
        'progress only grows',
      );

      const revision = await lab.client.getRevision(PROJECT, 'client-builds', created.revision);
      assert.equal(revision.environment, 'client-builds');
      assert.equal(revision.expired, false);
      assert.ok(
        (await lab.client.listRevisions(PROJECT, 'client-builds')).some((item) => item.id === created.revision),
      );

      const build = await lab.client.getBuild(PROJECT, 'client-builds', created.revision, created.build);
      assert.equal(build.status, 'success');
      assert.equal(build.error_message, '');
      assert.equal(build.trigger, 'Environment file upload');
      assert.ok(typeof build.size === 'number' && build.size > 0);
      assert.deepEqual(
        (await lab.client.listBuilds(PROJECT, 'client-builds', created.revision)).map((item) => item.id),
        [created.build],
      );

      const files = await lab.client.listBuildDependencyFiles(
        PROJECT,
        'client-builds',
        created.revision,
        created.build,
      );
      assert.deepEqual(files.map((file) => [file.name, file.content]).sort(), [
        ['requirements.txt', requirements],
        ['ubiops.yaml', ubiopsYaml],
      ]);

      const environment = await lab.client.getEnvironment(PROJECT, 'client-builds');
      assert.equal(environment.latest_revision, created.revision);
      assert.equal(environment.active_build, created.build);
    });

    it('downloads the very bytes uploaded, named by Content-Disposition, without replacing a file', async () => {
      const { revision } = await lab.client.uploadRevision(PROJECT, 'client-builds', zipPath);
      const target = await fs.mkdtemp(path.join(lab.dir, 'download-'));
      const progress: number[] = [];
      const first = await lab.client.downloadRevision(PROJECT, 'client-builds', revision, {
        directory: target,
        onProgress: ({ bytes }) => progress.push(bytes),
      });
      assert.equal(first.fileName, 'my-env.zip');
      assert.equal(first.path, path.join(target, 'my-env.zip'));
      assert.equal(first.bytes, zip.length);
      assert.equal(sha(await fs.readFile(first.path)), sha(zip));
      assert.equal(progress.at(-1), zip.length);

      const second = await lab.client.downloadRevision(PROJECT, 'client-builds', revision, { directory: target });
      assert.equal(second.path, path.join(target, 'my-env (1).zip'));
      assert.deepEqual((await fs.readdir(target)).sort(), ['my-env (1).zip', 'my-env.zip']);
    });

    it('reports a failed build for an upload that is not a zip', async () => {
      const notZip = await lab.tempFile('requirements.zip', Buffer.from('numpy==1.0\n'));
      const { revision, build } = await lab.client.uploadRevision(PROJECT, 'client-builds', notZip);
      const result = await lab.client.getBuild(PROJECT, 'client-builds', revision, build);
      assert.equal(result.status, 'failed');
      assert.match(result.error_message ?? '', /zip/i);
    });

    it('copies the files of another environment', async () => {
      await lab.client.createEnvironment(PROJECT, { name: 'client-copy', base_environment: 'python3-12' });
      const copied = await lab.client.copyRevision(PROJECT, 'client-copy', 'client-builds');
      assert.equal(copied.success, true);
      const files = await lab.client.listBuildDependencyFiles(PROJECT, 'client-copy', copied.revision, copied.build);
      assert.ok(files.some((file) => file.name === 'requirements.txt' && file.content === requirements));
    });

    it('rebuilds a revision into a new build', async () => {
      const { revision, build } = await lab.client.uploadRevision(PROJECT, 'client-builds', zipPath);
      const rebuilt = await lab.client.rebuildRevision(PROJECT, 'client-builds', revision);
      assert.notEqual(rebuilt.id, build);
      assert.equal(rebuilt.revision, revision);
      assert.equal(rebuilt.trigger, 'Rebuild triggered');
      const builds = await lab.client.listBuilds(PROJECT, 'client-builds', revision);
      assert.deepEqual(builds.map((item) => item.id).sort(), [build, rebuilt.id].sort());
    });
  });

  describe('cancelling', () => {
    // Builds that take 30 s: still running when cancelled.
    const slow = useEmulatorSuite({ token: TOKEN, tempPrefix: 'ubiops-cancel-', emulator: { buildSeconds: 30 } });

    it('cancels a running build and is refused cancelling a finished one', async () => {
      await slow.client.createEnvironment('demo-project', { name: 'slow', base_environment: 'python3-12' });
      const zipPath = await lab.tempFile('slow.zip', await zipOf({ 'requirements.txt': 'numpy\n' }));
      const { revision, build } = await slow.client.uploadRevision('demo-project', 'slow', zipPath);
      const running = await slow.client.getBuild('demo-project', 'slow', revision, build);
      assert.ok(['queued', 'building', 'processing'].includes(running.status));

      const cancelled = await slow.client.cancelBuild('demo-project', 'slow', revision, build);
      assert.equal(cancelled.status, 'cancelled');
      const again = await rejection(slow.client.cancelBuild('demo-project', 'slow', revision, build));
      assert.equal(again.status, 400);
      assert.ok(again.serverMessage);
    });
  });

  describe('faults and retries', () => {
    /** A client of the emulator that repeats at once, telling `onRequest` of each attempt. */
    const quickClient = (onRequest: (event: RequestEvent) => void): UbiOpsClient =>
      new UbiOpsClient({ host: lab.emulator.url, token: TOKEN, retry: { baseDelayMs: 10 }, onRequest });

    it('waits out a 429 as x-ratelimit-reset says, then succeeds', async function () {
      this.timeout(15_000);
      lab.emulator.setFaults({ rateLimitPerMinute: 2, rateLimitWindowSeconds: 2 });
      await lab.client.listProjects();
      await lab.client.listProjects();
      const started = performance.now();
      const projects = await lab.client.listProjects();
      assert.ok(projects.length > 0);
      const limited = lab.events.filter((event) => event.status === 429);
      assert.ok(limited.length >= 1, 'a 429 was met');
      assert.ok(
        limited[0].retryInMs! >= 1000,
        `waited for the reset, not a blind backoff (${limited[0].retryInMs} ms)`,
      );
      assert.ok(performance.now() - started >= 1000);
    });

    it('gives up on a rate limit longer than it accepts, saying when to try again', async () => {
      const impatient = new UbiOpsClient({ host: lab.emulator.url, token: TOKEN, retry: { maxRateLimitWaitMs: 100 } });
      try {
        lab.emulator.setFaults({ rateLimitPerMinute: 1 });
        await impatient.listProjects();
        const error = await rejection(impatient.listProjects());
        assert.equal(error.status, 429);
        assert.ok(error.retryAfterSeconds! > 1);
        assert.match(error.message, /try again in \d+ s/);
      } finally {
        await impatient.close();
      }
    });

    it('repeats a GET answered with 503 and succeeds', async () => {
      lab.emulator.setFaults({ errorRate: 1, errorStatuses: [503] });
      const flaky = quickClient((event) => {
        lab.events.push(event);
        lab.emulator.setFaults({});
      });
      try {
        assert.ok((await flaky.listEnvironments(PROJECT)).length > 0);
        assert.equal(lab.events.length, 2);
        assert.equal(lab.events[0].status, 503);
        assert.equal(lab.events[1].status, 200);
      } finally {
        await flaky.close();
      }
    });

    it('repeats a GET answered with 500, but never a create answered with 500', async () => {
      lab.emulator.setFaults({ errorRate: 1, errorStatuses: [500] });
      const seen: RequestEvent[] = [];
      const flaky = quickClient((event) => {
        seen.push(event);
        if (event.method === 'GET') lab.emulator.setFaults({});
      });
      try {
        assert.ok((await flaky.listProjects()).length > 0);
        assert.deepEqual(
          seen.map((event) => event.status),
          [500, 200],
        );
        lab.emulator.setFaults({ errorRate: 1, errorStatuses: [500] });
        seen.length = 0;
        const error = await rejection(
          flaky.createEnvironment(PROJECT, { name: 'client-500', base_environment: 'python3-12' }),
        );
        assert.equal(error.status, 500);
        assert.equal(seen.length, 1, 'a POST answered 500 is not sent again: the server may have acted on it');
      } finally {
        lab.emulator.setFaults({});
        await flaky.close();
      }
    });

    it('repeats a GET whose connection was dropped', async () => {
      lab.emulator.setFaults({ dropRate: 1 });
      const flaky = quickClient((event) => {
        lab.events.push(event);
        lab.emulator.setFaults({});
      });
      try {
        assert.ok((await flaky.listProjects()).length > 0);
        assert.equal(lab.events[0].status, undefined);
        assert.ok(lab.events[0].error);
        assert.equal(lab.events.at(-1)!.status, 200);
      } finally {
        await flaky.close();
      }
    });

    it('never sends an upload again once its body started', async () => {
      await lab.client.createEnvironment(PROJECT, { name: 'client-once', base_environment: 'python3-12' });
      const zipPath = await lab.tempFile('once.zip', await zipOf({ 'requirements.txt': 'numpy\n' }));
      // 503 is repeated for a GET; an upload whose body has started must not be.
      lab.emulator.setFaults({ errorRate: 1, errorStatuses: [503] });
      lab.events = [];
      const error = await rejection(lab.client.uploadRevision(PROJECT, 'client-once', zipPath));
      lab.emulator.setFaults({});
      assert.equal(error.status, 503);
      assert.equal(lab.events.filter((event) => event.method === 'POST').length, 1, 'one attempt only');
      assert.deepEqual(await lab.client.listRevisions(PROJECT, 'client-once'), [], 'nothing half-created');
    });

    it('aborts a download mid-way, down to the socket, leaving no file', async function () {
      this.timeout(20_000);
      await lab.client.createEnvironment(PROJECT, { name: 'client-big', base_environment: 'python3-12' });
      const big = await zipOf({ 'requirements.txt': 'numpy\n', 'weights.bin': randomBytes(24 * 1024 * 1024) });
      const bigPath = await lab.tempFile('big.zip', big);
      const { revision } = await lab.client.uploadRevision(PROJECT, 'client-big', bigPath);
      const target = await fs.mkdtemp(path.join(lab.dir, 'abort-'));
      const controller = new AbortController();
      const error = await rejection<Error>(
        lab.client.downloadRevision(PROJECT, 'client-big', revision, {
          directory: target,
          signal: controller.signal,
          onProgress: ({ bytes }) => {
            if (bytes > 1024 * 1024) {
              controller.abort();
            }
          },
        }),
      );
      assert.equal(error.name, 'AbortError');
      assert.deepEqual(await fs.readdir(target), [], 'no partial file is left');
    });

    it('aborts a call waiting out a rate limit at once', async () => {
      lab.emulator.setFaults({ rateLimitPerMinute: 1 });
      await lab.client.listProjects();
      const controller = new AbortController();
      const pending = lab.client.listProjects({}, { signal: controller.signal });
      setTimeout(() => controller.abort(), 100);
      const started = performance.now();
      const error = await rejection<Error>(pending);
      assert.equal(error.name, 'AbortError');
      assert.ok(performance.now() - started < 2000);
    });
  });
});

describe('UbiOpsClient against odd servers', () => {
  let server: http.Server;
  let url: string;
  let handler: (request: http.IncomingMessage, response: http.ServerResponse) => void;

  before(async () => {
    server = http.createServer((request, response) => handler(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
    url = `http://127.0.0.2:${(server.address() as net.AddressInfo).port}`;
  });

  after(() => new Promise((resolve) => server.close(resolve)));

  it('keeps fields it does not know', async () => {
    handler = (_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          id: 'b1',
          revision: 'r1',
          creation_date: 'x',
          status: 'building',
          error_message: '',
          trigger: 't',
          size: null,
          log_url: 'https://logs',
        }),
      );
    };
    const client = new UbiOpsClient({ host: url, token: TOKEN });
    const build = await client.getBuild('p', 'e', 'r1', 'b1');
    assert.equal(build.log_url, 'https://logs');
    assert.equal(build.status, 'building');
    await client.close();
  });

  it('sends the token once, with its prefix, and encodes path segments', async () => {
    let seen: http.IncomingHttpHeaders = {};
    let seenUrl = '';
    handler = (request, response) => {
      seen = request.headers;
      seenUrl = request.url ?? '';
      response.setHeader('content-type', 'application/json');
      response.end('[]');
    };
    const client = new UbiOpsClient({ host: url, token: 'Token Token secret' });
    await client.listRevisions('my project', 'env/1');
    assert.equal(seen.authorization, 'Token secret');
    assert.equal(seenUrl, '/v2.1/projects/my%20project/environments/env%2F1/revisions');
    await client.close();
  });

  it('says clearly when the answer is not what UbiOps sends', async () => {
    handler = (_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end('<html>a login page</html>');
    };
    const client = new UbiOpsClient({ host: url, token: TOKEN });
    const notJson = await rejection(client.listProjects());
    assert.match(notJson.message, /not JSON/);
    handler = (_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end('{"results": []}');
    };
    const wrongShape = await rejection(client.listProjects());
    assert.match(wrongShape.message, /expected a list of objects .* got object/);
    await client.close();
  });

  it('goes through a proxy for a host that is not this machine', async () => {
    // The proxy sees the tunnel asked for and refuses it: nothing leaves this machine. (Hosts on this machine never
    // go through a proxy: test/unit/security/token.test.ts.)
    const targets: string[] = [];
    const proxy = net.createServer();
    proxy.on('connection', (socket) => {
      socket.once('data', (head) => {
        targets.push(/^CONNECT ([^ ]+) /.exec(head.toString())?.[1] ?? 'not a CONNECT');
        socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    const proxied = new UbiOpsClient({
      host: 'https://api.ubiops.invalid',
      token: TOKEN,
      network: { proxy: proxyUrl },
      retry: { maxAttempts: 1 },
    });
    try {
      await rejection(proxied.listProjects());
      assert.deepEqual(targets, ['api.ubiops.invalid:443'], 'the request went through the proxy');
    } finally {
      await proxied.close();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
