/**
 * A local server of the UbiOps API v2.1 environment endpoints (`docs/ubiops-api/Environments.md`): the extension's
 * test double, and a way to try the extension without an account.
 *
 * Emulator choices — where the reference and the platform notes are silent, the emulator does this:
 * - Order of checks per request: latency delay; `/status` (exempt from every other fault and from auth); rate limit
 *   (every other request counts, unknown routes too); drop; injected error (no side effects); route (unknown → 404,
 *   before auth, as a URL router would); auth (401); method (405 with `Allow`); then the handler.
 * - Auth: `Authorization: Token <t>`. No header → 401 "Authentication credentials were not provided."; anything else
 *   that is not `Token <accepted token>` (wrong token, other scheme, doubled `Token Token x`) → 401 "Invalid token.".
 *   401 answers carry `WWW-Authenticate: Token`.
 * - Errors are JSON `{"error": "..."}`. Unknown project, environment, revision or build → 404 naming it. Malformed
 *   JSON → 400; a JSON endpoint with a body of another content type → 415 (no body at all counts as `{}`); JSON
 *   bodies over 1 MiB or uploads over `maxUploadBytes` → 413, answered at once; the rest of the body is then
 *   drained for at most a second, after which the connection is cut (so the client reads the answer rather than
 *   a reset, and a 2 GiB upload is not read to its end). Any early error answer drains the same way.
 *   A JSON body that is not an object → 400.
 * - Timestamps: environments and projects `2023-03-01T08:32:14.876451Z`; revisions and builds
 *   `2023-01-30T12:27:12.108+00:00`. IDs: random UUIDs.
 * - Lists are in creation order; environment lists give base environments first, then the project's custom ones.
 *   Filters: `environment_type` base|custom|all (other → 400); `labels` `k:v,k2:v2`, any pair matches (a pair
 *   without `:` → 400; the same for `GET /projects`); `supports_request_format` true/false, any letter case (other
 *   → 400). Hidden environments are listed like the others.
 * - Every environment answer carries `base_environment_display_name` (the base's display name, null without a base)
 *   and `system` (true for base environments only); a `--data-dir` store of an older emulator gets both on load.
 *   Every declared field is sent, null included.
 * - Base environments answer GET (environment, usage, revisions: []) under every project, and refuse update, delete
 *   and upload with 403.
 * - The emulator refuses only what the reference or the platform notes say UbiOps refuses. The documented naming and
 *   label rules of `src/api/rules.ts` are the extension's warnings, not refusals here.
 * - Names (create and rename): 1–1024 characters of any kind (the official client's only check), except what cannot
 *   be one URL path segment: `/`, `\`, control characters, `.` and `..` → 400. A name already used in the project
 *   or by a base environment → 400.
 * - Create: `name` is required. `base_environment` is optional: absent, null or "" makes an environment on a custom
 *   Docker image (`base_environment` and `base_environment_display_name` null, `gpu_required` false,
 *   `supports_request_format` false unless given: the emulator knows nothing of the image); when given it must be a
 *   base environment (a custom one → 400); deprecated bases are accepted, and `gpu_required` and, when not given,
 *   `supports_request_format` come from the base. `display_name` empty or absent → the name; longer than 1024 (the
 *   official client's limit) → 400. `status` is always "active" (the reference's value; builds do not change it).
 *   Unknown fields are ignored.
 * - Labels (create and update): any object of string keys to string values (the platform notes state no other
 *   rule); no limit of their own beyond the 1 MiB body.
 * - Update: `name` (same checks), `display_name` (≤ 1024; "" resets it to the name, as on create), `description`
 *   (≤ 400), `labels` (replaced whole); `base_environment` equal to the current one is ignored, a different one
 *   → 400 (the base is fixed). Every update moves `last_updated`; uploads and builds do not.
 * - Environments on a custom Docker image take uploads and build them like any other (the sources are silent).
 * - `active_revision`/`active_build` follow the newest successful build; `latest_*` the newest revision and build.
 * - Usage: the versions using the environment; for a base environment also those using the project's environments
 *   built on it (the answer's `environment` names each version's own environment). `environment_type` base|custom|all
 *   (default all; other → 400) keeps the versions whose own environment is of that type.
 * - `GET /user`: `{email, name, surname}` from the options `user`, `userName`, `userSurname` (defaults
 *   you@example.com, Demo, User). `GET /projects/{project_name}`: the listed fields plus `credits` (null: no limit),
 *   `suspended` (false), `suspended_reason` (null) and `cors_origins` ([]); unknown → 404 naming it. `GET /projects`
 *   items carry `credits` too, as the platform notes list.
 * - Delete while deployment versions use the environment → 400 listing `deployment/version`s; otherwise 204 and
 *   its revisions, builds and zips go with it.
 * - Upload: multipart/form-data (application/x-www-form-urlencoded also accepted for `source_environment` alone;
 *   other content types → 415). Parts other than `file` and `source_environment` are ignored; a second `file`
 *   part → 400; both or neither → 400. Implicit environments refuse uploads with 400. An empty `file` is stored
 *   and its build fails as "not a zip". The stored name is the part's base name (`environment.zip` when absent),
 *   read as UTF-8 (`ümlaut.zip` stays `ümlaut.zip`; `filename*` is honoured too); downloads send a non-ASCII name
 *   in `filename*=UTF-8''…` beside an ASCII `filename`.
 * - Copy from `source_environment` (an environment of the same project, custom or base): the file of its active
 *   revision, or of its latest revision when none has built; unknown source, no revision, or an expired file →
 *   400. The copy keeps the source's file name; trigger "Environment file copy".
 * - Revision `created_by`: the configured user for uploads and copies.
 * - Builds: `queued` for the first third of `buildSeconds`, `building` for the next sixth, `processing` for the last
 *   half, then `success` or `failed` (the whole still takes `buildSeconds`; 0 finishes before the answer). A build
 *   fails on problems of severity "error" in `ubiops.yaml` or `requirements.txt` (warnings do not fail it), a
 *   missing dependency file, a dependency file over 1 MiB, or a non-zip. Dependency files are read at the zip's
 *   root, else in the top folder that holds them (stray files beside it, a README say, do not matter; of several,
 *   `environment_package/`). A zip with only `ubiops.yaml` (no requirements) builds. Every build answer, the
 *   rebuild's included, has `size` (null until success) and `error_message` ("" unless failed; the seed's
 *   cancelled build has null). A build whose revision expires before it finishes fails.
 * - Cancel: only `{"status": "cancelled"}`. A queued build becomes `cancelled` at once (nothing has started); a
 *   building or processing one answers `cancelled_pending` and becomes `cancelled` 1 s later (CANCEL_PENDING_MS),
 *   also across a restart. A cancel of a `cancelled_pending` build answers it as it stands; a finished build → 400
 *   naming its status.
 * - Download of an expired revision → 404; rebuild of one → 400.
 * - Rate limit: a fixed 60 s window per client IP, started by the window's first request; `x-ratelimit-limit`,
 *   `x-ratelimit-remaining` and `x-ratelimit-reset` (whole seconds, at least 1) on every answer while enabled.
 *   `setFaults` replaces all faults and restarts the windows.
 * - Injected errors pick at random from `errorStatuses` (500 and 503 unless set).
 * - Before anything else (`/status` too): a `Host` header that names no address of this machine → 421
 *   (DNS rebinding; `hostCheck.ts` lists what is allowed). Timeouts: a connection silent for `idleTimeoutMs` (60 s)
 *   is closed, also one that never sent a request; headers not complete in `headersTimeoutMs` (20 s) → 408 and
 *   closed; a kept-alive connection idles 5 s at most; a whole request may take 30 minutes (large uploads).
 * - Logs (`GET /projects/{p}/logs`, `./logs.ts`): `query` in UbiOps' client's form ``| key=`value` and …`` with keys
 *   environment_name, environment_build_id, environment_revision_id, level (double quotes also accepted); empty or
 *   absent = every line of the project; anything else → 400 showing the form. `start`/`end`: integer nanoseconds
 *   or ISO 8601 (no zone = UTC; other → 400); absent = unbounded. `limit`: 1–5000, default 1000 (other → 400, so a
 *   client that asks for more learns it here). Oldest first; one build's lines have distinct timestamps.
 *   `metadata` also carries environment_id, environment_revision_id and project_name.
 * - Bandwidth (`bandwidthMbps`, a model of the user's link for benchmarks): a token bucket per connection and
 *   direction, holding 10 ms of the link (at least 16 KiB). It meters upload bodies (as they are read) and downloads
 *   (as they are sent); JSON bodies and answers, at most a few KiB, pass unmetered. The limit holds per connection,
 *   as a link's per-flow throughput would; `setFaults` starts fresh buckets.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type {
  EnvironmentBuild,
  EnvironmentBuildDependency,
  EnvironmentDetail,
  EnvironmentList,
  EnvironmentRevisionCreate,
  EnvironmentRevisionDetail,
  EnvironmentUsage,
  Project,
  ProjectDetail,
  User,
} from '../api/models';
import { DESCRIPTION_MAX } from '../api/rules';
import { BuildRunner, isUnfinished, TRIGGER_COPY, TRIGGER_REBUILD, TRIGGER_UPLOAD } from './builds';
import { hostAllowed } from './hostCheck';
import { BuildLogs, LogQueryError } from './logs';
import { seed } from './seed';
import { megabitsToBytes, throttle, TokenBucket } from './throttle';
import {
  type BuildRecord,
  type EnvironmentRecord,
  type ProjectRecord,
  type RevisionRecord,
  Store,
  environmentTimestamp,
  revisionTimestamp,
} from './store';

export interface Faults {
  /** Requests per client IP per window; absent or 0 disables the limit. */
  rateLimitPerMinute?: number;
  latencyMs?: number;
  /** Share (0–1) of answers replaced by 500 or 503. */
  errorRate?: number;
  /** Share (0–1) of requests whose connection is destroyed without an answer. */
  dropRate?: number;
  /** Length of the rate-limit window in seconds; 60 unless a test needs a short one. */
  rateLimitWindowSeconds?: number;
  /** Statuses the injected errors pick from at random; default 500 and 503. */
  errorStatuses?: number[];
  /**
   * Megabits a second (10^6 bits) each connection may upload, and separately download: upload bodies and
   * downloads pass a token bucket of their own per connection. Absent or 0: as fast as the machine goes.
   */
  bandwidthMbps?: number;
}

