import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import contentDisposition from 'content-disposition';
import type { Dispatcher } from 'undici';
import { UbiOpsApiError } from './errors';
import { pauseGuard } from './pauseGuard';
import { DEFAULT_API_HOST, normaliseHost, normaliseToken } from './host';
import { type Shape, shapeProblem, SHAPES } from './shapes';
import {
  BuildLogReader,
  buildLogQuery,
  type ListLogsOptions,
  type LogLine,
  logTimeParameter,
  MAX_LOG_LIMIT,
  parseLogsText,
  toLogLine,
} from './logs';
import type {
  EnvironmentBuild,
  EnvironmentBuildDependency,
  EnvironmentCreate,
  EnvironmentDetail,
  EnvironmentList,
  EnvironmentListFilter,
  EnvironmentRevisionCreate,
  EnvironmentRevisionDetail,
  EnvironmentUpdate,
  EnvironmentUsage,
  EnvironmentUsageFilter,
  Project,
  ProjectDetail,
  ServiceStatus,
  User,
} from './models';
import {
  createDispatcher,
  NetworkOptions,
  RequestEvent,
  RequestSpec,
  RetryOptions,
  StreamBody,
  throwIfAborted,
  TimeoutOptions,
  Transport,
  WaitEvent,
} from './transport';

export interface UbiOpsClientOptions {
  /** API host; normalised (scheme, `/v2.1`). Default `https://api.ubiops.com/v2.1`. */
  host?: string;
  /** API token, with or without its `Token ` prefix. */
  token: string;
  network?: NetworkOptions;
  retry?: RetryOptions;
  /** Deadlines of calls and stall guards of transfers (see `TimeoutOptions`). */
  timeouts?: TimeoutOptions;
  /** Called once per attempt, for the request log. Never receives the token. */
  onRequest?: (event: RequestEvent) => void;
  /** Called before every wait of any call (rate limit, unavailable server, backoff), for the UI to show. */
  onWait?: (event: WaitEvent) => void;
  /** Sent as `User-Agent`. */
  userAgent?: string;
  /** A dispatcher to share (tests, or several clients of one host); the client then does not close it. */
  dispatcher?: Dispatcher;
}

/** Options every call takes. */
export interface CallOptions {
  /** Cancels the call, down to the socket. The call then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Overall deadline of the call, waits and retries included (default the client's, 5 min). */
  timeoutMs?: number;
  /** Called before each wait of this call ("waiting 30 s for the server (rate limited)"). */
  onWait?: (event: WaitEvent) => void;
}

export interface TransferProgress {
  /** Bytes of the file sent or received so far. */
  bytes: number;
  /** The file's size, when known. */
  total: number | undefined;
}

