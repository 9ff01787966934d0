/**
 * The emulator's state and its persistence.
 *
 * All state lives in memory and every request reads it from there; with a data folder, each change is also written
 * to one JSON file, atomically (temp file, fsync, rename, fsync of the folder), so that a kill at any moment leaves
 * either the old or the new state on disk, never half of one. Zips are separate files: they are written under a temp
 * name and renamed into place before the metadata refers to them, and removed only after the metadata stopped
 * referring to them. Whatever a kill leaves behind (temp files, zips no metadata refers to) is removed at start.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EnvironmentBuildDependency, EnvironmentListFields, ProjectDetailFields } from '../api/models';
import { wallClockMs } from './clock';

/**
 * The fields of `GET /projects/{project_name}`, plus nothing; those beyond a `GET /projects` item are filled with
 * their defaults when a store of an older emulator lacks them.
 */
export type ProjectRecord = ProjectDetailFields;

/** The fields of `EnvironmentList`, in its order, plus nothing: the record is the answer. */
export type EnvironmentRecord = EnvironmentListFields;

/** The flags of an environment a user creates, as UbiOps answers them; a record overrides those that differ. */
export const CUSTOM_ENVIRONMENT_FLAGS = {
  status: 'active',
  implicit: false,
  deprecated: false,
  hidden: false,
  supports_request_format: true,
  system: false,
} as const satisfies Partial<EnvironmentRecord>;

export interface RevisionRecord {
  id: string;
  /** By id, not name: a rename must not orphan revisions. */
  environmentId: string;
  creation_date: string;
  created_by: string;
  expired: boolean;
  /** Original upload name, sent back in `Content-Disposition`. */
  fileName: string;
  /** Creation order; timestamps can tie within a millisecond. */
  seq: number;
}

export interface BuildRecord {
  id: string;
  revisionId: string;
  environmentId: string;
  creation_date: string;
  status: string;
  error_message: string | null;
  trigger: string;
  size: number | null;
  seq: number;
  /**
   * Absolute epoch milliseconds of the lifecycle steps (queued → building → processing → finished), so a restart
   * resumes on the same clock. `buildingAt` is absent in stores of older emulators: it is filled with `processingAt`.
   */
  buildingAt: number;
  processingAt: number;
  finishAt: number;
  /** When a `cancelled_pending` build becomes `cancelled`; absent otherwise. */
  cancelAt?: number;
  /** Dependency files the build found; served by `dependency-files` once the build has finished. */
  files: EnvironmentBuildDependency[];
}

/** One line of a build's log (`./logs.ts`). */
export interface LogLineRecord {
  /** Nanoseconds since the epoch as decimal text: the number is past 2^53. */
  ns: string;
  log: string;
  level: 'info' | 'warning' | 'error';
  system: boolean;
}

export interface DeploymentVersionRecord {
  id: string;
  project: string;
  deployment: string;
  version: string;
  environmentId: string;
  status: string;
}

export interface State {
  format: 1;
  seq: number;
  projects: ProjectRecord[];
  environments: EnvironmentRecord[];
  revisions: RevisionRecord[];
  builds: BuildRecord[];
  deploymentVersions: DeploymentVersionRecord[];
  /** Build logs by build id; absent in state files from before logs (then `{}`). */
  logs: Record<string, LogLineRecord[]>;
}

function emptyState(): State {
  return {
    format: 1,
    seq: 0,
    projects: [],
    environments: [],
    revisions: [],
    builds: [],
    deploymentVersions: [],
    logs: {},
  };
}

const STATE_FILE = 'state.json';
const ZIP_FOLDER = 'zips';
const TEMP_MARK = '.tmp';

/** `2023-03-01T08:32:14.876451Z`: environments carry microseconds. */
export function environmentTimestamp(ms: number = wallClockMs()): string {
  const whole = Math.floor(ms);
  const micros = Math.floor((ms - whole) * 1000);
  const iso = new Date(whole).toISOString(); // ...SS.mmmZ
  return `${iso.slice(0, -1)}${String(micros).padStart(3, '0')}Z`;
}

/** `2023-01-30T12:27:12.108+00:00`: revisions and builds carry milliseconds and an offset. */
export function revisionTimestamp(ms: number = wallClockMs()): string {
  return new Date(Math.floor(ms)).toISOString().replace('Z', '+00:00');
}

export class StoreLoadError extends Error {
  override name = 'StoreLoadError';
}

export class Store {
  state: State = emptyState();
  private readonly zipDir: string;
  /** The write in progress, and the one queued behind it (which every caller meanwhile shares). */
  private writing: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  private constructor(
    /** Where state.json goes; null keeps metadata in memory only. */
    private readonly dataDir: string | null,
    zipDir: string,
    private readonly ownsZipDir: boolean,
  ) {
    this.zipDir = zipDir;
  }

  static async open(dataDir?: string): Promise<Store> {
    if (!dataDir) {
      // Uploaded zips must not sit in memory (they may be 2 GiB): a private folder, removed on close.
      const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ubiops-emulator-'));
      return new Store(null, tmp, true);
    }
    const dir = path.resolve(dataDir);
    const zipDir = path.join(dir, ZIP_FOLDER);
    await fs.mkdir(zipDir, { recursive: true });
    const store = new Store(dir, zipDir, false);
    await store.load();
    await store.removeLeftovers();
    return store;
  }

  get persistent(): boolean {
    return this.dataDir !== null;
  }

  get isEmpty(): boolean {
    return this.state.projects.length === 0 && this.state.environments.length === 0;
  }

