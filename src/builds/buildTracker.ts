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
  /** The wait before this build's next check; each followed build has its own, so none waits for another. */
  timer?: NodeJS.Timeout;
}

/**
 * Follows builds that are queued or processing until they finish. It asks only about running builds, one request
 * per running build per poll; a build's polls start fast and back off; nothing polls when no build runs. Each build
 * is followed on its own: a check that hangs delays that build only, never the others.
 * Plain Node: the status bar and notifications listen to its events.
 */
export class BuildTracker {
  private readonly followed = new Map<string, Followed>();
  private controller = new AbortController();
  private readonly updateListeners = new Set<Listener<{ ref: BuildRef; build: EnvironmentBuild }>>();
  private readonly finishListeners = new Set<Listener<{ ref: BuildRef; build: EnvironmentBuild }>>();
  private readonly pollListeners = new Set<Listener<{ ref: BuildRef; build: EnvironmentBuild }>>();
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
    const entry: Followed = { ref, status: build?.status ?? 'queued', intervalMs: this.initialIntervalMs };
    this.followed.set(ref.build, entry);
    this.emit(this.runningListeners, this.followed.size);
    this.schedule(entry, this.initialIntervalMs);
  }

  /** Stops following everything (sign-out, host change). */
  clear(): void {
    this.controller.abort();
    this.controller = new AbortController();
    for (const entry of this.followed.values()) {
      clearTimeout(entry.timer);
    }
    this.followed.clear();
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

  /** A followed build was read, changed or not (an open log reads its new lines on this cadence). */
  onDidPoll(listener: Listener<{ ref: BuildRef; build: EnvironmentBuild }>): { dispose(): void } {
    return this.listen(this.pollListeners, listener);
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
    this.pollListeners.clear();
    this.lostListeners.clear();
    this.runningListeners.clear();
  }

  private schedule(entry: Followed, waitMs: number): void {
    entry.timer = setTimeout(() => void this.check(entry), Math.max(0, waitMs));
    // Following builds must not keep a process (the tests, the emulator's CLI) alive on its own.
    entry.timer.unref?.();
  }

  /** One check of one build, then its next one while it is still followed. */
  private async check(entry: Followed): Promise<void> {
    entry.timer = undefined;
    const waitMs = await this.pollOne(entry, this.controller.signal);
    if (waitMs !== undefined && this.followed.get(entry.ref.build) === entry) {
      this.schedule(entry, waitMs);
    }
  }

  /** Asks about one build; answers the wait before the next check, or undefined when it is no longer followed. */
  private async pollOne(entry: Followed, signal: AbortSignal): Promise<number | undefined> {
    try {
      const build = await this.getBuild(entry.ref, signal);
      if (signal.aborted || this.followed.get(entry.ref.build) !== entry) {
        return undefined;
      }
      const changed = build.status !== entry.status;
      entry.status = build.status;
      this.emit(this.pollListeners, { ref: entry.ref, build });
      if (!isBuildRunning(build.status)) {
        this.followed.delete(entry.ref.build);
        this.emit(this.updateListeners, { ref: entry.ref, build });
        this.emit(this.finishListeners, { ref: entry.ref, build });
        this.emit(this.runningListeners, this.followed.size);
        return undefined;
      }
      if (changed) {
        this.emit(this.updateListeners, { ref: entry.ref, build });
      }
      entry.intervalMs = Math.min(this.maxIntervalMs, entry.intervalMs * this.backoff);
      return entry.intervalMs;
    } catch (error) {
      if (signal.aborted || this.followed.get(entry.ref.build) !== entry) {
        return undefined;
      }
      const status = error instanceof UbiOpsApiError ? error.status : undefined;
      if (status === 401 || status === 403 || status === 404) {
        this.followed.delete(entry.ref.build);
        this.emit(this.lostListeners, { ref: entry.ref, error });
        this.emit(this.runningListeners, this.followed.size);
        return undefined;
      }
      // A network failure or a rate limit the client gave up on: keep following, at the slowest pace (or later).
      const waitMs = error instanceof UbiOpsApiError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 0;
      entry.intervalMs = this.maxIntervalMs;
      return Math.max(this.maxIntervalMs, waitMs);
    }
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