/** A zip produced as it is sent (the archive's `prepareZipUpload`): its exact length first, then its bytes. */
export interface ZipBody {
  length: number;
  chunks(signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

/**
 * The throughput of the latest upload of at least MEASURED_UPLOAD_BYTES to each host, bytes a second: what the next
 * upload's choice of what to deflate goes by. In memory only, shared by the clients of this process.
 */
const uploadThroughput = new Map<string, number>();
/** Smaller uploads measure the round trip more than the link. */
const MEASURED_UPLOAD_BYTES = 1024 * 1024;

export interface UploadOptions extends CallOptions {
  /** File name sent with the zip; default the path's base name. */
  fileName?: string;
  onProgress?: (progress: TransferProgress) => void;
}

export interface DownloadOptions extends CallOptions {
  /** Save under this exact path. */
  filePath?: string;
  /** Or save in this folder under the server's file name (default: `<environment>_<revision>.zip`). */
  directory?: string;
  /** With `directory`: replace a file of the same name instead of picking a free name (default false). */
  overwrite?: boolean;
  onProgress?: (progress: TransferProgress) => void;
}

export interface DownloadResult {
  path: string;
  /** The file name as the server gave it (stripped of any folder), or the fallback. */
  fileName: string;
  bytes: number;
}

export interface TokenCheck {
  valid: boolean;
  /** The projects the token sees, when valid. */
  projects?: Project[];
}

/**
 * The UbiOps API v2.1 client for environments. One method per endpoint of `docs/ubiops-api/Environments.md`:
 *
 * | reference operation                   | method                        |
 * |---------------------------------------|-------------------------------|
 * | environments_list                     | listEnvironments              |
 * | environments_create                   | createEnvironment             |
 * | environments_get                      | getEnvironment                |
 * | environments_update                   | updateEnvironment             |
 * | environments_delete                   | deleteEnvironment             |
 * | environments_usage                    | listEnvironmentUsage          |
 * | environment_revisions_list            | listRevisions                 |
 * | environment_revisions_get             | getRevision                   |
 * | environment_revisions_file_upload     | uploadRevision (file), copyRevision (source_environment) |
 * | environment_revisions_file_download   | downloadRevision              |
 * | environment_revisions_rebuild         | rebuildRevision               |
 * | environment_builds_list               | listBuilds                    |
 * | environment_builds_get                | getBuild                      |
 * | environment_builds_update             | cancelBuild                   |
 * | environment_build_dependencies_list   | listBuildDependencyFiles      |
 * | logs (platform notes)                 | listLogs, buildLogReader      |
 *
 * plus `getStatus` (`GET /status`), `getUser` (`GET /user`), `listProjects` (`GET /projects`), `getProject`
 * (`GET /projects/{project_name}`) and `checkToken`.
 */
export class UbiOpsClient {
  /** The normalised API base URL, e.g. `https://api.ubiops.com/v2.1`. */
  readonly host: string;
  private readonly transport: Transport;
  /** Made on the first request: creating a client (at activation, say) loads no HTTP stack and opens nothing. */
  private dispatcher: Dispatcher | undefined;
  private guarded: Dispatcher | undefined;
  private readonly network: NetworkOptions | undefined;
  private readonly ownsDispatcher: boolean;
  private closed = false;

  constructor(options: UbiOpsClientOptions) {
    this.host = normaliseHost(options.host ?? DEFAULT_API_HOST);
    const token = normaliseToken(options.token);
    if (!token) {
      throw new TypeError("The UbiOps API token is empty. Create one under your project's API tokens and paste it.");
    }
    this.ownsDispatcher = !options.dispatcher;
    this.dispatcher = options.dispatcher;
    this.network = options.network;
    if (options.network?.proxy) {
      new URL(options.network.proxy); // a malformed proxy setting fails here, as when the pool was made at once
    }
    this.transport = new Transport(
      this.host,
      token,
      { request: (request) => this.pool().request(request) },
      {
        maxAttempts: options.retry?.maxAttempts ?? 5,
        baseDelayMs: options.retry?.baseDelayMs ?? 500,
        maxDelayMs: options.retry?.maxDelayMs ?? 20_000,
        maxRateLimitWaitMs: options.retry?.maxRateLimitWaitMs ?? 75_000,
        maxTotalWaitMs: options.retry?.maxTotalWaitMs ?? 180_000,
      },
      options.onRequest,
      options.userAgent ?? 'ubiops-environments-vscode',
      {
        callTimeoutMs: options.timeouts?.callTimeoutMs ?? 300_000,
        transferWindowMs: options.timeouts?.transferWindowMs ?? 60_000,
        minTransferBytes: options.timeouts?.minTransferBytes ?? 16 * 1024,
      },
      options.onWait,
    );
  }

  /** Closes the connection pool. Calls in flight finish first. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.ownsDispatcher) {
      await this.dispatcher?.close();
    }
  }

  /** The connection pool, made on first use, behind the guard against undici's crash on a paused end (`pauseGuard`). */
  private pool(): Dispatcher {
    if (!this.dispatcher) {
      this.dispatcher = createDispatcher(this.network);
      if (this.closed) {
        void this.dispatcher.close(); // calls after close() fail as they always did
      }
    }
    return (this.guarded ??= this.dispatcher.compose(pauseGuard));
  }

  // ---- service and projects ------------------------------------------------------------------------------------

  /** `GET /status`: says the service is up; needs no token, so it says nothing about one. */
  getStatus(options: CallOptions = {}): Promise<ServiceStatus> {
    return this.object<ServiceStatus>({ method: 'GET', path: '/status', ...options });
  }

  /** `GET /user`: the user behind the token (`{email, name, surname}`); UbiOps' CLI calls it at sign-in. */
  getUser(options: CallOptions = {}): Promise<User> {
    return this.object<User>({ method: 'GET', path: '/user', ...options });
  }

  /** `GET /projects/{project_name}`: one project with its suspension and CORS settings; 404 when unknown. */
  getProject(project: string, options: CallOptions = {}): Promise<ProjectDetail> {
    return this.object<ProjectDetail>({ method: 'GET', path: projectPath(project), ...options }, SHAPES.project);
  }

  /** `GET /projects`, optionally filtered by labels (`k:v` pairs). */
  listProjects(
    filter: { labels?: Record<string, string> | string } = {},
    options: CallOptions = {},
  ): Promise<Project[]> {
    return this.array<Project>(
      { method: 'GET', path: '/projects', query: { labels: labelQuery(filter.labels) }, ...options },
      SHAPES.project,
    );
  }

  /** Lists projects to check the token: 401 means wrong, 200 means it works. Other failures throw. */
  async checkToken(options: CallOptions = {}): Promise<TokenCheck> {
    try {
      return { valid: true, projects: await this.listProjects({}, options) };
    } catch (error) {
      if (error instanceof UbiOpsApiError && error.status === 401) {
        return { valid: false };
      }
      throw error;
    }
  }

  // ---- environments --------------------------------------------------------------------------------------------

  /** `environments_list`: base and custom environments, filtered by labels (any pair), type and request format. */
  listEnvironments(
    project: string,
    filter: EnvironmentListFilter = {},
    options: CallOptions = {},
  ): Promise<EnvironmentList[]> {
    return this.array<EnvironmentList>(
      {
        method: 'GET',
        path: projectPath(project, 'environments'),
        query: {
          labels: labelQuery(filter.labels),
          environment_type: filter.environment_type,
          supports_request_format:
            filter.supports_request_format === undefined ? undefined : String(filter.supports_request_format),
        },
        ...options,
      },
      SHAPES.environment,
    );
  }

  /** `environments_create`. */
  createEnvironment(project: string, data: EnvironmentCreate, options: CallOptions = {}): Promise<EnvironmentList> {
    return this.object<EnvironmentList>(
      { method: 'POST', path: projectPath(project, 'environments'), json: data, ...options },
      SHAPES.environment,
    );
  }

  /** `environments_get`. */
  getEnvironment(project: string, environment: string, options: CallOptions = {}): Promise<EnvironmentDetail> {
    return this.object<EnvironmentDetail>(
      { method: 'GET', path: environmentPath(project, environment), ...options },
      SHAPES.environment,
    );
  }

  /** `environments_update`: rename, display name, description; `labels` replaces the labels whole. */
  updateEnvironment(
    project: string,
    environment: string,
    data: EnvironmentUpdate,
    options: CallOptions = {},
  ): Promise<EnvironmentDetail> {
    return this.object<EnvironmentDetail>(
      { method: 'PATCH', path: environmentPath(project, environment), json: data, ...options },
      SHAPES.environment,
    );
  }

  /** `environments_delete`. Refused (400) while a deployment version uses the environment. */
  async deleteEnvironment(project: string, environment: string, options: CallOptions = {}): Promise<void> {
    await this.transport.json<unknown>({ method: 'DELETE', path: environmentPath(project, environment), ...options });
  }

  /**
   * `environments_usage`: the deployment versions that use the environment. `environment_type` (`base`, `custom` or
   * `all`, the server's default) keeps the versions whose own environment is of that type.
   */
  listEnvironmentUsage(
    project: string,
    environment: string,
    filter: EnvironmentUsageFilter = {},
    options: CallOptions = {},
  ): Promise<EnvironmentUsage[]> {
    return this.array<EnvironmentUsage>(
      {
        method: 'GET',
        path: environmentPath(project, environment, 'usage'),
        query: { environment_type: filter.environment_type },
        ...options,
      },
      SHAPES.usage,
    );
  }

  // ---- revisions ---------------------------------------------------------------------------------------------

  /** `environment_revisions_list`. */
  listRevisions(project: string, environment: string, options: CallOptions = {}): Promise<EnvironmentRevisionDetail[]> {
    return this.array<EnvironmentRevisionDetail>(
      { method: 'GET', path: environmentPath(project, environment, 'revisions'), ...options },
      SHAPES.revision,
    );
  }

  /** `environment_revisions_get`. */
  getRevision(
    project: string,
    environment: string,
    revision: string,
    options: CallOptions = {},
  ): Promise<EnvironmentRevisionDetail> {
    return this.object<EnvironmentRevisionDetail>(
      { method: 'GET', path: revisionPath(project, environment, revision), ...options },
      SHAPES.revision,
    );
  }

  /**
   * `environment_revisions_file_upload` with a zip: streams the file from disk (never held whole in memory) and
   * reports bytes sent. A new revision and a build are created. Once the body has started, the upload is never
   * sent again automatically: a failure then is reported, and the caller may offer to retry.
   */
  async uploadRevision(
    project: string,
    environment: string,
    zip: string | ZipBody,
    options: UploadOptions = {},
  ): Promise<EnvironmentRevisionCreate> {
    throwIfAborted(options.signal);
    let content: ZipBody;
    if (typeof zip === 'string') {
      let size: number;
      try {
        const stat = await fs.stat(zip);
        if (!stat.isFile()) {
          throw new Error('not a file');
        }
        size = stat.size;
      } catch (cause) {
        throw new Error(`Cannot upload ${zip}: the file cannot be read (${(cause as Error).message}).`, { cause });
      }
      content = { length: size, chunks: () => fileChunks(zip, size) };
    } else {
      content = zip;
    }
    const fileName = options.fileName ?? (typeof zip === 'string' ? path.basename(zip) : 'environment.zip');
    let firstByte: number | undefined;
    let contentError: unknown;
    const stream = multipartFile(
      'file',
      fileName,
      'application/zip',
      content,
      options.signal,
      (bytes) => {
        firstByte ??= performance.now();
        options.onProgress?.({ bytes, total: content.length });
      },
      (error) => (contentError = error),
    );
    let created: EnvironmentRevisionCreate;
    try {
      created = await this.object<EnvironmentRevisionCreate>({
        method: 'POST',
        path: environmentPath(project, environment, 'revisions'),
        stream,
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        onWait: options.onWait,
        // The server may check the zip before it answers: give a large upload time.
        headersTimeoutMs: 300_000,
      });
    } catch (error) {
      // The zip could not be read to its end (a file changed): that, not "could not reach the host", is the news.
      throw contentError ?? error;
    }
    if (firstByte !== undefined && content.length >= MEASURED_UPLOAD_BYTES) {
      uploadThroughput.set(
        this.transport.host,
        content.length / Math.max(0.001, (performance.now() - firstByte) / 1000),
      );
    }
    return created;
  }

  /** Bytes a second the latest upload of a megabyte or more to this client's host went at; undefined before one. */
  uploadBytesPerSecond(): number | undefined {
    return uploadThroughput.get(this.transport.host);
  }

  /** `environment_revisions_file_upload` with `source_environment`: copies another environment's files. */
  copyRevision(
    project: string,
    environment: string,
    sourceEnvironment: string,
    options: CallOptions = {},
  ): Promise<EnvironmentRevisionCreate> {
    return this.object<EnvironmentRevisionCreate>({
      method: 'POST',
      path: environmentPath(project, environment, 'revisions'),
      stream: multipartField('source_environment', sourceEnvironment),
      ...options,
    });
  }

  /**
   * `environment_revisions_file_download`: streams the zip to a file, reporting bytes received. The file name comes
   * from `Content-Disposition`, stripped of any folder, or falls back to `<environment>_<revision>.zip`. The file
   * is written under a temporary name and renamed when complete; a failed or aborted download leaves nothing.
   */
  async downloadRevision(
    project: string,
    environment: string,
    revision: string,
    options: DownloadOptions,
  ): Promise<DownloadResult> {
    if (!options.filePath && !options.directory) {
      throw new TypeError('downloadRevision needs a filePath or a directory.');
    }
    const spec: RequestSpec = {
      method: 'GET',
      path: revisionPath(project, environment, revision, 'download'),
      signal: options.signal,
      onWait: options.onWait,
      streamed: true,
    };
    const fallback = safeFileName(`${environment}_${revision}.zip`) ?? 'environment.zip';
    // A connection dropped in the middle of the body is repeated from the start: a GET changes nothing.
    for (let attempt = 1; ; attempt++) {
      const response = await this.transport.send(spec);
      const header = response.headers['content-disposition'];
      const fileName = fileNameFromDisposition(Array.isArray(header) ? header[0] : header) ?? fallback;
      const target =
        options.filePath ?? (await freePath(path.join(options.directory!, fileName), options.overwrite ?? false));
      const lengthHeader = Number(response.headers['content-length']);
      const total = Number.isFinite(lengthHeader) && lengthHeader >= 0 ? lengthHeader : undefined;
      const partial = `${target}.${randomBytes(4).toString('hex')}.part`;
      let bytes = 0;
      try {
        options.onProgress?.({ bytes: 0, total });
        // Counted as the chunks go by rather than through a Transform (one stream less per chunk); the file is
        // written in batches (writev) of up to 1 MB while the next chunks arrive: about a quarter less CPU a GB.
        response.body.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          options.onProgress?.({ bytes, total });
        });
        // No overall deadline (a large file on a slow link takes long): a download that stalls is stopped instead.
        const stopWatching = this.transport.watchTransfer(
          () => bytes,
          options.signal,
          () =>
            response.body.destroy(
              Object.assign(new Error(`stalled: ${this.transport.stallText()}`), { code: 'UBIOPS_TRANSFER_STALLED' }),
            ),
        );
        try {
          await pipeline(response.body, createWriteStream(partial, { flags: 'wx', highWaterMark: 1024 * 1024 }), {
            signal: options.signal,
          });
        } finally {
          stopWatching();
        }
        if (total !== undefined && bytes !== total) {
          throw Object.assign(new Error(`the answer ended after ${bytes} of ${total} bytes`), {
            code: 'UND_ERR_SOCKET',
          });
        }
        await fs.rename(partial, target);
        return { path: target, fileName, bytes };
      } catch (error) {
        response.body.destroy();
        await fs.rm(partial, { force: true });
        if (options.signal?.aborted) {
          throw options.signal.reason;
        }
        const code = (error as { code?: string }).code ?? '';
        const stalled = code === 'UBIOPS_TRANSFER_STALLED';
        const dropped =
          stalled ||
          [
            'ECONNRESET',
            'UND_ERR_SOCKET',
            'UND_ERR_BODY_TIMEOUT',
            'UND_ERR_ABORTED',
            'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
          ].includes(code);
        if (!dropped || attempt >= 3) {
          throw new UbiOpsApiError({
            method: 'GET',
            path: spec.path,
            host: this.transport.host,
            code: code || undefined,
            message: stalled
              ? `GET ${spec.path}: the download from ${this.transport.host} stalled (${this.transport.stallText()}) after ${bytes} bytes, ${attempt} times. Try again, or check the network.`
              : dropped
                ? `GET ${spec.path}: the download from ${this.transport.host} was cut off after ${bytes} bytes, ${attempt} times. Try again.`
                : `GET ${spec.path}: could not save the download to ${target}: ${(error as Error).message}`,
            cause: error,
          });
        }
      }
    }
  }

