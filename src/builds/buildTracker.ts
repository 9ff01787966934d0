import { isBuildRunning, UbiOpsApiError, type EnvironmentBuild } from '../api';
import { Disposable, Emitter } from '../util/lifecycle';

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
export class BuildTracker extends Disposable {
  private readonly followed = new Map<string, Followed>();
  private controller = new AbortController();
  private readonly updateEmitter = this.register(new Emitter<{ ref: BuildRef; build: EnvironmentBuild }>());
  private readonly finishEmitter = this.register(new Emitter<{ ref: BuildRef; build: EnvironmentBuild }>());
  private readonly pollEmitter = this.register(new Emitter<{ ref: BuildRef; build: EnvironmentBuild }>());
  private readonly lostEmitter = this.register(new Emitter<{ ref: BuildRef; error: unknown }>());
  private readonly runningEmitter = this.register(new Emitter<number>());
  private readonly initialIntervalMs: number;
  private readonly maxIntervalMs: number;
  private readonly backoff: number;

  constructor(
    private readonly getBuild: (ref: BuildRef, signal: AbortSignal) => Promise<EnvironmentBuild>,
    options: BuildTrackerOptions = {},
  ) {
    super();
    // Registered last, so it runs first: the polls stop before the emitters go.
    this.register({ dispose: () => this.clear() });
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
    this.runningEmitter.fire(this.followed.size);
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
    this.runningEmitter.fire(0);
  }

  /** A followed build changed status (including its last change). */
  readonly onDidUpdate = this.updateEmitter.event;

  /** A followed build finished: success, failed or cancelled. */
  readonly onDidFinish = this.finishEmitter.event;

  /** A followed build was read, changed or not (an open log reads its new lines on this cadence). */
  readonly onDidPoll = this.pollEmitter.event;

  /** A followed build can no longer be asked about (deleted, access lost); it is no longer followed. */
  readonly onDidLose = this.lostEmitter.event;

  /** The number of followed builds changed. */
  readonly onDidChangeRunning = this.runningEmitter.event;

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
      this.pollEmitter.fire({ ref: entry.ref, build });
      if (!isBuildRunning(build.status)) {
        this.followed.delete(entry.ref.build);
        this.updateEmitter.fire({ ref: entry.ref, build });
        this.finishEmitter.fire({ ref: entry.ref, build });
        this.runningEmitter.fire(this.followed.size);
        return undefined;
      }
      if (changed) {
        this.updateEmitter.fire({ ref: entry.ref, build });
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
        this.lostEmitter.fire({ ref: entry.ref, error });
        this.runningEmitter.fire(this.followed.size);
        return undefined;
      }
      // A network failure or a rate limit the client gave up on: keep following, at the slowest pace (or later).
      const waitMs = error instanceof UbiOpsApiError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 0;
      entry.intervalMs = this.maxIntervalMs;
      return Math.max(this.maxIntervalMs, waitMs);
    }
  }
}
