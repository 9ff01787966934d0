import * as dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import * as tls from 'node:tls';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, Dispatcher, EnvHttpProxyAgent } from 'undici';
import { adviceForStatus, serverMessageFromBody, UbiOpsApiError } from './errors';
import { isLoopbackHost } from './host';
import { countTopLevelItems } from './shapes';

/** Network settings, so that the extension can pass on VS Code's `http.*` settings and the usual variables. */
export interface NetworkOptions {
  /** Proxy URL (`http://user:pass@proxy:3128`); empty or undefined means no proxy. */
  proxy?: string;
  /** Hosts that bypass the proxy, comma separated (`NO_PROXY` syntax). Loopback always bypasses it. */
  noProxy?: string;
  /** Verify the server's TLS certificate (default true). Off only for a self-signed on-premise install. */
  strictSSL?: boolean;
  /** Extra CA certificates (PEM), added to Node's own roots. */
  ca?: string[];
  /** Time to establish a connection (default 10 s). */
  connectTimeoutMs?: number;
  /** Time to wait for an answer's headers once a request is sent (default 60 s; uploads wait 5 minutes). */
  headersTimeoutMs?: number;
  /** Longest silence while receiving a body (default 60 s). */
  bodyTimeoutMs?: number;
}

/** Proxy settings from the usual environment variables, for an `https` host. */
export function proxyFromEnvironment(env: NodeJS.ProcessEnv = process.env): Pick<NetworkOptions, 'proxy' | 'noProxy'> {
  const proxy = env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy || undefined;
  const noProxy = env.NO_PROXY || env.no_proxy || undefined;
  return { proxy, noProxy };
}

/**
 * Name resolution for the client's connections: `localhost` and every `*.localhost` name resolve to this machine
 * (127.0.0.1 or ::1) without asking DNS (RFC 6761), since they are trusted as loopback (plain http is allowed to
 * them, and they never go through a proxy); every other name is resolved as usual.
 */
export const loopbackAwareLookup: LookupFunction = (hostname, options, callback) => {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name !== 'localhost' && !name.endsWith('.localhost')) {
    dns.lookup(hostname, options, callback);
    return;
  }
  const v6 = options.family === 6 || options.family === 'IPv6';
  const address = v6 ? '::1' : '127.0.0.1';
  const family = v6 ? 6 : 4;
  if (options.all) {
    (callback as unknown as (error: null, addresses: dns.LookupAddress[]) => void)(null, [{ address, family }]);
  } else {
    callback(null, address, family);
  }
};

/**
 * Sends requests to a host on this machine (every 127.x.x.x, ::1, localhost and `*.localhost`) straight to it and
 * all others through the proxy agent: a proxy must never see a request to this machine, whose token would travel in
 * clear (`http://127.0.0.2`), whatever `noProxy` says.
 */
class LoopbackBypass extends Dispatcher {
  constructor(
    private readonly direct: Dispatcher,
    private readonly proxied: Dispatcher,
  ) {
    super();
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    let loopback = false;
    try {
      loopback = isLoopbackHost(new URL(String(options.origin)).hostname);
    } catch {
      // No usable origin: let the proxy agent refuse it as it would.
    }
    return (loopback ? this.direct : this.proxied).dispatch(options, handler);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const done = Promise.all([this.direct.close(), this.proxied.close()]).then(() => undefined);
    if (!callback) return done;
    void done.then(callback, callback);
  }