  /** `environment_revisions_rebuild`: a new build of the revision (trigger "Rebuild triggered"). */
  rebuildRevision(
    project: string,
    environment: string,
    revision: string,
    options: CallOptions = {},
  ): Promise<EnvironmentBuild> {
    return this.object<EnvironmentBuild>(
      { method: 'POST', path: revisionPath(project, environment, revision, 'rebuild'), json: {}, ...options },
      SHAPES.build,
    );
  }

  // ---- builds ------------------------------------------------------------------------------------------------

  /** `environment_builds_list`. */
  listBuilds(
    project: string,
    environment: string,
    revision: string,
    options: CallOptions = {},
  ): Promise<EnvironmentBuild[]> {
    return this.array<EnvironmentBuild>(
      { method: 'GET', path: revisionPath(project, environment, revision, 'builds'), ...options },
      SHAPES.build,
    );
  }

  /** `environment_builds_get`. */
  getBuild(
    project: string,
    environment: string,
    revision: string,
    build: string,
    options: CallOptions = {},
  ): Promise<EnvironmentBuild> {
    return this.object<EnvironmentBuild>(
      { method: 'GET', path: buildPath(project, environment, revision, build), ...options },
      SHAPES.build,
    );
  }

  /** `environment_builds_update`: cancels a queued or processing build (the only change the API allows). */
  cancelBuild(
    project: string,
    environment: string,
    revision: string,
    build: string,
    options: CallOptions = {},
  ): Promise<EnvironmentBuild> {
    return this.object<EnvironmentBuild>(
      {
        method: 'PATCH',
        path: buildPath(project, environment, revision, build),
        json: { status: 'cancelled' },
        ...options,
      },
      SHAPES.build,
    );
  }