const INJECTED_ERRORS: Record<number, string> = {
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service temporarily unavailable',
  504: 'Gateway timeout',
};

export interface EmulatorOptions {
  /** 0 picks a free port. Default 8765. */
  port?: number;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Accepted API tokens; default ['emulator-token']. */
  tokens?: string[];
  /** Folder to persist into; absent keeps everything in memory. */
  dataDir?: string;
  /** Build duration in seconds; default 5; 0 finishes builds before the upload or rebuild is answered. */
  buildSeconds?: number;
  /** Seed demo data into an empty store; default true. */
  seed?: boolean;
  faults?: Faults;
  /** Largest accepted upload, in bytes; default 2 GiB. */
  maxUploadBytes?: number;
  /** The signed-in user's email: `GET /user` and `created_by` of uploads; default 'you@example.com'. */
  user?: string;
  /** `name` of `GET /user`; default 'Demo'. */
  userName?: string;
  /** `surname` of `GET /user`; default 'User'. */
  userSurname?: string;
  /** Called with one line per answered request (the command line prints them). */
  log?: (line: string) => void;
  /** A connection that sends nothing for this long is closed (default 60 s). */
  idleTimeoutMs?: number;
  /** A request whose headers are not complete after this long gets 408 and is closed (default 20 s). */
  headersTimeoutMs?: number;
}

export interface Emulator {
  /** `http://127.0.0.1:<port>/v2.1` */
  url: string;
  port: number;
  setFaults(f: Faults): void;
  addDeploymentVersion(
    project: string,
    environment: string,
    v: { deployment: string; version: string; status?: string },
  ): void;
  expireRevision(project: string, environment: string, revisionId: string): void;
  /** Replaces the accepted tokens, as revoking a token on the platform would. */
  setTokens(tokens: string[]): void;
  /** Counts since start, for benchmarks and tests: TCP connections accepted, requests received. */
  stats(): EmulatorStats;
  close(): Promise<void>;
}

export interface EmulatorStats {
  connections: number;
  requests: number;
}

export const DEFAULT_PORT = 8765;
export const DEFAULT_TOKEN = 'emulator-token';
export const DEFAULT_USER = 'you@example.com';
export const DEFAULT_USER_NAME = 'Demo';
export const DEFAULT_USER_SURNAME = 'User';
const API_PREFIX = '/v2.1';
const MAX_JSON_BYTES = 1024 * 1024;
const DEFAULT_MAX_UPLOAD = 2 * 1024 * 1024 * 1024;
/** Room for multipart headers and boundaries around the file when judging an upload by its Content-Length. */
const MULTIPART_OVERHEAD = 1024 * 1024;
const RATE_WINDOW_SECONDS = 60;
/** How long a rejected body is drained before the connection is cut. */
const DRAIN_GRACE_MS = 1000;
/** The official client checks names for length 1–1024 only (platform notes); so does the emulator. */
const MAX_NAME = 1024;
/** The official client's limit on display names (platform notes). */
const MAX_DISPLAY_NAME = 1024;
const MAX_DESCRIPTION = DESCRIPTION_MAX;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** The request body was refused part-way: drain briefly, then close. */
    readonly rejectBody = false,
  ) {
    super(message);
  }
}

