/**
 * A local server of the UbiOps API v2.1 environment endpoints (`docs/ubiops-api/Environments.md`): the extension's
 * test double, and a way to try the extension without an account.
 *
 * Where the reference and the platform notes are silent, the emulator makes a choice; `CHOICES.md` beside this file
 * lists every one. This file is the server: it starts the store and the builds, and runs each request through the
 * middleware (`middleware.ts`) to its handler (`router.ts`, `handlers/`).
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BuildRunner } from './builds';
import type { Services } from './handlers/services';
import { API_PREFIX, drainThenClose, HttpError, pathSegments, requestUrl, sendJson } from './http';
import { BuildLogs } from './logs';
import { findEnvironment } from './lookup';
import { authenticate, Bandwidth, checkHost, delay, injectFaults, RateLimiter } from './middleware';
import {
  DEFAULT_MAX_UPLOAD,
  DEFAULT_PORT,
  DEFAULT_TOKEN,
  DEFAULT_USER,
  DEFAULT_USER_NAME,
  DEFAULT_USER_SURNAME,
  type Emulator,
  type EmulatorOptions,
  type EmulatorStats,
  type Faults,
} from './options';
import { Router } from './router';
import { seed } from './seed';
import { Store } from './store';

export async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  const store = await Store.open(options.dataDir);
  const buildSeconds = options.buildSeconds ?? 5;
  const logs = new BuildLogs(store, (options.logDelaySeconds ?? 0) * 1000);
  const runner = new BuildRunner(store, buildSeconds, logs);
  try {
    if ((options.seed ?? true) && store.isEmpty) {
      await seed(store, runner, buildSeconds, options.user ?? DEFAULT_USER);
      await store.save();
    }
    runner.resumeAll();
    const app = new App(store, runner, options, logs);
    return await app.listen(options.port ?? DEFAULT_PORT, options.host ?? '127.0.0.1');
  } catch (err) {
    await runner.close();
    await store.close();
    throw err;
  }
}

class App {
  private readonly tokens: Set<string>;
  private faults: Faults;
  private readonly rateLimiter = new RateLimiter();
  private readonly bandwidth = new Bandwidth(() => this.faults.bandwidthMbps ?? 0);
  private readonly background = new Set<Promise<unknown>>();
  private readonly router: Router;
  private server: http.Server | null = null;
  private readonly counts: EmulatorStats = { connections: 0, requests: 0 };

  constructor(
    private readonly store: Store,
    private readonly runner: BuildRunner,
    private readonly options: EmulatorOptions,
    logs: BuildLogs,
  ) {
    this.tokens = new Set(options.tokens && options.tokens.length > 0 ? options.tokens : [DEFAULT_TOKEN]);
    this.faults = { ...(options.faults ?? {}) };
    const services: Services = {
      store,
      runner,
      logs,
      bandwidth: this.bandwidth,
      user: {
        email: options.user ?? DEFAULT_USER,
        name: options.userName ?? DEFAULT_USER_NAME,
        surname: options.userSurname ?? DEFAULT_USER_SURNAME,
      },
      buildSeconds: options.buildSeconds ?? 5,
      maxUploadBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD,
    };
    this.router = new Router(services);
  }

  listen(port: number, host: string): Promise<Emulator> {
    const server = this.createServer();
    this.server = server;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        server.removeListener('listening', onListening);
        reject(err);
      };
      const onListening = (): void => {
        server.removeListener('error', onError);
        resolve(this.handle((server.address() as AddressInfo).port, host));
      };
      server.once('error', onError);
      server.once('listening', onListening);
      // A deep backlog: a burst of a thousand connects must not wait for SYN retries.
      server.listen({ port, host, backlog: 4096 });
    });
  }

  private createServer(): http.Server {
    const headersTimeout = this.options.headersTimeoutMs ?? 20_000;
    const server = http.createServer(
      {
        keepAlive: true,
        // A whole request may take long (a 2 GiB upload), its headers not; a kept-alive connection idles 5 s at most.
        requestTimeout: 30 * 60_000,
        headersTimeout,
        keepAliveTimeout: 5_000,
        connectionsCheckingInterval: Math.max(50, Math.min(5_000, headersTimeout / 4)),
      },
      (req, res) => {
        const p = this.serve(req, res);
        this.background.add(p);
        void p.finally(() => this.background.delete(p));
      },
    );
    // Also closes a connection that never sends a request, which no timeout above covers.
    server.timeout = this.options.idleTimeoutMs ?? 60_000;
    server.on('connection', () => this.counts.connections++);
    server.on('clientError', (_err, socket) => {
      if (socket.writable) {
        const body = JSON.stringify({ error: 'Bad request.' });
        socket.end(
          `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      } else {
        socket.destroy();
      }
    });
    return server;
  }

  /** The handle `start()` gives its caller. */
  private handle(port: number, host: string): Emulator {
    const shownHost = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
    const urlHost = shownHost.includes(':') ? `[${shownHost}]` : shownHost;
    return {
      url: `http://${urlHost}:${port}${API_PREFIX}`,
      port,
      setFaults: (f) => this.setFaults(f),
      addDeploymentVersion: (p, e, v) => this.addDeploymentVersion(p, e, v),
      expireRevision: (p, e, r) => this.expireRevision(p, e, r),
      setTokens: (tokens) => {
        this.tokens.clear();
        tokens.forEach((token) => this.tokens.add(token));
      },
      stats: () => ({ ...this.counts }),
      close: () => this.close(),
    };
  }

  private setFaults(f: Faults): void {
    this.faults = { ...f };
    this.rateLimiter.reset();
    this.bandwidth.reset();
  }

  private async close(): Promise<void> {
    const server = this.server;
    if (server) {
      this.server = null;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    }
    await Promise.allSettled([...this.background]);
    await this.runner.close();
    await this.store.close();
  }

  private addDeploymentVersion(
    project: string,
    environment: string,
    v: { deployment: string; version: string; status?: string },
  ): void {
    const env = findEnvironment(this.store.state, project, environment);
    if (!env) {
      throw new Error(`Environment "${environment}" not found in project "${project}".`);
    }
    this.store.state.deploymentVersions.push({
      id: randomUUID(),
      project,
      deployment: v.deployment,
      version: v.version,
      environmentId: env.id,
      status: v.status ?? 'available',
    });
    this.inBackground(this.store.save());
  }

  private expireRevision(project: string, environment: string, revisionId: string): void {
    const env = findEnvironment(this.store.state, project, environment);
    const rev = env && this.store.state.revisions.find((r) => r.id === revisionId && r.environmentId === env.id);
    if (!rev) {
      throw new Error(`Revision "${revisionId}" not found for environment "${environment}" in project "${project}".`);
    }
    rev.expired = true;
    // The file goes only once the saved metadata no longer points at it.
    this.inBackground(this.store.save().then(() => this.store.removeZip(rev.id)));
  }

  private inBackground(p: Promise<unknown>): void {
    const tracked = p.catch(() => undefined);
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }

  // ---- request pipeline -------------------------------------------------------------------------------------

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const startedAt = performance.now();
    this.counts.requests++;
    res.on('finish', () => {
      this.options.log?.(`${req.method} ${req.url} ${res.statusCode} ${Math.round(performance.now() - startedAt)}ms`);
    });
    try {
      await this.dispatch(req, res);
    } catch (err) {
      fail(req, res, err);
    }
  }

  /** The order of checks of `CHOICES.md`: host, latency, `/status`, rate limit, faults, route, auth, method. */
  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    checkHost(req, this.options.host ?? '127.0.0.1');
    await delay(this.faults);
    const url = requestUrl(req);
    const segments = pathSegments(url.pathname);
    const method = req.method ?? 'GET';

    if (segments && segments.length === 1 && segments[0] === 'status') {
      if (method !== 'GET') {
        throw new HttpError(405, `Method "${method}" not allowed.`, { Allow: 'GET' });
      }
      sendJson(res, 200, { status: 'ok' });
      return;
    }

    this.rateLimiter.apply(req, res, this.faults);
    if (injectFaults(req, this.faults)) {
      return;
    }
    const match = segments ? this.router.match(segments) : null;
    if (!match) {
      throw new HttpError(404, `Not found: ${url.pathname}`);
    }
    authenticate(req, this.tokens);
    const handler = match.route.methods[method];
    if (!handler) {
      throw new HttpError(405, `Method "${method}" not allowed.`, {
        Allow: Object.keys(match.route.methods).join(', '),
      });
    }
    await handler({ req, res, params: match.params, query: url.searchParams });
  }
}

/** Answers an error: its status and message for an `HttpError`, else 500; a half-sent answer is cut off. */
function fail(req: http.IncomingMessage, res: http.ServerResponse, err: unknown): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  if (err instanceof HttpError) {
    sendJson(res, err.status, { error: err.message }, err.headers);
    // Refused before its body was read (a 2 GiB upload to an implicit environment, say): do not read it all.
    if (err.rejectBody || !req.complete) {
      drainThenClose(req);
    }
    return;
  }
  sendJson(res, 500, {
    error: `Internal error in the emulator: ${err instanceof Error ? err.message : String(err)}`,
  });
}
