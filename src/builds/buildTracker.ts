import { isBuildRunning, UbiOpsApiError, type EnvironmentBuild } from '../api';

/** Where a build lives: enough to ask the API about it. */
export interface BuildRef {
  /** The API base URL the build belongs to. */
  host: string;
  project: string;
  environment: string;
  revision: string;
  build: string;
}

export interface BuildTrackerOptions {
  /** First wait after a build is seen running (default 2 s). */
  initialIntervalMs?: number;
  /** Longest wait between two polls of one build (default 10 s: at most 6 polls a minute once backed off). */
  maxIntervalMs?: number;
  /** Growth of the wait after each poll (default 1.5). */
  backoff?: number;
}

type Listener<T> = (value: T) => void;

interface Followed {
  ref: BuildRef;
  status: string;
  intervalMs: number;
  dueAt: number;
}

/**
 * Follows builds that are queued or processing until they finish. It asks only about running builds, one request
 * per running build per poll; a build's polls start fast and back off; nothing polls when no build runs.
 * Plain Node: the status bar and notifications listen to its events.
 */
export class BuildTracker {
  private readonly followed = new Map<string, Followed>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private controller = new AbortController();
  private readonly updateListeners = new Set<Listener<{ ref: BuildRef; build: EnvironmentBuild }>>();
  private readonly finishListeners = new Set<Listener<{ ref: BuildRef; build: EnvironmentBuild }>>();
  private readonly lostListeners = new Set<Listener<{ ref: BuildRef; error: unknown }>>();
  private readonly runningListeners = new Set<Listener<number>>();
  private readonly initialIntervalMs: number;
  private readonly maxIntervalMs: number;
  private readonly backoff: number;

  constructor(
    private readonly getBuild: (ref: BuildRef, signal: AbortSignal) => Promise<EnvironmentBuild>,
    options: BuildTrackerOptions = {},
  ) {
    this.initialIntervalMs = options.initialIntervalMs ?? 2000;
    this.maxIntervalMs = options.maxIntervalMs ?? 10_000;
    this.backoff = options.backoff ?? 1.5;
  }

  /** Builds followed now. */
  get running(): BuildRef[] {
    return [...this.followed.values()].map((entry) => entry.ref);
  }

  isFollowing(build: string): boolean {
    return this.followed.has(build);
  }

  /** Follows a build if it is running (per `build`, when given); a build already followed is left as it is. */
  follow(ref: BuildRef, build?: EnvironmentBuild): void {
    if ((build && !isBuildRunning(build.status)) || this.followed.has(ref.build)) {
      return;
    }
    this.followed.set(ref.build, {
      ref,
      status: build?.status ?? 'queued',
      intervalMs: this.initialIntervalMs,
      dueAt: Date.now() + this.initialIntervalMs,
    });
    this.emit(this.runningListeners, this.followed.size);
    this.schedule();
  }

  /** Stops following everything (sign-out, host change). */
  clear(): void {
    this.controller.abort();
    this.controller = new AbortController();
    this.followed.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.emit(this.runningListeners, 0);
  }

  /** A followed build changed status (including its last change). */
  onDidUpdate(listener: Listener<{ ref: BuildRef; build: EnvironmentBuild }>): { dispose(): void } {
    return this.listen(this.updateListeners, listener);
  }

  /** A followed build finished: success, failed or cancelled. */
  onDidFinish(listener: Listener<{ ref: BuildRef; build: EnvironmentBuild }>): { dispose(): void } {
    return this.listen(this.finishListeners, listener);
  }

  /** A followed build can no longer be asked about (deleted, access lost); it is no longer followed. */
  onDidLose(listener: Listener<{ ref: BuildRef; error: unknown }>): { dispose(): void } {
    return this.listen(this.lostListeners, listener);
  }

  /** The number of followed builds changed. */
  onDidChangeRunning(listener: Listener<number>): { dispose(): void } {
    return this.listen(this.runningListeners, listener);
  }

  dispose(): void {
    this.clear();
    this.updateListeners.clear();
    this.finishListeners.clear();
    this.lostListeners.clear();
    this.runningListeners.clear();
  }

  private schedule(): void {
    if (this.polling) {
      return; // poll() schedules again when it ends
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.followed.size === 0) {
      return;
    }
    const next = Math.min(...[...this.followed.values()].map((entry) => entry.dueAt));
    this.timer = setTimeout(() => void this.poll(), Math.max(0, next - Date.now()));
    // Following builds must not keep a process (the tests, the emulator's CLI) alive on its own.
    this.timer.unref?.();
  }

  private async poll(): Promise<void> {
    this.timer = undefined;
    this.polling = true;
    const signal = this.controller.signal;
    try {
      const now = Date.now();
      const due = [...this.followed.values()].filter((entry) => entry.dueAt <= now);
      await Promise.all(due.map((entry) => this.pollOne(entry, signal)));
    } finally {
      this.polling = false;
      this.schedule();
    }
  }

  private async pollOne(entry: Followed, signal: AbortSignal): Promise<void> {
    try {
      const build = await this.getBuild(entry.ref, signal);
      if (signal.aborted || this.followed.get(entry.ref.build) !== entry) {
        return;
      }
      const changed = build.status !== entry.status;
      entry.status = build.status;
      if (!isBuildRunning(build.status)) {
        this.followed.delete(entry.ref.build);
        this.emit(this.updateListeners, { ref: entry.ref, build });
        this.emit(this.finishListeners, { ref: entry.ref, build });
        this.emit(this.runningListeners, this.followed.size);
        return;
      }
      if (changed) {
        this.emit(this.updateListeners, { ref: entry.ref, build });
      }
      this.again(entry);
    } catch (error) {
      if (signal.aborted || this.followed.get(entry.ref.build) !== entry) {
        return;
      }
      const status = error instanceof UbiOpsApiError ? error.status : undefined;
      if (status === 401 || status === 403 || status === 404) {
        this.followed.delete(entry.ref.build);
        this.emit(this.lostListeners, { ref: entry.ref, error });
        this.emit(this.runningListeners, this.followed.size);
        return;
      }
      // A network failure or a rate limit the client gave up on: keep following, at the slowest pace (or later).
      const waitMs = error instanceof UbiOpsApiError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 0;
      entry.intervalMs = this.maxIntervalMs;
      entry.dueAt = Date.now() + Math.max(this.maxIntervalMs, waitMs);
    }
  }

  private again(entry: Followed): void {
    entry.intervalMs = Math.min(this.maxIntervalMs, entry.intervalMs * this.backoff);
    entry.dueAt = Date.now() + entry.intervalMs;
  }

  private listen<T>(listeners: Set<Listener<T>>, listener: Listener<T>): { dispose(): void } {
    listeners.add(listener);
    return { dispose: () => listeners.delete(listener) };
  }

  private emit<T>(listeners: Set<Listener<T>>, value: T): void {
    for (const listener of [...listeners]) {
      try {
        listener(value);
      } catch {
        // A listener's failure must not stop the others or the polling.
      }
    }
  }
}
