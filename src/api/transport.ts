import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { adviceForStatus, serverMessageFromBody, UbiOpsApiError } from './errors';
import { describeNetworkFailure, errorCode } from './network';
import { isLoopbackHost } from './host';
import { countTopLevelItems } from './shapes';
import {
  formatBytes,
  formatSeconds,
  type RetryOptions,
  retryAfterSeconds,
  throwIfAborted,
  type TimeoutOptions,
  WaitBudget,
  type WaitEvent,
  watchTransfer,
} from './waits';

// What other modules and the tests import from here.
export { createDispatcher, type NetworkOptions, proxyFromEnvironment } from './network';
export {
  formatSeconds,
  type RetryOptions,
  retryAfterSeconds,
  throwIfAborted,
  type TimeoutOptions,
  type WaitEvent,
  watchTransfer,
} from './waits';

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

/** What one attempt came to: an answer, or a failure with the wait before the next attempt when there is one. */
interface Attempt {
  status?: number;
  response?: RawResponse;
  /** For the request log, when no answer came: the error code, or `aborted`. */
  error?: string;
  failure?: unknown;
  retry?: { delay: number; reason: WaitEvent['reason'] };
}

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
      const response = await this.send(call, transfer ? undefined : performance.now() + timeoutMs);
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
    const budget = new WaitBudget(this.retry, deadlineAt);
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(spec.signal);
      const started = performance.now();
      const outcome = await this.attempt(spec, attempt, budget);
      this.log(spec, attempt, started, outcome.status, outcome.error, outcome.retry?.delay);
      if (outcome.response) {
        return outcome.response;
      }
      if (!outcome.retry) {
        throw outcome.failure;
      }
      await this.wait(spec, budget, outcome.retry);
    }
  }

  /** One attempt: the answer when its status is below 300; else what failed, and the wait before another if any. */
  private async attempt(spec: RequestSpec, attempt: number, budget: WaitBudget): Promise<Attempt> {
    let response: Dispatcher.ResponseData;
    try {
      response = await this.dispatcher.request<null>(this.requestOptions(spec));
    } catch (cause) {
      if (spec.signal?.aborted) {
        return { error: 'aborted', failure: spec.signal.reason };
      }
      const code = errorCode(cause);
      const retryable =
        (NOT_SENT_CODES.has(code) || (RESET_CODES.has(code) && spec.method === 'GET')) && !spec.stream?.started();
      const delay = budget.allowed(retryable && attempt < this.retry.maxAttempts ? this.backoff(attempt) : undefined);
      return {
        error: code || String(cause),
        failure: this.networkError(spec, cause, code),
        retry: delay === undefined ? undefined : { delay, reason: 'network' },
      };
    }
    const { statusCode: status, headers, body } = response;
    if (status < 300) {
      return { status, response: { status, headers, body } };
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
    delay = budget.allowed(delay);
    const reason = status === 429 ? 'rate limited' : status === 503 ? 'unavailable' : 'server error';
    return {
      status,
      failure: this.httpError(spec, status, text, retryAfter),
      retry: delay === undefined ? undefined : { delay, reason },
    };
  }

  private requestOptions(spec: RequestSpec): Dispatcher.RequestOptions<null> {
    return {
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
    };
  }

  /** Announces a wait before another attempt (`onWait`), then makes it; an abort ends it with the signal's reason. */
  private async wait(spec: RequestSpec, budget: WaitBudget, retry: NonNullable<Attempt['retry']>): Promise<void> {
    const seconds = Math.ceil(retry.delay / 1000);
    const event: WaitEvent = {
      method: spec.method,
      path: spec.path,
      seconds,
      reason: retry.reason,
      message: `waiting ${seconds} s for the server (${retry.reason})`,
    };
    spec.onWait?.(event);
    this.onWait?.(event);
    await budget.wait(retry.delay, spec.signal);
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
      durationMs: Math.round(performance.now() - started),
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
    init: Omit<ConstructorParameters<typeof UbiOpsApiError>[0], 'method' | 'path' | 'host' | 'secrets'>,
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
