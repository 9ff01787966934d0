/** The client's waits and deadlines: retry and timeout settings, the server's asked-for waits, stall guards. */
import { setTimeout as sleep } from 'node:timers/promises';

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
      // eslint-disable-next-line no-restricted-properties -- an HTTP date is a wall-clock time
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

export function formatBytes(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason;
  }
}

/**
 * The waits of one call: each one is allowed only if it stays under the longest single wait, keeps all the call's
 * waits under their total, and ends before the call's deadline.
 */
export class WaitBudget {
  private waited = 0;

  constructor(
    private readonly retry: Required<RetryOptions>,
    private readonly deadlineAt: number | undefined,
  ) {}

  /** The wait before another attempt, or undefined when it would pass a cap (one wait, all waits, the deadline). */
  allowed(delay: number | undefined): number | undefined {
    return delay === undefined ||
      delay > this.retry.maxRateLimitWaitMs ||
      this.waited + delay > this.retry.maxTotalWaitMs ||
      (this.deadlineAt !== undefined && performance.now() + delay >= this.deadlineAt)
      ? undefined
      : delay;
  }

  /** Makes a wait and counts it; an abort ends it with the signal's reason. */
  async wait(delay: number, signal: AbortSignal | undefined): Promise<void> {
    this.waited += delay;
    await sleep(delay, undefined, { signal }).catch(() => throwIfAborted(signal));
  }
}