type Params = Record<string, string>;
interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  params: Params;
  query: URLSearchParams;
}
type Handler = (ctx: Ctx) => Promise<void>;
interface Route {
  segments: string[];
  methods: Record<string, Handler>;
}

export async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  const store = await Store.open(options.dataDir);
  const buildSeconds = options.buildSeconds ?? 5;
  const logs = new BuildLogs(store);
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
  private readonly user: string;
  private readonly buildSeconds: number;
  private readonly maxUploadBytes: number;
  private faults: Faults;
  private rateWindows = new Map<string, { start: number; count: number }>();
  /** Per connection, one bucket each way, so a keep-alive connection's requests share its link. */
  private links = new WeakMap<Socket, { up: TokenBucket; down: TokenBucket }>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly routes: Route[];
  private server: http.Server | null = null;
  private readonly counts: EmulatorStats = { connections: 0, requests: 0 };

  constructor(
    private readonly store: Store,
    private readonly runner: BuildRunner,
    private readonly options: EmulatorOptions,
    private readonly logs: BuildLogs,
  ) {
    this.tokens = new Set(options.tokens && options.tokens.length > 0 ? options.tokens : [DEFAULT_TOKEN]);
    this.user = options.user ?? DEFAULT_USER;
    this.buildSeconds = options.buildSeconds ?? 5;
    this.maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD;
    this.faults = { ...(options.faults ?? {}) };
    const env = 'projects/:project/environments/:environment';
    const rev = `${env}/revisions/:revision`;
    const build = `${rev}/builds/:build`;
    this.routes = [
      this.route('user', { GET: (c) => this.getUser(c) }),
      this.route('projects', { GET: (c) => this.listProjects(c) }),
      this.route('projects/:project', { GET: (c) => this.getProject(c) }),
      this.route('projects/:project/environments', {
        GET: (c) => this.listEnvironments(c),
        POST: (c) => this.createEnvironment(c),
      }),
      this.route(env, {
        GET: (c) => this.getEnvironment(c),
        PATCH: (c) => this.updateEnvironment(c),
        DELETE: (c) => this.deleteEnvironment(c),
      }),
      this.route(`${env}/usage`, { GET: (c) => this.usage(c) }),
      this.route(`${env}/revisions`, { GET: (c) => this.listRevisions(c), POST: (c) => this.upload(c) }),
      this.route(rev, { GET: (c) => this.getRevision(c) }),
      this.route(`${rev}/download`, { GET: (c) => this.download(c) }),
      this.route(`${rev}/rebuild`, { POST: (c) => this.rebuild(c) }),
      this.route(`${rev}/builds`, { GET: (c) => this.listBuilds(c) }),
      this.route(build, { GET: (c) => this.getBuild(c), PATCH: (c) => this.cancelBuild(c) }),
      this.route(`${build}/dependency-files`, { GET: (c) => this.dependencyFiles(c) }),
      this.route('projects/:project/logs', { GET: (c) => this.listLogs(c) }),
    ];
  }

  private route(pattern: string, methods: Record<string, Handler>): Route {
    return { segments: pattern.split('/'), methods };
  }

  listen(port: number, host: string): Promise<Emulator> {
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
        const p = this.handle(req, res);
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
    this.server = server;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        server.removeListener('listening', onListening);
        reject(err);
      };
      const onListening = (): void => {
        server.removeListener('error', onError);
        const address = server.address() as AddressInfo;
        const shownHost = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
        const urlHost = shownHost.includes(':') ? `[${shownHost}]` : shownHost;
        resolve({
          url: `http://${urlHost}:${address.port}${API_PREFIX}`,
          port: address.port,
          setFaults: (f) => this.setFaults(f),
          addDeploymentVersion: (p, e, v) => this.addDeploymentVersion(p, e, v),
          expireRevision: (p, e, r) => this.expireRevision(p, e, r),
          setTokens: (tokens) => {
            this.tokens.clear();
            tokens.forEach((token) => this.tokens.add(token));
          },
          stats: () => ({ ...this.counts }),
          close: () => this.close(),
        });
      };
      server.once('error', onError);
      server.once('listening', onListening);
      // A deep backlog: a burst of a thousand connects must not wait for SYN retries.
      server.listen({ port, host, backlog: 4096 });
    });
  }

  private setFaults(f: Faults): void {
    this.faults = { ...f };
    this.rateWindows = new Map();
    this.links = new WeakMap();
  }

  /** The connection's bucket for one direction, or undefined when no bandwidth limit is set. */
  private bucket(socket: Socket, direction: 'up' | 'down'): TokenBucket | undefined {
    const mbps = this.faults.bandwidthMbps ?? 0;
    if (mbps <= 0) {
      return undefined;
    }
    let link = this.links.get(socket);
    if (!link) {
      const rate = megabitsToBytes(mbps);
      link = { up: new TokenBucket(rate), down: new TokenBucket(rate) };
      this.links.set(socket, link);
    }
    return link[direction];
  }

  /** The upload body as the handler should read it: through the connection's upload bucket when limited. */
  private requestBody(req: http.IncomingMessage): Readable {
    const bucket = this.bucket(req.socket, 'up');
    return bucket ? req.pipe(throttle(bucket)) : req;
  }

  /** Streams `source` into the answer, through the connection's download bucket when limited. */
  private async sendStream(source: Readable, res: http.ServerResponse): Promise<void> {
    const bucket = this.bucket(res.req.socket, 'down');
    const sink: Writable = res;
    await (bucket ? pipeline(source, throttle(bucket), sink) : pipeline(source, sink));
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
    const env = this.findEnvironment(project, environment);
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
    const env = this.findEnvironment(project, environment);
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

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const startedAt = Date.now();
    this.counts.requests++;
    res.on('finish', () => {
      this.options.log?.(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - startedAt}ms`);
    });
    try {
      await this.dispatch(req, res);
    } catch (err) {
      this.fail(req, res, err);
    }
  }

  private fail(req: http.IncomingMessage, res: http.ServerResponse, err: unknown): void {
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

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host, this.options.host ?? '127.0.0.1')) {
      throw new HttpError(
        421,
        'This emulator answers only requests addressed to this machine (Host: localhost, 127.0.0.1, [::1] or its --host).',
      );
    }
    const latency = this.faults.latencyMs ?? 0;
    if (latency > 0) {
      await new Promise((r) => setTimeout(r, latency));
    }
    let url: URL;
    try {
      // Origin-form only: a path starting `//` would otherwise be read as a host ("//%/x" → Invalid URL).
      const target = req.url ?? '/';
      url = new URL(target.startsWith('/') ? `http://emulator.invalid${target}` : target, 'http://emulator.invalid');
    } catch {
      throw new HttpError(400, 'Malformed request target.');
    }
    const segments = pathSegments(url.pathname);
    const method = req.method ?? 'GET';

    if (segments && segments.length === 1 && segments[0] === 'status') {
      if (method !== 'GET') {
        throw new HttpError(405, `Method "${method}" not allowed.`, { Allow: 'GET' });
      }
      sendJson(res, 200, { status: 'ok' });
      return;
    }

    this.applyRateLimit(req, res);
    if (chance(this.faults.dropRate)) {
      req.socket.destroy();
      return;
    }
    if (chance(this.faults.errorRate)) {
      const statuses = this.faults.errorStatuses?.length ? this.faults.errorStatuses : [500, 503];
      const status = statuses[Math.floor(Math.random() * statuses.length)];
      throw new HttpError(status, `${INJECTED_ERRORS[status] ?? 'Server error'} (injected by the emulator).`);
    }

    const match = segments ? this.match(segments) : null;
    if (!match) {
      throw new HttpError(404, `Not found: ${url.pathname}`);
    }
    this.authenticate(req);
    const handler = match.route.methods[method];
    if (!handler) {
      throw new HttpError(405, `Method "${method}" not allowed.`, {
        Allow: Object.keys(match.route.methods).join(', '),
      });
    }
    await handler({ req, res, params: match.params, query: url.searchParams });
  }

  private match(segments: string[]): { route: Route; params: Params } | null {
    for (const route of this.routes) {
      if (route.segments.length !== segments.length) {
        continue;
      }
      const params: Params = {};
      let ok = true;
      for (let i = 0; i < segments.length && ok; i++) {
        const want = route.segments[i];
        if (want.startsWith(':')) {
          params[want.slice(1)] = segments[i];
        } else {
          ok = want === segments[i];
        }
      }
      if (ok) {
        return { route, params };
      }
    }
    return null;
  }

  private applyRateLimit(req: http.IncomingMessage, res: http.ServerResponse): void {
    const limit = this.faults.rateLimitPerMinute ?? 0;
    if (!(limit > 0)) {
      return;
    }
    const windowMs = (this.faults.rateLimitWindowSeconds ?? RATE_WINDOW_SECONDS) * 1000;
    const now = Date.now();
    const ip = req.socket.remoteAddress ?? 'unknown';
    let window = this.rateWindows.get(ip);
    if (!window || now - window.start >= windowMs) {
      window = { start: now, count: 0 };
      this.rateWindows.set(ip, window);
    }
    window.count += 1;
    const reset = Math.max(1, Math.ceil((window.start + windowMs - now) / 1000));
    res.setHeader('x-ratelimit-limit', String(limit));
    res.setHeader('x-ratelimit-remaining', String(Math.max(0, limit - window.count)));
    res.setHeader('x-ratelimit-reset', String(reset));
    if (window.count > limit) {
      throw new HttpError(429, `Request was throttled. Expected available in ${reset} seconds.`);
    }
  }

  private authenticate(req: http.IncomingMessage): void {
    const header = req.headers.authorization;
    const challenge = { 'WWW-Authenticate': 'Token' };
    if (header === undefined || header.trim() === '') {
      throw new HttpError(401, 'Authentication credentials were not provided.', challenge);
    }
    const m = /^Token (\S+)$/.exec(header.trim());
    if (!m || !this.tokens.has(m[1])) {
      throw new HttpError(401, 'Invalid token.', challenge);
    }
  }

  // ---- lookups ----------------------------------------------------------------------------------------------

  private requireProject(name: string): void {
    if (!this.store.state.projects.some((p) => p.name === name)) {
      throw new HttpError(404, `Project "${name}" not found.`);
    }
  }

  /** The project's custom environment of that name, else the base environment of that name. */
  private findEnvironment(project: string, name: string): EnvironmentRecord | undefined {
    const envs = this.store.state.environments;
    return (
      envs.find((e) => e.project === project && e.name === name) ??
      envs.find((e) => e.project === null && e.name === name)
    );
  }

  private requireEnvironment(params: Params): EnvironmentRecord {
    this.requireProject(params.project);
    const env = this.findEnvironment(params.project, params.environment);
    if (!env) {
      throw new HttpError(404, `Environment "${params.environment}" not found in project "${params.project}".`);
    }
    return env;
  }

  private requireCustom(env: EnvironmentRecord, action: string): void {
    if (env.project === null) {
      throw new HttpError(403, `"${env.name}" is a base environment: base environments cannot be ${action}.`);
    }
  }

  private requireRevision(params: Params): { env: EnvironmentRecord; rev: RevisionRecord } {
    const env = this.requireEnvironment(params);
    const rev = this.store.state.revisions.find((r) => r.id === params.revision && r.environmentId === env.id);
    if (!rev) {
      throw new HttpError(404, `Revision "${params.revision}" not found for environment "${env.name}".`);
    }
    return { env, rev };
  }

  private requireBuild(params: Params): { env: EnvironmentRecord; rev: RevisionRecord; build: BuildRecord } {
    const { env, rev } = this.requireRevision(params);
    const build = this.store.state.builds.find((b) => b.id === params.build && b.revisionId === rev.id);
    if (!build) {
      throw new HttpError(404, `Build "${params.build}" not found for revision "${rev.id}".`);
    }
    return { env, rev, build };
  }

  // ---- projects and environments ----------------------------------------------------------------------------

  private async listProjects({ res, query }: Ctx): Promise<void> {
    const wanted = parseLabelFilter(query.get('labels'));
    const projects: Project[] = this.store.state.projects
      .filter((p) => matchesLabels(p.labels, wanted))
      .map(projectAnswer);
    sendJson(res, 200, projects);
  }

  private async getProject({ res, params }: Ctx): Promise<void> {
    const p = this.store.state.projects.find((x) => x.name === params.project);
    if (!p) {
      throw new HttpError(404, `Project "${params.project}" not found.`);
    }
    const detail: ProjectDetail = {
      ...projectAnswer(p),
      suspended: p.suspended,
      suspended_reason: p.suspended_reason,
      cors_origins: [...p.cors_origins],
    };
    sendJson(res, 200, detail);
  }

  private async getUser({ res }: Ctx): Promise<void> {
    const user: User = {
      email: this.user,
      name: this.options.userName ?? DEFAULT_USER_NAME,
      surname: this.options.userSurname ?? DEFAULT_USER_SURNAME,
    };
    sendJson(res, 200, user);
  }

  private async listEnvironments({ res, params, query }: Ctx): Promise<void> {
    this.requireProject(params.project);
    const type = environmentType(query);
    const wanted = parseLabelFilter(query.get('labels'));
    const format = parseBool(query.get('supports_request_format'), 'supports_request_format');
    const all = this.store.state.environments;
    const candidates = [
      ...(type === 'custom' ? [] : all.filter((e) => e.project === null)),
      ...(type === 'base' ? [] : all.filter((e) => e.project === params.project)),
    ];
    const list = candidates
      .filter((e) => matchesLabels(e.labels ?? {}, wanted))
      .filter((e) => format === undefined || e.supports_request_format === format)
      .map(environmentList);
    sendJson(res, 200, list);
  }

  private async createEnvironment({ req, res, params }: Ctx): Promise<void> {
    this.requireProject(params.project);
    const body = asObject(await readJson(req));
    const name = requireString(body, 'name');
    // Optional: absent, null or empty means an environment on a custom Docker image, without a base.
    const baseName = optionalString(body, 'base_environment') || null;
    this.checkName(params.project, name, null);
    const base =
      baseName === null ? null : this.store.state.environments.find((e) => e.name === baseName && e.project === null);
    if (base === undefined) {
      const custom = this.store.state.environments.some((e) => e.name === baseName && e.project === params.project);
      throw new HttpError(
        400,
        custom
          ? `"${baseName}" is a custom environment; base_environment must name a base environment.`
          : `Base environment "${baseName}" does not exist.`,
      );
    }
    const displayName = optionalString(body, 'display_name');
    checkDisplayName(displayName);
    const description = optionalString(body, 'description') ?? '';
    checkDescription(description);
    const labels = body.labels === undefined || body.labels === null ? {} : checkLabels(body.labels);
    const srf = body.supports_request_format;
    if (srf !== undefined && srf !== null && typeof srf !== 'boolean') {
      throw new HttpError(400, 'supports_request_format must be a boolean.');
    }
    const now = environmentTimestamp();
    const env: EnvironmentRecord = {
      id: randomUUID(),
      name,
      display_name: displayName ? displayName : name,
      base_environment: base?.name ?? null,
      base_environment_display_name: base?.display_name ?? null,
      project: params.project,
      creation_date: now,
      last_updated: now,
      description,
      labels,
      gpu_required: base?.gpu_required ?? false,
      status: 'active',
      implicit: false,
      deprecated: false,
      hidden: false,
      supports_request_format: typeof srf === 'boolean' ? srf : (base?.supports_request_format ?? false),
      system: false,
    };
    this.store.state.environments.push(env);
    await this.store.save();
    sendJson(res, 201, environmentList(env));
  }

  private checkName(project: string, name: string, self: EnvironmentRecord | null): void {
    const problem = nameProblem(name);
    if (problem) {
      throw new HttpError(400, problem);
    }
    for (const e of this.store.state.environments) {
      if (e === self || e.name !== name) {
        continue;
      }
      if (e.project === null) {
        throw new HttpError(400, `"${name}" is the name of a base environment; choose another name.`);
      }
      if (e.project === project) {
        throw new HttpError(400, `An environment named "${name}" already exists in project "${project}".`);
      }
    }
  }

  private async getEnvironment({ res, params }: Ctx): Promise<void> {
    sendJson(res, 200, this.environmentDetail(this.requireEnvironment(params)));
  }

  private async updateEnvironment({ req, res, params }: Ctx): Promise<void> {
    const env = this.requireEnvironment(params);
    this.requireCustom(env, 'updated');
    const body = asObject(await readJson(req));
    const name = optionalString(body, 'name');
    const displayName = optionalString(body, 'display_name');
    const description = optionalString(body, 'description');
    const labels = body.labels === undefined ? undefined : checkLabels(body.labels);
    if (name !== undefined) {
      this.checkName(params.project, name, env);
    }
    checkDisplayName(displayName);
    if (description !== undefined) {
      checkDescription(description);
    }
    if (body.base_environment !== undefined && body.base_environment !== env.base_environment) {
      throw new HttpError(400, 'The base environment of an environment cannot be changed.');
    }
    if (name !== undefined) env.name = name;
    if (displayName !== undefined) env.display_name = displayName === '' ? (name ?? env.name) : displayName;
    if (description !== undefined) env.description = description;
    if (labels !== undefined) env.labels = labels;
    env.last_updated = environmentTimestamp();
    await this.store.save();
    sendJson(res, 200, this.environmentDetail(env));
  }

  private async deleteEnvironment({ res, params }: Ctx): Promise<void> {
    const env = this.requireEnvironment(params);
    this.requireCustom(env, 'deleted');
    const state = this.store.state;
    const users = state.deploymentVersions.filter((v) => v.environmentId === env.id);
    if (users.length > 0) {
      const names = users.map((v) => `${v.deployment}/${v.version}`).join(', ');
      throw new HttpError(
        400,
        `Environment "${env.name}" is used by deployment version(s) ${names}. ` +
          'Move them to another environment first, then delete it.',
      );
    }
    const revisionIds = state.revisions.filter((r) => r.environmentId === env.id).map((r) => r.id);
    for (const b of state.builds.filter((b) => b.environmentId === env.id)) {
      this.runner.clear(b.id);
    }
    state.environments = state.environments.filter((e) => e !== env);
    state.revisions = state.revisions.filter((r) => r.environmentId !== env.id);
    this.logs.remove(state.builds.filter((b) => b.environmentId === env.id).map((b) => b.id));
    state.builds = state.builds.filter((b) => b.environmentId !== env.id);
    await this.store.save();
    await Promise.all(revisionIds.map((id) => this.store.removeZip(id)));
    res.writeHead(204);
    res.end();
  }

  /**
   * The versions using the environment, and for a base environment also those using the project's environments built
   * on it; `environment_type` keeps only versions whose own environment is a base (`base`) or a custom (`custom`) one.
   */
  private async usage({ res, params, query }: Ctx): Promise<void> {
    const env = this.requireEnvironment(params);
    const type = environmentType(query);
    const state = this.store.state;
    const users = state.environments.filter(
      (e) => e === env || (env.project === null && e.project === params.project && e.base_environment === env.name),
    );
    const byId = new Map(
      users.filter((e) => type === 'all' || (type === 'base') === (e.project === null)).map((e) => [e.id, e]),
    );
    const list: EnvironmentUsage[] = [];
    for (const v of state.deploymentVersions) {
      const used = byId.get(v.environmentId);
      if (used && v.project === params.project) {
        list.push({
          id: v.id,
          deployment: v.deployment,
          version: v.version,
          environment: used.name,
          environment_display_name: used.display_name ?? used.name,
          status: v.status,
        });
      }
    }
    sendJson(res, 200, list);
  }

  private environmentDetail(env: EnvironmentRecord): EnvironmentDetail {
    const revisions = this.store.state.revisions.filter((r) => r.environmentId === env.id);
    const builds = this.store.state.builds.filter((b) => b.environmentId === env.id);
    const newest = <T extends { seq: number }>(items: T[]): T | undefined =>
      items.reduce<T | undefined>((best, x) => (!best || x.seq > best.seq ? x : best), undefined);
    const active = newest(builds.filter((b) => b.status === 'success'));
    return {
      ...environmentList(env),
      active_revision: active?.revisionId ?? null,
      active_build: active?.id ?? null,
      latest_revision: newest(revisions)?.id ?? null,
      latest_build: newest(builds)?.id ?? null,
    };
  }

  // ---- revisions --------------------------------------------------------------------------------------------

  private async listRevisions({ res, params }: Ctx): Promise<void> {
    const env = this.requireEnvironment(params);
    const list = this.store.state.revisions
      .filter((r) => r.environmentId === env.id)
      .sort((a, b) => a.seq - b.seq)
      .map((r) => revisionDetail(r, env));
    sendJson(res, 200, list);
  }

  private async getRevision({ res, params }: Ctx): Promise<void> {
    const { env, rev } = this.requireRevision(params);
    sendJson(res, 200, revisionDetail(rev, env));
  }

  private async download({ res, params }: Ctx): Promise<void> {
    const { rev } = this.requireRevision(params);
    if (rev.expired) {
      throw new HttpError(404, `The file of revision "${rev.id}" has expired and can no longer be downloaded.`);
    }
    const file = this.store.zipPath(rev.id);
    let size: number;
    try {
      size = (await fs.promises.stat(file)).size;
    } catch {
      throw new HttpError(404, `The file of revision "${rev.id}" is not available.`);
    }
    res.writeHead(200, {
      'Content-Type': 'application/zip',
      'Content-Length': String(size),
      'Content-Disposition': contentDisposition(rev.fileName),
    });
    await this.sendStream(fs.createReadStream(file), res);
  }

  private async upload({ req, res, params }: Ctx): Promise<void> {
    const target = this.requireEnvironment(params);
    this.requireCustom(target, 'uploaded to');
    if (target.implicit) {
      throw new HttpError(
        400,
        `Environment "${target.name}" is implicit: its files change only through a new deployment package.`,
      );
    }
    const form = await this.readUpload(req);
    let rev: RevisionRecord;
    let trigger: string;
    try {
      // The environment may have gone while the body streamed in.
      const env = this.requireEnvironment(params);
      if (env.id !== target.id) {
        throw new HttpError(404, `Environment "${params.environment}" not found in project "${params.project}".`);
      }
      if (form.file && form.source !== undefined) {
        throw new HttpError(400, 'Provide either a file or a source_environment, not both.');
      }
      if (!form.file && form.source === undefined) {
        throw new HttpError(400, 'Either file or source_environment must be provided.');
      }
      rev = {
        id: randomUUID(),
        environmentId: env.id,
        creation_date: revisionTimestamp(),
        created_by: this.user,
        expired: false,
        fileName: form.file?.name ?? '',
        seq: 0,
      };
      if (form.file) {
        await this.store.commitZip(form.file.tempPath, rev.id);
        form.file = undefined;
        trigger = TRIGGER_UPLOAD;
      } else {
        const source = this.sourceRevision(params.project, form.source as string);
        rev.fileName = source.fileName;
        await this.store.copyZip(source.id, rev.id);
        trigger = TRIGGER_COPY;
      }
    } finally {
      if (form.file) {
        await this.store.removeTemp(form.file.tempPath);
      }
    }
    rev.seq = this.store.nextSeq();
    this.store.state.revisions.push(rev);
    const build = await this.startBuild(rev, trigger);
    const answer: EnvironmentRevisionCreate = { success: true, revision: rev.id, build: build.id };
    sendJson(res, 201, answer);
  }

  private sourceRevision(project: string, sourceName: string): RevisionRecord {
    const source = this.findEnvironment(project, sourceName);
    if (!source) {
      throw new HttpError(400, `Source environment "${sourceName}" does not exist in project "${project}".`);
    }
    const state = this.store.state;
    const bySeq = (a: { seq: number }, b: { seq: number }): number => b.seq - a.seq;
    const activeBuild = state.builds
      .filter((b) => b.environmentId === source.id && b.status === 'success')
      .sort(bySeq)[0];
    const revision =
      (activeBuild && state.revisions.find((r) => r.id === activeBuild.revisionId)) ??
      state.revisions.filter((r) => r.environmentId === source.id).sort(bySeq)[0];
    if (!revision) {
      throw new HttpError(400, `Source environment "${sourceName}" has no revision to copy.`);
    }
    if (revision.expired) {
      throw new HttpError(
        400,
        `The file of source environment "${sourceName}" (revision "${revision.id}") has expired.`,
      );
    }
    return revision;
  }

  private async startBuild(rev: RevisionRecord, trigger: string): Promise<BuildRecord> {
    const build = this.runner.create(rev, trigger);
    if (this.buildSeconds === 0) {
      await this.runner.completeNow(build);
    } else {
      this.runner.schedule(build);
    }
    await this.store.save();
    return build;
  }

  /** Streams the multipart body: the file to a temp file, counted, never whole in memory. */
  private readUpload(
    req: http.IncomingMessage,
  ): Promise<{ file?: { tempPath: string; name: string }; source?: string }> {
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (!type.startsWith('multipart/form-data') && !type.startsWith('application/x-www-form-urlencoded')) {
      throw new HttpError(415, `Unsupported media type "${type || 'none'}": send multipart/form-data.`);
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > this.maxUploadBytes + MULTIPART_OVERHEAD) {
      throw new HttpError(413, `The upload is larger than the limit of ${this.maxUploadBytes} bytes.`, {}, true);
    }
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // File names are UTF-8 as sent (browsers, undici, Python's urllib3), not latin1, busboy's default.
        defParamCharset: 'utf8',
        limits: { fileSize: this.maxUploadBytes, fieldSize: 64 * 1024, fields: 100, parts: 200 },
      });
    } catch (err) {
      throw new HttpError(400, `Malformed multipart body: ${(err as Error).message}`);
    }

    const body = this.requestBody(req);
    return new Promise((resolve, reject) => {
      let settled = false;
      let source: string | undefined;
      let file: { tempPath: string; name: string } | undefined;
      let fileParts = 0;
      const temps: string[] = [];
      const writes: Promise<void>[] = [];
      const streams: { destroy(): void }[] = [];
      const cleanup = (): void => {
        for (const t of temps) {
          void this.store.removeTemp(t);
        }
      };
      const settle = (err: HttpError | null): void => {
        if (settled) {
          return;
        }
        settled = true;
        if (err) {
          body.unpipe(parser);
          if (body !== req) {
            req.unpipe();
          }
          parser.removeAllListeners('file');
          // Unpiped, the parser will not end the file streams: end them here so the writes settle.
          for (const s of streams) {
            s.destroy();
          }
          // Writes still open hold the temp files; remove them once they are done.
          void Promise.allSettled(writes).then(cleanup);
          reject(err);
          return;
        }
        resolve({ file, source });
      };

      parser.on('file', (name, stream, info) => {
        if (settled || name !== 'file') {
          stream.resume();
          return;
        }
        fileParts += 1;
        if (fileParts > 1) {
          stream.resume();
          settle(new HttpError(400, 'Send exactly one file part.', {}, true));
          return;
        }
        const out = this.store.createTempZipStream();
        temps.push(out.path);
        streams.push(stream, out.stream);
        const entry = { tempPath: out.path, name: baseName(info.filename) };
        stream.on('limit', () => {
          settle(new HttpError(413, `The upload is larger than the limit of ${this.maxUploadBytes} bytes.`, {}, true));
        });
        writes.push(
          pipeline(stream, out.stream).then(
            () => {
              file = entry;
            },
            (err: Error) => settle(new HttpError(500, `Could not store the upload: ${err.message}`, {}, true)),
          ),
        );
      });
      parser.on('field', (name, value) => {
        if (name === 'source_environment') {
          source = value;
        }
      });
      parser.on('error', (err: Error) =>
        settle(new HttpError(400, `Malformed multipart body: ${err.message}`, {}, true)),
      );
      parser.on('close', () => {
        void Promise.all(writes).then(
          () => {
            if (settled) {
              return;
            }
            settle(null);
          },
          () => undefined,
        );
      });
      req.on('error', (err) => settle(new HttpError(400, `The upload was interrupted: ${err.message}`)));
      req.on('close', () => {
        if (!req.complete) {
          settle(new HttpError(400, 'The upload was interrupted.'));
        }
      });
      body.pipe(parser);
    });
  }

  // ---- builds -----------------------------------------------------------------------------------------------

  private async listLogs({ res, params, query }: Ctx): Promise<void> {
    this.requireProject(params.project);
    let text: string;
    try {
      text = this.logs.answer(params.project, query);
    } catch (err) {
      throw err instanceof LogQueryError ? new HttpError(400, err.message) : err;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
    res.end(text);
  }

  private async rebuild({ req, res, params }: Ctx): Promise<void> {
    const { env, rev } = this.requireRevision(params);
    this.requireCustom(env, 'rebuilt');
    const body = await readJson(req);
    if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
      throw new HttpError(400, 'The body of a rebuild must be an empty object or absent.');
    }
    if (rev.expired) {
      throw new HttpError(400, `The file of revision "${rev.id}" has expired: upload a new file to build it again.`);
    }
    const build = await this.startBuild(rev, TRIGGER_REBUILD);
    // With `size` (null until known), as a server generated from the specification sends it.
    sendJson(res, 201, buildAnswer(build));
  }

  private async listBuilds({ res, params }: Ctx): Promise<void> {
    const { rev } = this.requireRevision(params);
    const list = this.store.state.builds
      .filter((b) => b.revisionId === rev.id)
      .sort((a, b) => a.seq - b.seq)
      .map(buildAnswer);
    sendJson(res, 200, list);
  }

  private async getBuild({ res, params }: Ctx): Promise<void> {
    sendJson(res, 200, buildAnswer(this.requireBuild(params).build));
  }

  private async cancelBuild({ req, res, params }: Ctx): Promise<void> {
    const { build } = this.requireBuild(params);
    const body = asObject(await readJson(req));
    if (body.status !== 'cancelled') {
      throw new HttpError(
        400,
        `A build can only be updated to status "cancelled", not ${JSON.stringify(body.status ?? null)}.`,
      );
    }
    if (!isUnfinished(build)) {
      throw new HttpError(
        400,
        `Build "${build.id}" has already finished with status "${build.status}"; only running builds can be cancelled.`,
      );
    }
    // A cancel already on its way is answered as it stands.
    if (build.status !== 'cancelled_pending') {
      this.runner.cancel(build);
      await this.store.save();
    }
    sendJson(res, 200, buildAnswer(build));
  }

  private async dependencyFiles({ res, params }: Ctx): Promise<void> {
    const { build } = this.requireBuild(params);
    const files: EnvironmentBuildDependency[] =
      build.status === 'success' || build.status === 'failed'
        ? build.files.map((f) => ({ name: f.name, content: f.content }))
        : [];
    sendJson(res, 200, files);
  }
}