  /** `environment_build_dependencies_list`: the dependency files of a build, with their contents. */
  listBuildDependencyFiles(
    project: string,
    environment: string,
    revision: string,
    build: string,
    options: CallOptions = {},
  ): Promise<EnvironmentBuildDependency[]> {
    return this.array<EnvironmentBuildDependency>(
      {
        method: 'GET',
        path: buildPath(project, environment, revision, build, 'dependency-files'),
        ...options,
      },
      SHAPES.dependencyFile,
    );
  }

  // ---- logs --------------------------------------------------------------------------------------------------

  /** `GET /projects/{project}/logs`: log lines, oldest first, with exact nanosecond timestamps (`./logs.ts`). */
  async listLogs(project: string, options: ListLogsOptions = {}): Promise<LogLine[]> {
    const spec: RequestSpec = {
      method: 'GET',
      path: projectPath(project, 'logs'),
      query: {
        query: options.query,
        start: logTimeParameter(options.start),
        end: logTimeParameter(options.end),
        limit: options.limit === undefined ? undefined : String(options.limit),
      },
      signal: options.signal,
      // A page holds at most 5000 lines: a server that sends more is not read.
      maxItems: MAX_LOG_LIMIT,
    };
    const value = await this.transport.json<unknown>(spec, parseLogsText);
    const lines = Array.isArray(value) ? value.map(toLogLine) : [];
    if (!Array.isArray(value) || lines.some((line) => line === undefined)) {
      throw this.shapeError(spec, 'a list of log lines with timestamps', value);
    }
    return lines as LogLine[];
  }

