/**
 * Build lifecycle: queued for the first third of the build time, building for the next sixth, processing for the
 * last half, then success or failed, decided by what the archive validators find in the revision's zip. A cancel
 * ends a queued build at once; a building or processing one answers `cancelled_pending` and becomes `cancelled`
 * CANCEL_PENDING_MS later. Lifecycle steps are absolute times stored on the build, so a restarted emulator picks up
 * running builds (and pending cancels) where the clock says they are.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import type { EnvironmentBuildDependency } from '../api/models';
import { DEPENDENCY_FILE_NAMES } from '../archive/dependencyFiles';
import { formatProblem, type FileProblem } from '../archive/problems';
import { validateDependencyFile } from '../archive/validate';
import { NotAZipError, readDependencyFilesFromZip, ZipEntryTooLargeError } from '../archive/zipInspect';
import { wallClockMs } from './clock';
import type { BuildLogs } from './logs';
import { type BuildRecord, type RevisionRecord, type Store, revisionTimestamp } from './store';

export const TRIGGER_UPLOAD = 'Environment file upload';
export const TRIGGER_COPY = 'Environment file copy';
export const TRIGGER_REBUILD = 'Rebuild triggered';

const MAX_DEPENDENCY_FILE_BYTES = 1024 * 1024;
const MAX_ERROR_MESSAGE = 1024;
/** Problems quoted in a build's error message before "and N more". */
const QUOTED_PROBLEMS = 5;
/** Files whose problems fail a build, as the platform's own checks do; other files are passed through. */
const VALIDATED_FILES = new Set(['ubiops.yaml', 'requirements.txt']);

export interface BuildOutcome {
  status: 'success' | 'failed';
  error_message: string;
  size: number | null;
  files: EnvironmentBuildDependency[];
}

/** What a build of this zip ends in. Never throws: anything unreadable is a failed build with a reason. */
export async function inspectEnvironmentZip(data: Uint8Array, gpu: boolean): Promise<BuildOutcome> {
  let found: { name: string; content: string }[];
  try {
    const result = await readDependencyFilesFromZip(data, { maxFileBytes: MAX_DEPENDENCY_FILE_BYTES });
    found = result.files.map((f) => ({ name: f.name, content: f.content }));
  } catch (err) {
    if (isError(err, NotAZipError, 'NotAZipError')) {
      return failed('The environment file is not a valid zip archive. Upload a zip of the environment folder.', []);
    }
    if (isError(err, ZipEntryTooLargeError, 'ZipEntryTooLargeError')) {
      return failed(
        `A dependency file is too large: dependency files may be at most 1 MiB once unzipped (${(err as Error).message}).`,
        [],
      );
    }
    return failed(`Could not read the environment file: ${err instanceof Error ? err.message : String(err)}`, []);
  }
  if (found.length === 0) {
    return failed(
      `Could not find any dependency file: looked for ${DEPENDENCY_FILE_NAMES.join(', ')} at the root of the zip ` +
        'and inside a top folder (such as environment_package/).',
      [],
    );
  }
  const problems: FileProblem[] = [];
  for (const file of found) {
    if (VALIDATED_FILES.has(file.name)) {
      // Warnings are advice for the editor; only errors would stop a real build.
      problems.push(...validateDependencyFile(file.name, file.content).filter((p) => p.severity === 'error'));
    }
  }
  if (problems.length > 0) {
    const quoted = problems.slice(0, QUOTED_PROBLEMS).map(formatProblem);
    const rest = problems.length - quoted.length;
    const more = rest > 0 ? `; and ${rest} more` : '';
    return failed(`Invalid dependency files: ${quoted.join('; ')}${more}`, found);
  }
  return { status: 'success', error_message: '', size: imageSize(found, gpu), files: found };
}