// ---- answers --------------------------------------------------------------------------------------------------

/** A `GET /projects` item: the platform notes' fields, in their order. */
function projectAnswer(p: ProjectRecord): Project & { credits: number | null } {
  return {
    id: p.id,
    name: p.name,
    creation_date: p.creation_date,
    advanced_permissions: p.advanced_permissions,
    credits: p.credits,
    organization_name: p.organization_name,
    labels: { ...p.labels },
  };
}

function environmentList(e: EnvironmentRecord): EnvironmentList {
  return {
    id: e.id,
    name: e.name,
    display_name: e.display_name,
    base_environment: e.base_environment,
    base_environment_display_name: e.base_environment_display_name,
    project: e.project,
    creation_date: e.creation_date,
    last_updated: e.last_updated,
    description: e.description,
    labels: e.labels === null ? null : { ...e.labels },
    gpu_required: e.gpu_required,
    status: e.status,
    implicit: e.implicit,
    deprecated: e.deprecated,
    hidden: e.hidden,
    supports_request_format: e.supports_request_format,
    system: e.system,
  };
}

function revisionDetail(r: RevisionRecord, env: EnvironmentRecord): EnvironmentRevisionDetail {
  return {
    id: r.id,
    environment: env.name,
    creation_date: r.creation_date,
    created_by: r.created_by,
    expired: r.expired,
  };
}