  /** Reads one build's log page after page without losing or repeating a line, from the start or where it stopped. */
  buildLogReader(project: string, environment: string, build: string, limit?: number): BuildLogReader {
    return new BuildLogReader((options) => this.listLogs(project, options), buildLogQuery(environment, build), limit);
  }

  // ---- shapes ------------------------------------------------------------------------------------------------

  /**
   * A JSON object answer; anything else is a clear error rather than a crash further on. With a `shape`, the
   * answer is capped at its size and must have its fields (`shapes.ts`).
   */
  private async object<T>(spec: RequestSpec, shape?: Shape): Promise<T> {
    const value = await this.transport.json<unknown>(shape ? { maxBytes: shape.maxBytes, ...spec } : spec);
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw this.shapeError(spec, 'an object', value);
    }
    const problem = shape && shapeProblem(value, shape);
    if (problem) {
      throw this.shapeError(spec, shape.what, value, `but ${problem}`);
    }
    return value as T;
  }

  /**
   * A JSON array answer of objects; unknown fields in the objects are kept. With a `shape`, the answer is capped at
   * its size and item count before it is parsed, and every item must have the shape's fields: a list the explorer
   * could not show is refused whole, before any node is built.
   */
  private async array<T>(spec: RequestSpec, shape?: Shape): Promise<T[]> {
    const value = await this.transport.json<unknown>(
      shape ? { maxBytes: shape.maxBytes, maxItems: shape.maxItems, ...spec } : spec,
    );
    if (!Array.isArray(value) || value.some((item) => !item || typeof item !== 'object' || Array.isArray(item))) {
      throw this.shapeError(spec, 'a list of objects', value);
    }
    if (shape) {
      for (const [index, item] of value.entries()) {
        const problem = shapeProblem(item, shape);
        if (problem) {
          throw this.shapeError(
            spec,
            `a list of ${shape.what.replace(/^an? /, '')} objects`,
            value,
            `but in item ${index + 1}, ${problem}`,
          );
        }
      }
    }
    return value as T[];
  }

  private shapeError(spec: RequestSpec, expected: string, value: unknown, problem?: string): UbiOpsApiError {
    const got = problem ?? `got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}`;
    return new UbiOpsApiError({
      method: spec.method,
      path: spec.path,
      host: this.transport.host,
      message: `${spec.method} ${spec.path}: expected ${expected} from ${this.transport.host}, ${got}. Is the host a UbiOps API?`,
    });
  }
}