  override destroy(): Promise<void>;
  override destroy(error: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(error: Error | null, callback: () => void): void;
  override destroy(first?: Error | null | (() => void), second?: () => void): Promise<void> | void {
    const error = typeof first === 'function' ? null : (first ?? null);
    const callback = typeof first === 'function' ? first : second;
    const done = Promise.all([this.direct.destroy(error), this.proxied.destroy(error)]).then(() => undefined);
    if (!callback) return done;
    void done.then(callback, callback);
  }
}

/**
 * One keep-alive connection pool for the client's host (undici pools per origin inside an Agent). With a proxy,
 * undici's EnvHttpProxyAgent, given explicit settings, decides per request whether `noProxy` applies; requests to
 * this machine bypass it always (`LoopbackBypass`).
 */
export function createDispatcher(options: NetworkOptions = {}): Dispatcher {
  const tlsOptions = {
    rejectUnauthorized: options.strictSSL ?? true,
    // `ca` replaces Node's roots rather than adding to them: keep the roots so public hosts still verify.
    ...(options.ca?.length ? { ca: [...tls.rootCertificates, ...options.ca] } : {}),
  };
  const common = {
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: options.headersTimeoutMs ?? 60_000,
    bodyTimeout: options.bodyTimeoutMs ?? 60_000,
    connect: { ...tlsOptions, timeout: options.connectTimeoutMs ?? 10_000, lookup: loopbackAwareLookup },
  };
  if (options.proxy) {
    const noProxy = ['localhost', '127.0.0.1', '[::1]', options.noProxy ?? ''].filter(Boolean).join(',');
    const proxied = new EnvHttpProxyAgent({
      ...common,
      httpProxy: options.proxy,
      httpsProxy: options.proxy,
      noProxy,
      requestTls: tlsOptions,
    });
    return new LoopbackBypass(new Agent(common), proxied);
  }
  return new Agent(common);
}

export interface RetryOptions {
  /** Attempts in all, the first included (default 5). */
  maxAttempts?: number;
  /** First backoff delay (default 500 ms); doubled each attempt, jittered. */
  baseDelayMs?: number;
  /** Cap of one backoff delay (default 20 s). */
  maxDelayMs?: number;
  /**
   * Longest single wait the client accepts, above all when the server asks for one (`Retry-After` or
   * `x-ratelimit-reset` on a 429 or 503); a longer one fails the call at once with the wait in the error (default
   * 75 s: UbiOps' rate limit window is 60 s, and the official client adds a second to the reset it is told).
   */
  maxRateLimitWaitMs?: number;
  /** All the waits of one call together, backoffs included; past it the call fails with the last answer (default 3 min). */
  maxTotalWaitMs?: number;
}

/**
 * Deadlines. A call (request, waits and retries, reading the answer) must end within `callTimeoutMs`, so a server
 * that trickles its answer cannot hold it for ever. A transfer (a file upload's body, a download) has no overall
 * deadline, which would break large files on slow links; it is stopped instead when it stalls: fewer than
 * `minTransferBytes` moved in `transferWindowMs`.
 */
export interface TimeoutOptions {
  /** Overall deadline of a call (default 5 min); each call can set its own (`timeoutMs`). */
  callTimeoutMs?: number;
  /** Window over which a transfer must move `minTransferBytes` (default 60 s). */
  transferWindowMs?: number;
  /** Bytes a transfer must move in each window (default 16 KiB). */
  minTransferBytes?: number;
}

/** A wait the client is about to make before repeating a call, for the UI to show ("waiting 30 s for the server"). */
export interface WaitEvent {
  method: string;
  path: string;
  /** How long, rounded up to whole seconds. */
  seconds: number;
  /** Why: the server limits the rate (429), is unavailable (503), failed (5xx) or could not be reached. */
  reason: 'rate limited' | 'unavailable' | 'server error' | 'network';
  /** `waiting 30 s for the server (rate limited)`. */
  message: string;
}

/** Bodies larger than this are transfers: a stall guard instead of the call's deadline while they are sent. */
const TRANSFER_BYTES = 1024 * 1024;

/** One line of the request log. Holds no header and no body: the token can never reach it. */
export interface RequestEvent {
  method: string;
  path: string;
  /** HTTP status, or undefined when the attempt failed without an answer. */
  status: number | undefined;
  durationMs: number;
  /** 1 for the first attempt. */
  attempt: number;
  /** When the attempt failed without an answer, what happened (error code or message). */
  error?: string;
  /** When another attempt follows, after how long. */
  retryInMs?: number;
}

/** A body streamed from a source that can be read once; see `StreamBody.started`. */
export interface StreamBody {
  contentType: string;
  length: number;
  /** Called for each attempt; the stream must count its own bytes and report through `onProgress`. */
  open(): AsyncIterable<Uint8Array>;
  /** True once the first byte left; from then on the request is never repeated. */
  started(): boolean;
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path below the API base, starting with `/`, its segments already encoded. */
  path: string;
  query?: Record<string, string | undefined>;
  json?: unknown;
  stream?: StreamBody;
  signal?: AbortSignal;
  headersTimeoutMs?: number;
  /** Overall deadline of this call, instead of the client's `callTimeoutMs`. */
  timeoutMs?: number;
  /** Largest JSON answer read, instead of 64 MiB (`shapes.ts` has one per kind of answer). */
  maxBytes?: number;
  /** For a list: most items, counted before the answer is parsed. */
  maxItems?: number;
  /** Told before each wait for a repeat (rate limit, unavailable server, backoff). */
  onWait?: (event: WaitEvent) => void;
  /**
   * The answer's body is streamed to disk (a download) rather than read whole: undici's buffer of it is then kept
   * small (DOWNLOAD_BUFFER_BYTES), so a disk slower than the network slows the connection down instead of filling
   * memory. Pausing undici's parser is safe through the client's `pauseGuard` (nodejs/undici#5360).
   */
  streamed?: boolean;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

/** Largest JSON answer the client reads; a broken or hostile server cannot make it buffer without bound. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;
/** How far a download's disk writes may fall behind the network before undici pauses its parser. */
const DOWNLOAD_BUFFER_BYTES = 1024 * 1024;

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);
/** Answers after which a GET is repeated: server faults, which a repeat of a read cannot make worse. */
const RETRIED_GET_STATUSES = new Set([500, 502, 503, 504]);
/** Failures where the request cannot have reached the server: always safe to repeat. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Sends requests with authentication, retries and errors. Retries, with capped, jittered exponential backoff:
 * - 429: always repeated after the wait the server asks for (`Retry-After`, else `x-ratelimit-reset`, else 59 s,
 *   plus one second, as the official client does), unless a streamed body had started;
 * - 500, 502, 503, 504 and connection resets: repeated for GET only, where a repeat cannot change anything (a 500
 *   is often a passing fault of one server behind a load balancer); other methods are never repeated after an
 *   answer or a reset, since the server may have acted on them;
 * - connection failures before anything was sent: repeated for every method.
 * Every wait has an end: one wait longer than `maxRateLimitWaitMs` (a 503 asking for ten days), waits adding up past
 * `maxTotalWaitMs`, or a wait that would pass the call's deadline end the call at once with the last answer's error;
 * each wait is announced first (`onWait`). A call has a deadline (`TimeoutOptions.callTimeoutMs`, or `timeoutMs`
 * per call) covering its waits, its attempts and the reading of its answer; a file upload's body and a download are
 * watched for stalls instead.
 */
export class Transport {
  readonly baseUrl: URL;
  private readonly basePath: string;
  private readonly authorization: string;
  private readonly token: string;
  private readonly userAgent: string;

