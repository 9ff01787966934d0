import * as dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import * as tls from 'node:tls';
import { Agent, Dispatcher, EnvHttpProxyAgent } from 'undici';
import { isLoopbackHost } from './host';

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

let LoopbackBypass: (new (direct: Dispatcher, proxied: Dispatcher) => Dispatcher) | undefined;

/**
 * Sends requests to a host on this machine (every 127.x.x.x, ::1, localhost and `*.localhost`) straight to it and
 * all others through the proxy agent: a proxy must never see a request to this machine, whose token would travel in
 * clear (`http://127.0.0.2`), whatever `noProxy` says.
 */
function loopbackBypass(direct: Dispatcher, proxied: Dispatcher): Dispatcher {
  // Made on first use: a class that `extends Dispatcher` at the top level would load undici, a bundle of its own
  // (esbuild.mjs), when this module loads, that is when the extension activates (about 15 ms).
  LoopbackBypass ??= class extends Dispatcher {
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
  };
  return new LoopbackBypass(direct, proxied);
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
    return loopbackBypass(new Agent(common), proxied);
  }
  return new Agent(common);
}

/** The first `code` along an error and its causes (`ECONNRESET`, `UND_ERR_SOCKET`), or "". */
export function errorCode(error: unknown): string {
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

/** A network failure in words a user can act on. */
export function describeNetworkFailure(code: string, cause: unknown): string {
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
