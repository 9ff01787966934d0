import { isBuildRunning, type BuildLogReader, type LogLine } from '../api';
import { Disposable } from '../util/lifecycle';
import type { BuildRef, BuildTracker } from './buildTracker';

/** Where a followed log's lines go. */
export interface LogSink {
  append(lines: LogLine[]): void;
  /** The build finished and every line it wrote has been read; nothing more will be asked for. */
  end(): void;
  /** A read failed; the log stays as it is. */
  fail(error: unknown): void;
}

interface Entry {
  ref: BuildRef;
  reader: BuildLogReader;
  sink: LogSink;
  /** A read in flight; polls that arrive meanwhile are not queued (the next poll catches up). */
  busy: Promise<void> | undefined;
  finished: boolean;
  controller: AbortController;
}

/**
 * Follows the logs of running builds on the build tracker's cadence: at most one logs request per poll of that
 * build, and none once the build has finished (after a last read of what is left) or the log was closed.
 * Plain Node: the log documents use it, the unit tests drive it with the emulator.
 */
export class LogFollower extends Disposable {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly tracker: BuildTracker) {
    super();
    this.register(
      tracker.onDidPoll(({ ref, build }) => {
        const entry = this.entries.get(ref.build);
        if (entry) {
          this.read(entry, isBuildRunning(build.status) ? 'poll' : 'final');
        }
      }),
    );
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

  /** Logs being followed now. */
  get following(): number {
    return this.entries.size;
  }

  /**
   * Reads what the log has now, then follows it while `running` (and the tracker follows the build). Dispose to
   * stop: no request is made for it afterwards.
   */
  follow(ref: BuildRef, reader: BuildLogReader, sink: LogSink, running: boolean): { dispose(): void } {
    const entry: Entry = { ref, reader, sink, busy: undefined, finished: false, controller: new AbortController() };
    this.entries.get(ref.build)?.controller.abort();
    this.entries.set(ref.build, entry);
    if (running) {
      this.tracker.follow(ref);
    }
    this.read(entry, running && this.tracker.isFollowing(ref.build) ? 'open' : 'final');
    return { dispose: () => this.stop(entry) };
  }

  /** `open`: every page there is; `poll`: one page; `final` (the build finished): every page left, then stop. */
  private read(entry: Entry, kind: 'open' | 'poll' | 'final'): void {
    entry.finished ||= kind === 'final';
    if (entry.busy || entry.controller.signal.aborted) {
      return;
    }
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
          this.stop(entry);
          entry.sink.end();
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
        // The build finished while a page was being read: read the rest now rather than wait for a poll.
        if (entry.finished && this.entries.get(entry.ref.build) === entry) {
          this.read(entry, 'final');
        }
      });
  }

  private stop(entry: Entry): void {
    entry.controller.abort();
    if (this.entries.get(entry.ref.build) === entry) {
      this.entries.delete(entry.ref.build);
    }
  }
}