  constructor(
    host: string,
    token: string,
    private readonly dispatcher: Pick<Dispatcher, 'request'>,
    private readonly retry: Required<RetryOptions>,
    private readonly onRequest: ((event: RequestEvent) => void) | undefined,
    userAgent: string,
    private readonly timeouts: Required<TimeoutOptions> = {
      callTimeoutMs: 300_000,
      transferWindowMs: 60_000,
      minTransferBytes: 16 * 1024,
    },
    private readonly onWait?: (event: WaitEvent) => void,
  ) {
    this.baseUrl = new URL(host);
    this.basePath = this.baseUrl.pathname.replace(/\/+$/, '');
    if (this.baseUrl.protocol === 'http:' && !isLoopbackHost(this.baseUrl.hostname)) {
      throw new TypeError(
        `Refusing to send the API token over plain http to ${this.baseUrl.host}: use https:// (http is only allowed for a server on this machine).`,
      );
    }
    this.token = token;
    this.authorization = `Token ${token}`;
    this.userAgent = userAgent;
  }

  get host(): string {
    return this.baseUrl.host;
  }

  /**
   * Sends a request and parses the JSON answer; throws `UbiOpsApiError` for any status ≥ 300, and when the call
   * passes its deadline (`TimeoutOptions`). A file upload's body is watched for stalls instead, and the deadline
   * starts once its answer begins. `parse` replaces `JSON.parse` where an answer needs more (integers past 2^53).
   */
  async json<T>(spec: RequestSpec, parse: (text: string) => unknown = JSON.parse): Promise<T> {
    const timeoutMs = spec.timeoutMs ?? this.timeouts.callTimeoutMs;
    const deadline = new AbortController();
    const expire = () =>
      deadline.abort(
        this.error(spec, {
          code: 'UBIOPS_CALL_TIMEOUT',
          message: `${spec.method} ${spec.path}: ${this.host} did not answer in full within ${formatSeconds(timeoutMs)}; the call was stopped. Try again, or check the network.`,
        }),
      );
    const transfer = !!spec.stream && spec.stream.length > TRANSFER_BYTES;
    let timer = transfer ? undefined : setTimeout(expire, timeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, deadline.signal]) : deadline.signal;
    const call: RequestSpec = {
      ...spec,
      signal,
      stream: transfer ? this.watchUpload(spec, spec.stream!, deadline) : spec.stream,
    };
    try {
      const response = await this.send(call, transfer ? undefined : Date.now() + timeoutMs);
      timer ??= setTimeout(expire, timeoutMs);
      let text: string;
      const maxBytes = spec.maxBytes ?? MAX_JSON_BYTES;
      try {
        text = await readText(response.body, maxBytes, () =>
          this.error(spec, {
            status: response.status,
            message: `${spec.method} ${spec.path}: the answer from ${this.host} is larger than ${maxBytes} bytes, more than a real answer can be; it was not read.`,
          }),
        );
      } catch (cause) {
        if (cause instanceof UbiOpsApiError) {
          throw cause;
        }
        if (signal.aborted) {
          throw signal.reason;
        }
        // The answer broke off, overran its length or stalled while its body came in: a network failure, named.
        throw this.networkError(spec, cause, errorCode(cause));
      }
      if (response.status === 204 || text.trim() === '') {
        return undefined as T;
      }
      if (spec.maxItems !== undefined && countTopLevelItems(text, spec.maxItems) > spec.maxItems) {
        throw this.error(spec, {
          status: response.status,
          message: `${spec.method} ${spec.path}: the answer from ${this.host} lists more than ${spec.maxItems} items, more than a real list holds; it was not read.`,
        });
      }
      try {
        return parse(text) as T;
      } catch (cause) {
        throw this.error(spec, {
          status: response.status,
          message: `${spec.method} ${spec.path}: ${this.host} answered ${response.status} with a body that is not JSON.`,
          cause,
        });
      }
    } finally {
      clearTimeout(timer);
      deadline.abort(); // ends the upload's stall guard; the signal is no longer listened to
    }
  }

