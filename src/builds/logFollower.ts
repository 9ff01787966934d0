import { isBuildRunning, type BuildLogReader, type LogLine } from '../api';
import { Disposable } from '../util/lifecycle';
import type { BuildRef, BuildTracker } from './buildTracker';

/** Where a followed log's lines go. */
export interface LogSink {
  append(lines: LogLine[]): void;
  /**
   * The build finished and the lines it had written by then have been read. Lines that arrive late are still
   * appended for a while (`LogFollowerOptions.lateLinesMs`); then nothing more is asked for.
   */
  end(): void;
  /** A read failed; the log stays as it is. */
  fail(error: unknown): void;
}

export interface LogFollowerOptions {
  /**
   * How long after a build's end its log is still read: UbiOps delivers log lines late, and its CLI keeps reading for
   * 20 s after the build finished (platform notes, "Revisions and builds"). Default 20 s.
   */
  lateLinesMs?: number;
  /** How often the log is read meanwhile. Default 4 s, the CLI's cadence for polling a build. */
  lateIntervalMs?: number;
}

const LATE_LINES_MS = 20_000;
const LATE_INTERVAL_MS = 4_000;

interface Entry {
  ref: BuildRef;
  reader: BuildLogReader;
  sink: LogSink;
  /** A read in flight; polls that arrive meanwhile are not queued (the next poll catches up). */
  busy: Promise<void> | undefined;
  /** The build finished (or had, when the log was opened): every read from now on reads all there is. */
  finished: boolean;
  /** A read was asked for while one was in flight after the build had finished: read again once it is done. */
  again: boolean;
  /** `sink.end()` was called. */
  ended: boolean;
  /** Until when (performance.now()) late lines are read. */
  lateUntil: number;
  timer: NodeJS.Timeout | undefined;
  controller: AbortController;
}

/**
 * Follows the logs of running builds on the build tracker's cadence: at most one logs request per poll of that
 * build while it runs; once it has finished, what is left, then a read every `lateIntervalMs` for `lateLinesMs` for
 * the lines that arrive late; none once the log was closed. Plain Node: the log documents use it, the unit tests
 * drive it with the emulator.
 */
export class LogFollower extends Disposable {
  private readonly entries = new Map<string, Entry>();
  /** When (performance.now()) the tracker saw builds finish, for a log opened just after its build's end. */
  private readonly finishedAt = new Map<string, number>();
  private readonly lateLinesMs: number;
  private readonly lateIntervalMs: number;

  constructor(
    private readonly tracker: BuildTracker,
    options: LogFollowerOptions = {},
  ) {
    super();
    this.lateLinesMs = options.lateLinesMs ?? LATE_LINES_MS;
    this.lateIntervalMs = options.lateIntervalMs ?? LATE_INTERVAL_MS;
    this.register(
      tracker.onDidPoll(({ ref, build }) => {
        const entry = this.entries.get(ref.build);
        if (entry) {
          this.read(entry, isBuildRunning(build.status) ? 'poll' : 'final', performance.now());
        }
      }),
    );
    this.register(tracker.onDidFinish(({ ref }) => this.sawFinish(ref.build)));
    this.register(
      tracker.onDidLose(({ ref, error }) => {
        const entry = this.entries.get(ref.build);
        if (entry) {
          this.stop(entry);
          entry.sink.fail(error);
        }
      }),
    );
    this.register({ dispose: () => [...this.entries.values()].forEach((entry) => this.stop(entry)) });
  }

  /** Logs being followed now (late lines included). */
  get following(): number {
    return this.entries.size;
  }

  /**
   * Reads what the log has now, then follows it while `running` (and the tracker follows the build), and for the
   * late lines after its end. Dispose to stop: no request is made for it afterwards.
   */
  follow(ref: BuildRef, reader: BuildLogReader, sink: LogSink, running: boolean): { dispose(): void } {
    const entry: Entry = {
      ref,
      reader,
      sink,
      busy: undefined,
      finished: false,
      again: false,
      ended: false,
      lateUntil: 0,
      timer: undefined,
      controller: new AbortController(),
    };
    const previous = this.entries.get(ref.build);
    if (previous) {
      this.stop(previous);
    }
    this.entries.set(ref.build, entry);
    if (running) {
      this.tracker.follow(ref);
    }
    if (running && this.tracker.isFollowing(ref.build)) {
      this.read(entry, 'open');
    } else {
      // Finished: late lines are still read if the tracker saw it end a moment ago.
      this.read(entry, 'final', this.finishedAt.get(ref.build) ?? -Infinity);
    }
    return { dispose: () => this.stop(entry) };
  }

  /**
   * `open`: every page there is; `poll`: one page; `final` (the build finished at `finishedAt`) and `late`: every page
   * left, then again after `lateIntervalMs` until `lateLinesMs` after the end, then stop.
   */
  private read(entry: Entry, kind: 'open' | 'poll' | 'final' | 'late', finishedAt = performance.now()): void {
    if (kind === 'final' && !entry.finished) {
      entry.finished = true;
      entry.lateUntil = finishedAt + this.lateLinesMs;
    }
    if (entry.controller.signal.aborted) {
      return;
    }
    if (entry.busy) {
      entry.again ||= entry.finished;
      return;
    }
    clearTimeout(entry.timer);
    entry.timer = undefined;
    const signal = entry.controller.signal;
    const append = (lines: LogLine[]): void => {
      if (lines.length > 0 && !signal.aborted) {
        entry.sink.append(lines);
      }
    };
    const job = async (): Promise<void> => {
      if (entry.finished) {
        await entry.reader.rest(signal, append);
        if (!signal.aborted) {
          if (!entry.ended) {
            entry.ended = true;
            entry.sink.end();
          }
          this.readLateLines(entry);
        }
      } else if (kind === 'open') {
        await entry.reader.rest(signal, append);
      } else {
        append((await entry.reader.next(signal)).lines);
      }
    };
    entry.busy = job()
      .catch((error: unknown) => {
        if (!signal.aborted) {
          if (entry.finished) {
            this.stop(entry); // no retry loop on a finished build: the log shows what it has and says why
          }
          entry.sink.fail(error);
        }
      })
      .finally(() => {
        entry.busy = undefined;
        // The build finished while a page was being read: read the rest now rather than wait.
        if (entry.again && this.entries.get(entry.ref.build) === entry) {
          entry.again = false;
          this.read(entry, 'late');
        }
      });
  }

  /** After the build's end: the next read for late lines, or the end of following when their time is up. */
  private readLateLines(entry: Entry): void {
    const left = entry.lateUntil - performance.now();
    if (left <= 0) {
      this.stop(entry);
      return;
    }
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.read(entry, 'late'), Math.min(this.lateIntervalMs, left));
  }

  private sawFinish(buildId: string): void {
    const now = performance.now();
    for (const [id, at] of this.finishedAt) {
      if (now - at > this.lateLinesMs) {
        this.finishedAt.delete(id);
      }
    }
    this.finishedAt.set(buildId, now);
  }

  private stop(entry: Entry): void {
    entry.controller.abort();
    clearTimeout(entry.timer);
    entry.timer = undefined;
    if (this.entries.get(entry.ref.build) === entry) {
      this.entries.delete(entry.ref.build);
    }
  }
}
