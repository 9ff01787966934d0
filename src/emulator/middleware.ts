/**
 * What every request passes before its handler: the Host check, latency, the rate limit, injected drops and errors,
 * and auth; and the bandwidth model that meters upload bodies and downloads. The order is the server's
 * (`server.ts`), as `CHOICES.md` lists it.
 */
import type * as http from 'node:http';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { hostAllowed } from './hostCheck';
import { HttpError } from './http';
import type { Faults } from './options';
import { megabitsToBytes, throttle, TokenBucket } from './throttle';

const RATE_WINDOW_SECONDS = 60;

const INJECTED_ERRORS: Record<number, string> = {
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service temporarily unavailable',
  504: 'Gateway timeout',
};

/** 421 for a `Host` that names no address of this machine (DNS rebinding). */
export function checkHost(req: http.IncomingMessage, boundHost: string): void {
  if (!hostAllowed(req.headers.host, boundHost)) {
    throw new HttpError(
      421,
      'This emulator answers only requests addressed to this machine (Host: localhost, 127.0.0.1, [::1] or its --host).',
    );
  }
}

export async function delay(faults: Faults): Promise<void> {
  const latency = faults.latencyMs ?? 0;
  if (latency > 0) {
    await new Promise((r) => setTimeout(r, latency));
  }
}

/** A fixed window per client IP, started by the window's first request. */
export class RateLimiter {
  private windows = new Map<string, { start: number; count: number }>();

  reset(): void {
    this.windows = new Map();
  }

  /** Counts the request, sets the `x-ratelimit-*` headers, and throws 429 past the limit. */
  apply(req: http.IncomingMessage, res: http.ServerResponse, faults: Faults): void {
    const limit = faults.rateLimitPerMinute ?? 0;
    if (!(limit > 0)) {
      return;
    }
    const windowMs = (faults.rateLimitWindowSeconds ?? RATE_WINDOW_SECONDS) * 1000;
    const now = performance.now(); // a window's length, not a date
    const ip = req.socket.remoteAddress ?? 'unknown';
    let window = this.windows.get(ip);
    if (!window || now - window.start >= windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(ip, window);
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
}

/**
 * Injected faults: true when the connection was dropped (nothing more to do); throws an injected error. Neither has
 * side effects on the state.
 */
export function injectFaults(req: http.IncomingMessage, faults: Faults): boolean {
  if (chance(faults.dropRate)) {
    req.socket.destroy();
    return true;
  }
  if (chance(faults.errorRate)) {
    const statuses = faults.errorStatuses?.length ? faults.errorStatuses : [500, 503];
    const status = statuses[Math.floor(Math.random() * statuses.length)];
    throw new HttpError(status, `${INJECTED_ERRORS[status] ?? 'Server error'} (injected by the emulator).`);
  }
  return false;
}

function chance(rate: number | undefined): boolean {
  return rate !== undefined && rate > 0 && Math.random() < rate;
}

/** `Authorization: Token <t>` with an accepted token, else 401 with `WWW-Authenticate: Token`. */
export function authenticate(req: http.IncomingMessage, tokens: ReadonlySet<string>): void {
  const header = req.headers.authorization;
  const challenge = { 'WWW-Authenticate': 'Token' };
  if (header === undefined || header.trim() === '') {
    throw new HttpError(401, 'Authentication credentials were not provided.', challenge);
  }
  const m = /^Token (\S+)$/.exec(header.trim());
  if (!m || !tokens.has(m[1])) {
    throw new HttpError(401, 'Invalid token.', challenge);
  }
}

/** The user's link: per connection, one token bucket each way, so a keep-alive connection's requests share it. */
export class Bandwidth {
  private links = new WeakMap<Socket, { up: TokenBucket; down: TokenBucket }>();

  constructor(private readonly mbps: () => number) {}

  /** Fresh buckets (the faults changed). */
  reset(): void {
    this.links = new WeakMap();
  }

  /** The upload body as the handler should read it: through the connection's upload bucket when limited. */
  requestBody(req: http.IncomingMessage): Readable {
    const bucket = this.bucket(req.socket, 'up');
    return bucket ? req.pipe(throttle(bucket)) : req;
  }

  /** Streams `source` into the answer, through the connection's download bucket when limited. */
  async sendStream(source: Readable, res: http.ServerResponse): Promise<void> {
    const bucket = this.bucket(res.req.socket, 'down');
    const sink: Writable = res;
    await (bucket ? pipeline(source, throttle(bucket), sink) : pipeline(source, sink));
  }

  /** The connection's bucket for one direction, or undefined when no bandwidth limit is set. */
  private bucket(socket: Socket, direction: 'up' | 'down'): TokenBucket | undefined {
    const mbps = this.mbps();
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
}