  /** The upload's body, stopped through `abort` when it moves fewer than `minTransferBytes` in a window. */
  private watchUpload(spec: RequestSpec, body: StreamBody, abort: AbortController): StreamBody {
    let sent = 0;
    const limits = { windowMs: this.timeouts.transferWindowMs, minBytes: this.timeouts.minTransferBytes };
    const stall = () =>
      abort.abort(
        this.error(spec, {
          code: 'UBIOPS_TRANSFER_STALLED',
          message: `${spec.method} ${spec.path}: the upload to ${this.host} stalled (${this.stallText()}); it was stopped. Try again, or check the network.`,
        }),
      );
    return {
      contentType: body.contentType,
      length: body.length,
      started: () => body.started(),
      open: async function* () {
        const stop = watchTransfer(() => sent, abort.signal, stall, limits);
        try {
          for await (const chunk of body.open()) {
            yield chunk;
            sent += chunk.length;
          }
        } finally {
          stop();
        }
      },
    };
  }

  /** Watches a transfer of this client with its limits (`watchTransfer`); returns the function that stops it. */
  watchTransfer(bytes: () => number, signal: AbortSignal | undefined, onStall: () => void): () => void {
    return watchTransfer(bytes, signal, onStall, {
      windowMs: this.timeouts.transferWindowMs,
      minBytes: this.timeouts.minTransferBytes,
    });
  }

  /** `fewer than 16 KiB in 60 s`. */
  stallText(): string {
    return `fewer than ${formatBytes(this.timeouts.minTransferBytes)} in ${formatSeconds(this.timeouts.transferWindowMs)}`;
  }