function segment(value: string): string {
  if (value === '') {
    throw new TypeError('A project, environment, revision or build name is empty.');
  }
  return encodeURIComponent(value);
}

function projectPath(project: string, ...rest: string[]): string {
  return ['', 'projects', segment(project), ...rest].join('/');
}

function environmentPath(project: string, environment: string, ...rest: string[]): string {
  return projectPath(project, 'environments', segment(environment), ...rest);
}

function revisionPath(project: string, environment: string, revision: string, ...rest: string[]): string {
  return environmentPath(project, environment, 'revisions', segment(revision), ...rest);
}

function buildPath(project: string, environment: string, revision: string, build: string, ...rest: string[]): string {
  return revisionPath(project, environment, revision, 'builds', segment(build), ...rest);
}

/** `labels` as the API takes it: `k:v,k2:v2`. */
export function labelQuery(labels: Record<string, string> | string | undefined): string | undefined {
  if (labels === undefined) {
    return undefined;
  }
  if (typeof labels === 'string') {
    return labels.trim() || undefined;
  }
  const pairs = Object.entries(labels).map(([key, value]) => `${key}:${value}`);
  return pairs.length ? pairs.join(',') : undefined;
}

/** The file name of a `Content-Disposition` header, stripped of any folder part, or undefined. */
export function fileNameFromDisposition(header: string | undefined): string | undefined {
  if (!header) {
    return undefined;
  }
  let name: string | undefined;
  try {
    name = contentDisposition.parse(header).parameters.filename;
  } catch {
    // A malformed header: take a plain filename="…" if there is one.
    name = /filename\s*=\s*"?([^";]+)"?/i.exec(header)?.[1];
  }
  return name === undefined ? undefined : safeFileName(name);
}

