/** The emulator's options, its handle and their defaults: what callers of `start()` see. */

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
  /**
   * How late a build's log lines are delivered: a line is served this many seconds after its timestamp, running build
   * or finished. UbiOps' lines arrive late (its CLI reads a log for 20 s after the build ended); default 0, and
   * the command line's and the extension's own emulator use LOG_DELAY_SECONDS.
   */
  logDelaySeconds?: number;
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

/** How late the command line's emulator and "Try the Local Emulator" deliver log lines (`logDelaySeconds`). */
export const LOG_DELAY_SECONDS = 2;

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
/** Largest accepted upload unless `maxUploadBytes` says otherwise: 2 GiB. */
export const DEFAULT_MAX_UPLOAD = 2 * 1024 * 1024 * 1024;