  /**
   * Sends a request with retries and returns the answer once its status is below 300, body unread. For other
   * statuses it reads the body and throws `UbiOpsApiError`.
   */
  async send(spec: RequestSpec, deadlineAt?: number): Promise<RawResponse> {
    let waited = 0;
    /** The wait before another attempt, or undefined when it would pass a cap (one wait, all waits, the deadline). */
    const allowed = (delay: number | undefined): number | undefined =>
      delay === undefined ||
      delay > this.retry.maxRateLimitWaitMs ||
      waited + delay > this.retry.maxTotalWaitMs ||
      (deadlineAt !== undefined && Date.now() + delay >= deadlineAt)
        ? undefined
        : delay;
    const wait = async (delay: number, reason: WaitEvent['reason']): Promise<void> => {
      waited += delay;
      const seconds = Math.ceil(delay / 1000);
      const event: WaitEvent = {
        method: spec.method,
        path: spec.path,
        seconds,
        reason,
        message: `waiting ${seconds} s for the server (${reason})`,
      };
      spec.onWait?.(event);
      this.onWait?.(event);
      await sleep(delay, undefined, { signal: spec.signal }).catch(() => throwIfAborted(spec.signal));
    };
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(spec.signal);
      const started = Date.now();
      let response: Dispatcher.ResponseData;
      try {
        response = await this.dispatcher.request<null>({
          origin: this.baseUrl.origin,
          path: this.fullPath(spec),
          method: spec.method,
          headers: this.headers(spec),
          body: spec.stream
            ? Readable.from(spec.stream.open(), { objectMode: false })
            : spec.json === undefined
              ? undefined
              : JSON.stringify(spec.json),
          signal: spec.signal,
          headersTimeout: spec.headersTimeoutMs,
          highWaterMark: spec.streamed ? DOWNLOAD_BUFFER_BYTES : undefined,
        });
      } catch (cause) {
        if (spec.signal?.aborted) {
          this.log(spec, attempt, started, undefined, 'aborted');
          throw spec.signal.reason;
        }
        const code = errorCode(cause);
        const error = this.networkError(spec, cause, code);
        const retryable =
          (NOT_SENT_CODES.has(code) || (RESET_CODES.has(code) && spec.method === 'GET')) && !spec.stream?.started();
        const delay = allowed(retryable && attempt < this.retry.maxAttempts ? this.backoff(attempt) : undefined);
        this.log(spec, attempt, started, undefined, code || String(cause), delay);
        if (delay === undefined) {
          throw error;
        }
        await wait(delay, 'network');
        continue;
      }

      const { statusCode: status, headers, body } = response;
      if (status < 300) {
        this.log(spec, attempt, started, status);
        return { status, headers, body };
      }

      const text = await readText(body, 1024 * 1024).catch(() => '');
      const retryAfter = status === 429 || status === 503 ? retryAfterSeconds(headers, status) : undefined;
      let delay: number | undefined;
      if (attempt < this.retry.maxAttempts && !spec.stream?.started()) {
        if (status === 429) {
          // A 429 says the request was not acted on: repeated for every method, after the wait asked for.
          delay = (retryAfter ?? 60) * 1000 + Math.random() * 500;
        } else if (RETRIED_GET_STATUSES.has(status) && spec.method === 'GET') {
          delay = Math.max(this.backoff(attempt), (retryAfter ?? 0) * 1000);
        }
      }
      delay = allowed(delay);
      this.log(spec, attempt, started, status, undefined, delay);
      if (delay === undefined) {
        throw this.httpError(spec, status, text, retryAfter);
      }
      await wait(delay, status === 429 ? 'rate limited' : status === 503 ? 'unavailable' : 'server error');
    }
  }

  private fullPath(spec: RequestSpec): string {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) {
        query.set(key, value);
      }
    }
    const search = query.toString();
    return `${this.basePath}${spec.path}${search ? `?${search}` : ''}`;
  }

  private headers(spec: RequestSpec): Record<string, string> {
    const headers: Record<string, string> = {
      authorization: this.authorization,
      accept: 'application/json',
      'user-agent': this.userAgent,
    };
    if (spec.stream) {
      headers['content-type'] = spec.stream.contentType;
      headers['content-length'] = String(spec.stream.length);
    } else if (spec.json !== undefined) {
      headers['content-type'] = 'application/json';
    }
    return headers;
  }

  /** Full jitter: a random delay up to the capped exponential one, but never under half of it. */
  private backoff(attempt: number): number {
    const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private log(
    spec: RequestSpec,
    attempt: number,
    started: number,
    status?: number,
    error?: string,
    retryInMs?: number,
  ): void {
    this.onRequest?.({
      method: spec.method,
      path: spec.path,
      status,
      durationMs: Date.now() - started,
      attempt,
      ...(error === undefined ? {} : { error }),
      ...(retryInMs === undefined ? {} : { retryInMs: Math.round(retryInMs) }),
    });
  }

  httpError(
    spec: Pick<RequestSpec, 'method' | 'path'>,
    status: number,
    text: string,
    retryAfter?: number,
  ): UbiOpsApiError {
    const serverMessage = serverMessageFromBody(text);
    const advice =
      retryAfter === undefined
        ? adviceForStatus(status)
        : `${status === 429 ? 'UbiOps is limiting the request rate' : 'UbiOps is unavailable for now'}; try again in ${formatSeconds(retryAfter * 1000)}.`;
    const message = [
      `${spec.method} ${spec.path} failed with ${status}${serverMessage ? `: ${serverMessage}` : ''}.`,
      advice,
    ]
      .filter(Boolean)
      .join(' ');
    return this.error(spec, { status, serverMessage, retryAfterSeconds: retryAfter, message });
  }

  private networkError(spec: RequestSpec, cause: unknown, code: string): UbiOpsApiError {
    const what = describeNetworkFailure(code, cause);
    return this.error(spec, {
      code: code || undefined,
      message: `${spec.method} ${spec.path}: could not reach ${this.host} (${what}). Check the host setting, the network or the proxy, then try again.`,
      cause,
    });
  }

  private error(
    spec: Pick<RequestSpec, 'method' | 'path'>,
    init: {
      status?: number;
      serverMessage?: string;
      retryAfterSeconds?: number;
      code?: string;
      message: string;
      cause?: unknown;
    },
  ): UbiOpsApiError {
    return new UbiOpsApiError({
      method: spec.method,
      path: spec.path,
      host: this.host,
      ...init,
      secrets: [this.token],
    });
  }
}