/** A name that cannot leave its folder: no folder part, no control characters, no `.`/`..`. */
function safeFileName(name: string): string | undefined {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').trim();
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? undefined : cleaned;
}

/** `file.zip`, else `file (1).zip`, … : never silently replaces a file the user has. */
async function freePath(wanted: string, overwrite: boolean): Promise<string> {
  if (overwrite) {
    return wanted;
  }
  const extension = path.extname(wanted);
  const stem = wanted.slice(0, wanted.length - extension.length);
  for (let index = 0; ; index++) {
    const candidate = index === 0 ? wanted : `${stem} (${index})${extension}`;
    try {
      await fs.access(candidate);
    } catch {
      return candidate;
    }
  }
}

function boundary(): string {
  return `----ubiops-vscode-${randomBytes(12).toString('hex')}`;
}

/** Quotes a form-data name or file name as browsers do (WHATWG HTML, multipart/form-data encoding). */
function quote(value: string): string {
  return value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A multipart body of one file part of a known length, streamed, counting the file's bytes. */
function multipartFile(
  field: string,
  fileName: string,
  contentType: string,
  content: ZipBody,
  signal: AbortSignal | undefined,
  onBytes: (bytes: number) => void,
  onContentError: (error: unknown) => void,
): StreamBody {
  const mark = boundary();
  const head = Buffer.from(
    `--${mark}\r\nContent-Disposition: form-data; name="${quote(field)}"; filename="${quote(fileName)}"\r\n` +
      `Content-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${mark}--\r\n`);
  let started = false;
  return {
    contentType: `multipart/form-data; boundary=${mark}`,
    length: head.length + content.length + tail.length,
    started: () => started,
    async *open() {
      started = true;
      yield head;
      let sent = 0;
      onBytes(0);
      try {
        for await (const chunk of content.chunks(signal)) {
          sent += chunk.length;
          yield chunk;
          onBytes(sent);
        }
        if (sent !== content.length) {
          throw new Error(
            `The zip was ${sent} bytes instead of the ${content.length} announced: a file changed during the upload.`,
          );
        }
      } catch (error) {
        onContentError(error);
        throw error;
      }
      yield tail;
    },
  };
}

/** A file's bytes, checked against the size it had when the upload began. */
async function* fileChunks(filePath: string, size: number): AsyncGenerator<Buffer> {
  let read = 0;
  // 1 MB reads: a quarter of the chunks of 256 KB through the streams and the socket (less CPU a GB), and no
  // more memory: the peak is the garbage V8 lets build up before collecting it, whatever the chunk size.
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1024 * 1024 })) {
    read += (chunk as Buffer).length;
    yield chunk as Buffer;
  }
  if (read !== size) {
    throw new Error(`${filePath} changed size during the upload (${size} bytes expected, ${read} read).`);
  }
}

/**
 * A multipart body of one plain field. It is as small as a JSON body and is treated like one: repeated after a 429
 * (the server refused it unread), never after a dropped connection (it may have been acted on).
 */
function multipartField(field: string, value: string): StreamBody {
  const mark = boundary();
  const body = Buffer.from(
    `--${mark}\r\nContent-Disposition: form-data; name="${quote(field)}"\r\n\r\n${value}\r\n--${mark}--\r\n`,
  );
  return {
    contentType: `multipart/form-data; boundary=${mark}`,
    length: body.length,
    started: () => false,
    async *open() {
      yield body;
    },
  };
}