function buildAnswer(b: BuildRecord): EnvironmentBuild {
  return {
    id: b.id,
    revision: b.revisionId,
    creation_date: b.creation_date,
    status: b.status,
    error_message: b.error_message,
    trigger: b.trigger,
    size: b.size,
  };
}

// ---- HTTP helpers ---------------------------------------------------------------------------------------------

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/**
 * After answering a refused body: read and discard what is still coming so the client can read the answer (closing
 * with unread data makes the kernel send a reset, which can swallow the answer), but for a second at most; a client
 * still sending then is cut off.
 */
function drainThenClose(req: http.IncomingMessage): void {
  if (req.complete) {
    return;
  }
  // A body that ends in time leaves the connection usable: clients reuse keep-alive sockets at once.
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_GRACE_MS);
  req.on('end', () => clearTimeout(timer));
  req.on('close', () => clearTimeout(timer));
  req.resume();
}

/** Segments after `/v2.1`, decoded, one trailing slash tolerated; null when the path is not an API path. */
function pathSegments(pathname: string): string[] | null {
  if (!pathname.startsWith(`${API_PREFIX}/`)) {
    return null;
  }
  let rest = pathname.slice(API_PREFIX.length + 1);
  if (rest.endsWith('/')) {
    rest = rest.slice(0, -1);
  }
  const parts = rest.split('/');
  try {
    const decoded = parts.map((p) => decodeURIComponent(p));
    return decoded.some((p) => p === '') ? null : decoded;
  } catch {
    return null;
  }
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const declared = req.headers['content-length'];
  const hasBody = (declared !== undefined && declared !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) {
    return undefined;
  }
  if (Number(declared) > MAX_JSON_BYTES) {
    throw new HttpError(413, `The request body is larger than the limit of ${MAX_JSON_BYTES} bytes.`, {}, true);
  }
  const type = (req.headers['content-type'] ?? '').toLowerCase().split(';')[0].trim();
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpError(415, `Unsupported media type "${type || 'none'}": send application/json.`, {}, true);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_JSON_BYTES) {
        req.removeListener('data', onData);
        reject(new HttpError(413, `The request body is larger than the limit of ${MAX_JSON_BYTES} bytes.`, {}, true));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', resolve);
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) {
        reject(new HttpError(400, 'The request body was interrupted.'));
      }
    });
  });
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `Malformed JSON: ${(err as Error).message}`);
  }
}

