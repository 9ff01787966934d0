import * as path from 'node:path';
import type { Dispatcher } from 'undici';
import type { CallOptions, UbiOpsClientOptions } from './calls';
import { type DownloadOptions, type DownloadResult, downloadToFile, safeFileName } from './download';
import { UbiOpsApiError } from './errors';
import { pauseGuard } from './pauseGuard';
import { DEFAULT_API_HOST, normaliseHost, normaliseToken } from './host';
import { type Shape, SHAPES } from './shapes';
import { readArray, readObject, shapeError } from './answers';
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
import { createDispatcher, type NetworkOptions } from './network';
import { buildPath, environmentPath, labelQuery, projectPath, revisionPath } from './paths';
import { type RequestSpec, Transport } from './transport';
import {
  multipartField,
  uploadBytesPerSecond,
  type UploadOptions,
  type ZipBody,
  zipContent,
  ZipUpload,
} from './upload';
import { throwIfAborted } from './waits';

// The client's public types and helpers, from the modules that hold them.
export type { CallOptions, TransferProgress, UbiOpsClientOptions } from './calls';
export { type DownloadOptions, type DownloadResult, fileNameFromDisposition } from './download';
export { labelQuery } from './paths';
export type { UploadOptions, ZipBody } from './upload';

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
/** Options every call takes (short, so that each endpoint's signature holds on one line). */
type Call = CallOptions;
/** A request's query parameters; undefined ones are left out. */
type Query = RequestSpec['query'];

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
  getStatus(options: CallOptions = {}) {
    return this.get<ServiceStatus>('/status', undefined, options);
  }

  /** `GET /user`: the user behind the token (`{email, name, surname}`); UbiOps' CLI calls it at sign-in. */
  getUser(options: CallOptions = {}) {
    return this.get<User>('/user', undefined, options);
  }

  /** `GET /projects/{project_name}`: one project with its suspension and CORS settings; 404 when unknown. */
  getProject(project: string, options: CallOptions = {}) {
    return this.get<ProjectDetail>(projectPath(project), SHAPES.project, options);
  }

  /** `GET /projects`, optionally filtered by labels (`k:v` pairs). */
  listProjects(filter: { labels?: Record<string, string> | string } = {}, options: CallOptions = {}) {
    return this.list<Project>('/projects', SHAPES.project, options, { labels: labelQuery(filter.labels) });
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
  listEnvironments(project: string, filter: EnvironmentListFilter = {}, options: CallOptions = {}) {
    const { labels, environment_type, supports_request_format: format } = filter;
    const query = {
      labels: labelQuery(labels),
      environment_type,
      supports_request_format: format === undefined ? undefined : String(format),
    };
    return this.list<EnvironmentList>(projectPath(project, 'environments'), SHAPES.environment, options, query);
  }

  /** `environments_create`. */
  createEnvironment(project: string, data: EnvironmentCreate, options: CallOptions = {}) {
    return this.change<EnvironmentList>(
      'POST',
      projectPath(project, 'environments'),
      data,
      SHAPES.environment,
      options,
    );
  }

  /** `environments_get`. */
  getEnvironment(project: string, environment: string, options: CallOptions = {}) {
    return this.get<EnvironmentDetail>(environmentPath(project, environment), SHAPES.environment, options);
  }

  /** `environments_update`: rename, display name, description; `labels` replaces the labels whole. */
  updateEnvironment(project: string, environment: string, data: EnvironmentUpdate, options: CallOptions = {}) {
    return this.change<EnvironmentDetail>(
      'PATCH',
      environmentPath(project, environment),
      data,
      SHAPES.environment,
      options,
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
  listEnvironmentUsage(project: string, environment: string, filter: EnvironmentUsageFilter = {}, options: Call = {}) {
    const path = environmentPath(project, environment, 'usage');
    return this.list<EnvironmentUsage>(path, SHAPES.usage, options, { environment_type: filter.environment_type });
  }

  // ---- revisions ---------------------------------------------------------------------------------------------

  /** `environment_revisions_list`. */
  listRevisions(project: string, environment: string, options: CallOptions = {}) {
    const path = environmentPath(project, environment, 'revisions');
    return this.list<EnvironmentRevisionDetail>(path, SHAPES.revision, options);
  }

  /** `environment_revisions_get`. */
  getRevision(project: string, environment: string, revision: string, options: CallOptions = {}) {
    const path = revisionPath(project, environment, revision);
    return this.get<EnvironmentRevisionDetail>(path, SHAPES.revision, options);
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
    const content = await zipContent(zip);
    const fileName = options.fileName ?? (typeof zip === 'string' ? path.basename(zip) : 'environment.zip');
    const upload = new ZipUpload(content, fileName, options);
    try {
      const created = await this.object<EnvironmentRevisionCreate>({
        method: 'POST',
        path: environmentPath(project, environment, 'revisions'),
        stream: upload.body,
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        onWait: options.onWait,
        // The server may check the zip before it answers: give a large upload time.
        headersTimeoutMs: 300_000,
      });
      upload.measured(this.transport.host);
      return created;
    } catch (error) {
      // The zip could not be read to its end (a file changed): that, not "could not reach the host", is the news.
      throw upload.contentError ?? error;
    }
  }

  /** Bytes a second the latest upload of a megabyte or more to this client's host went at; undefined before one. */
  uploadBytesPerSecond(): number | undefined {
    return uploadBytesPerSecond(this.transport.host);
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
    return downloadToFile(this.transport, spec, fallback, options);
  }

  /** `environment_revisions_rebuild`: a new build of the revision (trigger "Rebuild triggered"). */
  rebuildRevision(project: string, environment: string, revision: string, options: CallOptions = {}) {
    const path = revisionPath(project, environment, revision, 'rebuild');
    return this.change<EnvironmentBuild>('POST', path, {}, SHAPES.build, options);
  }

  // ---- builds ------------------------------------------------------------------------------------------------

  /** `environment_builds_list`. */
  listBuilds(project: string, environment: string, revision: string, options: CallOptions = {}) {
    return this.list<EnvironmentBuild>(revisionPath(project, environment, revision, 'builds'), SHAPES.build, options);
  }

  /** `environment_builds_get`. */
  getBuild(project: string, environment: string, revision: string, build: string, options: CallOptions = {}) {
    return this.get<EnvironmentBuild>(buildPath(project, environment, revision, build), SHAPES.build, options);
  }

  /** `environment_builds_update`: cancels a queued or processing build (the only change the API allows). */
  cancelBuild(project: string, environment: string, revision: string, build: string, options: CallOptions = {}) {
    const path = buildPath(project, environment, revision, build);
    return this.change<EnvironmentBuild>('PATCH', path, { status: 'cancelled' }, SHAPES.build, options);
  }

  /** `environment_build_dependencies_list`: the dependency files of a build, with their contents. */
  listBuildDependencyFiles(project: string, environment: string, revision: string, build: string, options: Call = {}) {
    const path = buildPath(project, environment, revision, build, 'dependency-files');
    return this.list<EnvironmentBuildDependency>(path, SHAPES.dependencyFile, options);
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
      throw shapeError(this.transport, spec, 'a list of log lines with timestamps', value);
    }
    return lines as LogLine[];
  }

  /** Reads one build's log page after page without losing or repeating a line, from the start or where it stopped. */
  buildLogReader(project: string, environment: string, build: string, limit?: number): BuildLogReader {
    return new BuildLogReader((options) => this.listLogs(project, options), buildLogQuery(environment, build), limit);
  }

  private object<T>(spec: RequestSpec, shape?: Shape): Promise<T> {
    return readObject<T>(this.transport, spec, shape);
  }

  /** A GET of one object, of `shape` when given. */
  private get<T>(path: string, shape: Shape | undefined, options: CallOptions, query?: Query): Promise<T> {
    return this.object<T>({ method: 'GET', path, query, ...options }, shape);
  }

  /** A GET of a list of objects of `shape`. */
  private list<T>(path: string, shape: Shape, options: CallOptions, query?: Query): Promise<T[]> {
    return readArray<T>(this.transport, { method: 'GET', path, query, ...options }, shape);
  }

  /** A POST or PATCH of JSON, answered with an object: the resource as it now is. */
  private change<T>(
    method: 'POST' | 'PATCH',
    path: string,
    json: unknown,
    shape: Shape,
    options: CallOptions,
  ): Promise<T> {
    return this.object<T>({ method, path, json, ...options }, shape);
  }
}