  nextSeq(): number {
    this.state.seq += 1;
    return this.state.seq;
  }

  zipPath(revisionId: string): string {
    return path.join(this.zipDir, `${revisionId}.zip`);
  }

  /** A fresh temp path beside the zips, so the rename into place stays on one file system. */
  tempZipPath(): string {
    return path.join(this.zipDir, `upload-${randomUUID()}${TEMP_MARK}`);
  }

  createTempZipStream(): { path: string; stream: WriteStream } {
    const p = this.tempZipPath();
    return { path: p, stream: createWriteStream(p, { flags: 'wx' }) };
  }

  /** Moves a finished temp file into place for a revision. Call before the metadata refers to it. */
  async commitZip(tempPath: string, revisionId: string): Promise<void> {
    if (this.persistent) {
      await syncFile(tempPath);
    }
    await fs.rename(tempPath, this.zipPath(revisionId));
  }

  async writeZip(revisionId: string, data: Uint8Array): Promise<void> {
    const tmp = this.tempZipPath();
    await fs.writeFile(tmp, data, { flag: 'wx' });
    await this.commitZip(tmp, revisionId);
  }

  async copyZip(fromRevisionId: string, toRevisionId: string): Promise<void> {
    const tmp = this.tempZipPath();
    await fs.copyFile(this.zipPath(fromRevisionId), tmp);
    await this.commitZip(tmp, toRevisionId);
  }

  /** Call only after the metadata stopped referring to the zip (and was saved). */
  async removeZip(revisionId: string): Promise<void> {
    await fs.rm(this.zipPath(revisionId), { force: true });
  }

  async removeTemp(tempPath: string): Promise<void> {
    await fs.rm(tempPath, { force: true });
  }

  /**
   * Writes the current state. Calls made while a write runs share one follow-up write, which snapshots the state
   * when it starts, so it includes every change made before the call.
   */
  save(): Promise<void> {
    if (!this.dataDir) {
      return Promise.resolve();
    }
    if (this.queued) {
      return this.queued;
    }
    if (!this.writing) {
      this.writing = this.writeState().finally(() => {
        this.writing = null;
      });
      return this.writing;
    }
    const queued = this.writing
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.save();
      });
    this.queued = queued;
    return queued;
  }

  async close(): Promise<void> {
    // Let the last write land: a close right after an answer must not lose what the answer promised.
    while (this.writing || this.queued) {
      await (this.queued ?? this.writing)?.catch(() => undefined);
    }
    if (this.ownsZipDir) {
      await fs.rm(this.zipDir, { recursive: true, force: true });
    }
  }

  private async writeState(): Promise<void> {
    const dir = this.dataDir as string;
    const text = JSON.stringify(this.state);
    const tmp = path.join(dir, `${STATE_FILE}.${randomUUID()}${TEMP_MARK}`);
    const handle = await fs.open(tmp, 'wx');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, path.join(dir, STATE_FILE));
    await syncDirectory(dir);
  }

  private async load(): Promise<void> {
    const file = path.join(this.dataDir as string, STATE_FILE);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return;
      }
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new StoreLoadError(`Cannot read ${file}: ${(err as Error).message}. Move it away to start afresh.`);
    }
    const candidate = parsed as Partial<State> | null;
    if (
      !candidate ||
      candidate.format !== 1 ||
      !Array.isArray(candidate.projects) ||
      !Array.isArray(candidate.environments) ||
      !Array.isArray(candidate.revisions) ||
      !Array.isArray(candidate.builds) ||
      !Array.isArray(candidate.deploymentVersions)
    ) {
      throw new StoreLoadError(`${file} is not an emulator state file (format 1). Move it away to start afresh.`);
    }
    this.state = { ...emptyState(), ...(candidate as State) };
    upgrade(this.state);
  }

  /** Temp files of interrupted writes, and zips whose revision never made it into (or left) the metadata. */
  private async removeLeftovers(): Promise<void> {
    const dir = this.dataDir as string;
    for (const name of await fs.readdir(dir)) {
      if (name.startsWith(`${STATE_FILE}.`) && name.endsWith(TEMP_MARK)) {
        await fs.rm(path.join(dir, name), { force: true });
      }
    }
    const live = new Set(this.state.revisions.filter((r) => !r.expired).map((r) => `${r.id}.zip`));
    for (const name of await fs.readdir(this.zipDir)) {
      if (!live.has(name)) {
        await fs.rm(path.join(this.zipDir, name), { force: true, recursive: true });
      }
    }
  }
}

/**
 * Fills the fields an older emulator did not store, so every answer carries them: environments'
 * `base_environment_display_name` (the base's display name) and `system` (true for base environments), projects'
 * detail fields, builds' `buildingAt` and `size`.
 */
export function upgrade(state: State): void {
  const bases = new Map(state.environments.filter((e) => e.project === null).map((e) => [e.name, e]));
  for (const e of state.environments) {
    if (typeof e.system !== 'boolean') {
      e.system = e.project === null;
    }
    if (e.base_environment_display_name === undefined) {
      e.base_environment_display_name =
        e.base_environment === null ? null : (bases.get(e.base_environment)?.display_name ?? null);
    }
  }
  for (const p of state.projects) {
    p.credits ??= null;
    p.suspended ??= false;
    p.suspended_reason ??= null;
    p.cors_origins ??= [];
  }
  for (const b of state.builds) {
    b.buildingAt ??= b.processingAt;
    b.size ??= null;
  }
}

async function syncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the rename itself durable; not every platform lets a folder be opened for this, hence best effort.
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // A lost rename after a power cut falls back to the previous, complete state.
  }
}