/** The `environment_type` query of the list and usage endpoints: base, custom or all (the default). */
function environmentType(query: URLSearchParams): 'base' | 'custom' | 'all' {
  const type = query.get('environment_type') ?? 'all';
  if (type !== 'all' && type !== 'base' && type !== 'custom') {
    throw new HttpError(400, `environment_type must be one of "base", "custom" or "all", not "${type}".`);
  }
  return type;
}

function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) {
    return {};
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (value === undefined || value === null || value === '') {
    throw new HttpError(400, `The field "${field}" is required.`);
  }
  if (typeof value !== 'string') {
    throw new HttpError(400, `The field "${field}" must be a string.`);
  }
  return value;
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new HttpError(400, `The field "${field}" must be a string.`);
  }
  return value;
}

function checkDescription(description: string): void {
  if (description.length > MAX_DESCRIPTION) {
    throw new HttpError(
      400,
      `description may be at most ${MAX_DESCRIPTION} characters (it has ${description.length}).`,
    );
  }
}

/**
 * Names: 1–1024 characters (the official client's only check). The documented "lowercase letters, digits and
 * dashes" rule is a local warning, not a refusal. Refused only what cannot be one URL path segment: `/` or `\`,
 * control characters, `.` and `..`.
 */
function nameProblem(name: string): string | undefined {
  if (name.length > MAX_NAME) {
    return `A name is at most ${MAX_NAME} characters long (this one has ${name.length}).`;
  }
  // eslint-disable-next-line no-control-regex
  if (/[/\\\u0000-\u001f\u007f]/.test(name) || name === '.' || name === '..') {
    return `Invalid name "${name}": a name is used in URLs, so it cannot contain "/", "\\" or control characters, nor be "." or "..".`;
  }
  return undefined;
}