function failed(message: string, files: EnvironmentBuildDependency[]): BuildOutcome {
  const text = message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE - 1)}…` : message;
  return { status: 'failed', error_message: text, size: null, files };
}

function isError(err: unknown, cls: abstract new (...args: never[]) => Error, name: string): boolean {
  // By name too: a second copy of the archive module (bundling, tests) would defeat instanceof.
  return err instanceof cls || (err instanceof Error && err.name === name);
}

/**
 * A plausible docker image size: a base layer (CUDA ones are large), plus a share per requirement and per apt
 * package, plus a content hash for variety. Same files, same size.
 */
export function imageSize(files: EnvironmentBuildDependency[], gpu: boolean): number {
  let size = gpu ? 4_350_000_000 : 180_000_000;
  for (const file of files) {
    const lines = (file.content ?? '').split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
    if (file.name === 'requirements.txt') {
      size += lines.length * 14_500_000;
    } else if (file.name === 'ubiops.yaml') {
      size += lines.filter((l) => /^\s*-\s/.test(l)).length * 21_000_000;
    } else {
      size += lines.length * 6_000_000;
    }
    size += fnv1a(`${file.name}\0${file.content}`) % 9_000_000;
  }
  return size;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** How long a cancel of a building or processing build stays `cancelled_pending` before it is `cancelled`. */
export const CANCEL_PENDING_MS = 1000;

/** The stages a build passes before its outcome, in order. */
const STAGES = ['queued', 'building', 'processing'] as const;

function stageIndex(status: string): number {
  return (STAGES as readonly string[]).indexOf(status);
}

/** True while the build is on its way to an outcome (queued, building or processing). */
export function isRunning(build: BuildRecord): boolean {
  return stageIndex(build.status) >= 0;
}

/** True until the build has its final status: running, or cancelled but not yet `cancelled`. */
export function isUnfinished(build: BuildRecord): boolean {
  return isRunning(build) || build.status === 'cancelled_pending';
}

export class BuildRunner {
  private readonly timers = new Map<string, NodeJS.Timeout[]>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly buildSeconds: number,
    /** Writes each build's log as it runs; absent, builds have no log. */
    private readonly logs?: BuildLogs,
  ) {}

  /**
   * Adds a queued build of the revision to the state. `durationMs` overrides the configured build time (the seed's
   * long-running builds); `start` backdates it.
   */
  create(
    revision: RevisionRecord,
    trigger: string,
    durationMs = this.buildSeconds * 1000,
    start = wallClockMs(),
  ): BuildRecord {
    const build: BuildRecord = {
      id: randomUUID(),
      revisionId: revision.id,
      environmentId: revision.environmentId,
      creation_date: revisionTimestamp(start),
      status: 'queued',
      error_message: '',
      trigger,
      size: null,
      seq: this.store.nextSeq(),
      buildingAt: start + Math.round(durationMs / 3),
      processingAt: start + Math.round(durationMs / 2),
      finishAt: start + durationMs,
      files: [],
    };
    this.store.state.builds.push(build);
    return build;
  }

  /** Runs the build to its end now: `buildSeconds: 0` answers uploads with a finished build. */
  async completeNow(build: BuildRecord): Promise<void> {
    build.status = 'processing';
    await this.logs?.plan(build);
    await this.track(this.complete(build, false));
  }

  /** Starts timers for an unfinished build's next steps; overdue steps run at once, in order. */
  schedule(build: BuildRecord): void {
    if (this.closed || !isUnfinished(build)) {
      return;
    }
    this.clear(build.id);
    const now = wallClockMs();
    const timers: NodeJS.Timeout[] = [];
    const at = (when: number, step: () => void): void => {
      timers.push(setTimeout(step, Math.max(0, when - now)));
    };
    if (build.status === 'cancelled_pending') {
      at(build.cancelAt ?? now, () => {
        this.timers.delete(build.id);
        if (build.status === 'cancelled_pending') {
          this.finishCancel(build);
          void this.store.save().catch(() => undefined);
        }
      });
      this.timers.set(build.id, timers);
      return;
    }
    for (const [when, status] of [
      [build.buildingAt, 'building'],
      [build.processingAt, 'processing'],
    ] as const) {
      if (stageIndex(build.status) < stageIndex(status)) {
        at(when, () => {
          if (isRunning(build) && stageIndex(build.status) < stageIndex(status)) {
            build.status = status;
            void this.store.save().catch(() => undefined);
          }
        });
      }
    }
    at(build.finishAt, () => void this.track(this.complete(build, true)));
    this.timers.set(build.id, timers);
    if (this.logs) {
      void this.track(this.logs.plan(build).catch(() => undefined));
    }
  }

  resumeAll(): void {
    for (const build of this.store.state.builds) {
      this.schedule(build);
    }
  }

  /**
   * Cancels a running build: a queued one is `cancelled` at once (nothing started yet); a building or processing one
   * is `cancelled_pending` until CANCEL_PENDING_MS later, as a real build stops its work. Either way it will not
   * produce an outcome.
   */
  cancel(build: BuildRecord): void {
    this.clear(build.id);
    build.files = [];
    if (build.status === 'queued') {
      this.finishCancel(build);
      return;
    }
    build.status = 'cancelled_pending';
    build.cancelAt = wallClockMs() + CANCEL_PENDING_MS;
    this.logs?.cancelling(build);
    this.schedule(build);
  }

  private finishCancel(build: BuildRecord): void {
    build.status = 'cancelled';
    delete build.cancelAt;
    this.logs?.cancel(build);
  }

  /** Drops a build's timers (its environment was deleted, or it was cancelled). */
  clear(buildId: string): void {
    for (const t of this.timers.get(buildId) ?? []) {
      clearTimeout(t);
    }
    this.timers.delete(buildId);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const id of [...this.timers.keys()]) {
      this.clear(id);
    }
    await Promise.allSettled([...this.inFlight]);
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    return p.finally(() => this.inFlight.delete(p));
  }

  private async complete(build: BuildRecord, save: boolean): Promise<void> {
    this.timers.delete(build.id);
    if (!isRunning(build) || this.closed) {
      return;
    }
    await this.logs?.planned(build.id);
    const revision = this.store.state.revisions.find((r) => r.id === build.revisionId);
    let outcome: BuildOutcome;
    if (!revision || revision.expired) {
      outcome = failed('The environment file of this revision has expired.', []);
    } else {
      let data: Uint8Array | null;
      try {
        data = await fs.readFile(this.store.zipPath(revision.id));
      } catch {
        data = null;
      }
      outcome = data
        ? await inspectEnvironmentZip(data, this.gpuFor(build))
        : failed('The environment file of this revision could not be read.', []);
    }
    // Cancelled or deleted while the zip was being read: the cancel stands.
    if (!isRunning(build) || !this.store.state.builds.includes(build)) {
      return;
    }
    build.status = outcome.status;
    build.error_message = outcome.error_message;
    build.size = outcome.size;
    build.files = outcome.files;
    this.logs?.finish(build, outcome);
    if (save && !this.closed) {
      await this.store.save().catch(() => undefined);
    }
  }

  private gpuFor(build: BuildRecord): boolean {
    const env = this.store.state.environments.find((e) => e.id === build.environmentId);
    return env?.gpu_required ?? false;
  }
}