/** Seconds to wait from `Retry-After` (seconds or an HTTP date), else `x-ratelimit-reset`, plus one second. */
export function retryAfterSeconds(
  headers: Record<string, string | string[] | undefined>,
  status: number,
): number | undefined {
  const first = (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const retryAfter = first('retry-after');
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) {
      return seconds;
    }
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) {
      return Math.max(0, (date - Date.now()) / 1000);
    }
  }
  const reset = Number(first('x-ratelimit-reset'));
  if (first('x-ratelimit-reset') !== undefined && Number.isFinite(reset) && reset >= 0) {
    return reset + 1;
  }
  return status === 429 ? 60 : undefined;
}

/**
 * Calls `onStall` once when `bytes()` grows by fewer than `minBytes` in a window of `windowMs` (a transfer trickled
 * to keep an idle timeout from firing); returns the function that stops watching, also called when `signal` aborts.
 */
export function watchTransfer(
  bytes: () => number,
  signal: AbortSignal | undefined,
  onStall: () => void,
  limits: { windowMs: number; minBytes: number },
): () => void {
  let last = bytes();
  const stop = (): void => {
    clearInterval(timer);
    signal?.removeEventListener('abort', stop);
  };
  const timer = setInterval(() => {
    const now = bytes();
    if (now - last < limits.minBytes) {
      stop();
      onStall();
    }
    last = now;
  }, limits.windowMs);
  signal?.addEventListener('abort', stop, { once: true });
  return stop;
}

/** `45 s`, `3 min`, `2 h`, `10 days`: a wait or a deadline as a person reads it. */
export function formatSeconds(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

function formatBytes(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason;
  }
}

function errorCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code) {
      return code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return '';
}

function describeNetworkFailure(code: string, cause: unknown): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused: nothing is listening there';
    case 'ENOTFOUND':
      return 'the host name does not resolve';
    case 'EAI_AGAIN':
      return 'the host name could not be resolved right now';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'timed out while connecting';
    case 'UND_ERR_HEADERS_TIMEOUT':
      return 'timed out waiting for an answer';
    case 'UND_ERR_BODY_TIMEOUT':
      return 'timed out while receiving the answer';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was dropped';
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return 'the answer was not as long as its Content-Length said';
    case 'CERT_HAS_EXPIRED':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `its TLS certificate was not accepted: ${code}; add the CA certificate or, for a trusted private install, turn strict SSL off`;
    default: {
      const message = cause instanceof Error ? cause.message : String(cause);
      return code ? `${code}: ${message}` : message;
    }
  }
}

async function readText(
  body: AsyncIterable<Uint8Array | string> & { destroy?: (error?: Error) => void },
  limit: number,
  tooLarge?: () => Error,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer =
      typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    size += buffer.length;
    if (size > limit) {
      body.destroy?.();
      if (tooLarge) {
        throw tooLarge();
      }
      break;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