function checkDisplayName(displayName: string | undefined): void {
  if (displayName !== undefined && displayName.length > MAX_DISPLAY_NAME) {
    throw new HttpError(
      400,
      `display_name may be at most ${MAX_DISPLAY_NAME} characters (it has ${displayName.length}).`,
    );
  }
}

/** Labels: a string-to-string map, nothing more (the platform notes state no other rule). */
function checkLabels(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, 'labels must be an object of string keys to string values.');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [key, v] of entries) {
    if (typeof v !== 'string') {
      throw new HttpError(400, `labels must be an object of string keys to string values (label "${key}" is not).`);
    }
  }
  // Defined, not assigned: a `__proto__` key stays a plain key.
  return Object.fromEntries(entries) as Record<string, string>;
}

function parseLabelFilter(raw: string | null): [string, string][] {
  if (raw === null || raw.trim() === '') {
    return [];
  }
  return raw.split(',').map((pair) => {
    const at = pair.indexOf(':');
    if (at <= 0) {
      throw new HttpError(400, `labels must be given as key:value pairs separated by commas, not "${raw}".`);
    }
    return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
  });
}

function matchesLabels(labels: Record<string, string>, wanted: [string, string][]): boolean {
  return (
    wanted.length === 0 || wanted.some(([k, v]) => Object.prototype.hasOwnProperty.call(labels, k) && labels[k] === v)
  );
}

function parseBool(raw: string | null, name: string): boolean | undefined {
  if (raw === null) {
    return undefined;
  }
  const v = raw.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new HttpError(400, `${name} must be true or false, not "${raw}".`);
}

function chance(rate: number | undefined): boolean {
  return rate !== undefined && rate > 0 && Math.random() < rate;
}

function baseName(filename: string | undefined): string {
  const name = (filename ?? '').split(/[\\/]/).pop() ?? '';
  return name.trim() === '' ? 'environment.zip' : name;
}

function contentDisposition(fileName: string): string {
  // Quotes, backslashes and control characters cannot sit in a quoted filename; non-ASCII goes in filename*.
  // eslint-disable-next-line no-control-regex
  const ascii = fileName.replace(/[\u0000-\u001f\u007f"\\]/g, '_').replace(/[^\x20-\x7e]/g, '_');
  const plain = `attachment; filename="${ascii || 'environment.zip'}"`;
  return ascii === fileName ? plain : `${plain}; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
