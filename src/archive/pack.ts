import { randomUUID } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { Stats } from 'node:fs';
import {
  access,
  lstat,
  open,
  readdir,
  readlink,
  realpath,
  rename,
  stat,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { DEPENDENCY_FILE_NAMES, isDependencyFileName, ZIP_TOP_FOLDER } from './dependencyFiles';
import type { FileProblem } from './problems';
import { validateDependencyFile } from './validate';
import { EndOfFileError, readChunks, ZlibPump } from './streams';
import { crc32, DEFLATE, STORE, ZipWriter } from './zipWriter';
import { formatBytes } from './format';
import { IgnoreRules, ruleLines, type Match, type RuleLine } from './ignoreRules';

export { formatBytes };

export interface PackOptions {
  /** Gitignore-syntax file at the folder's root, as UbiOps' CLI reads it. Default `.ubiops-ignore`. */
  ignoreFileName?: string;
  /**
   * Leave out what never belongs in an environment (default true): `.git/`, `.venv/`, `venv/`, `__pycache__/`,
   * `*.pyc`, `node_modules/`, `.DS_Store` and the ignore file itself. UbiOps' CLI has no such list. They are rules
   * placed before the ignore file's, so a negation in the ignore file (`!venv/`) brings one back.
   */
  defaultExclusions?: boolean;
  /** More gitignore patterns, applied after the ignore file. */
  extraPatterns?: string[];
  /** Pack a folder without requirements.txt, ubiops.yaml, … at its root. Default false. */
  allowNoDependencyFile?: boolean;
  /** Most uncompressed bytes packed. Default 2 GiB, the largest package UbiOps documents. */
  maxBytes?: number;
  /** Most files and folders the scan reads (folders left out whole are not read). Default 100,000. */
  maxFiles?: number;
  signal?: AbortSignal;
  /** Called as files are packed, at most every 50 ms and once at the end with the totals. */
  onProgress?: (progress: PackProgress) => void;
}

export interface PackProgress {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

export interface PackManifest {
  /** The folder as given, resolved. */
  folder: string;
  /**
   * What goes into the zip, sorted; paths are posix and relative to the folder (the zip adds `environment_package/`).
   * A symbolic link to a file is packed, under its own path, with its target's content.
   */
  files: { path: string; size: number }[];
  totalBytes: number;
  /** Dependency files found at the folder's root and not ignored, in DEPENDENCY_FILE_NAMES order. */
  dependencyFiles: string[];
  /** What the validators say about those dependency files. */
  problems: FileProblem[];
  /** Files and folders left out by rules; a folder left out counts once, with nothing in it. */
  excluded: number;
  /** Of `excluded`, those left out by the default exclusions. */
  excludedByDefault: number;
  /**
   * The folders a rule leaves out, the topmost only, with that rule (`.ubiops-ignore:3: data/`, `default: .git/`).
   * A later negation may still bring back files inside one (they are then in `files`).
   */
  excludedFolders: { path: string; rule: string }[];
  /** Files that cannot be read, or are not regular files (FIFOs, sockets, devices). `packFolder` refuses these. */
  unreadable: { path: string; reason: string }[];
  /** Symbolic links left out: to a folder (never followed, as UbiOps' CLI does) or to nothing. */
  skippedLinks: { path: string; target: string; reason: 'folder' | 'broken' }[];
  /** Symbolic links to files outside the folder: packed with their target's content, as UbiOps' CLI does. */
  linkedFromOutside: { path: string; target: string }[];
  /**
   * Dependency files at the root that will not be in the zip, and why (a rule, a link, a file that cannot be read):
   * the upload says so before anything is sent.
   */
  leftOutDependencyFiles: { name: string; reason: string }[];
}

export type PackErrorCode =
  | 'not-a-folder'
  | 'no-dependency-file'
  | 'too-large'
  | 'too-many-files'
  | 'unreadable'
  | 'changed'
  | 'cancelled'
  | 'write-failed';

export class PackError extends Error {
  constructor(
    readonly code: PackErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PackError';
  }
}

export const DEFAULT_IGNORE_FILE = '.ubiops-ignore';
export const DEFAULT_EXCLUSIONS = ['.git/', '.venv/', 'venv/', '__pycache__/', '*.pyc', 'node_modules/', '.DS_Store'];
export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;
/** Far more than an environment needs; what takes longer to read than to explain. */
export const DEFAULT_MAX_FILES = 100_000;
/** An ignore file larger than this is not a list of rules. */
export const MAX_IGNORE_FILE_BYTES = 1 << 20;

/** Files up to this size are read whole and deflated in one call on the threadpool, several at once. */
const SMALL_FILE = 1 << 20;
/** Files above this size are sampled first; incompressible ones (media, wheels, archives) are stored. */
const SAMPLE_FROM = 256 << 10;
const SAMPLE_BYTES = 64 << 10;
/** Store when deflate saves less than this on the sample: not worth the CPU, and zip's -6 gains no more. */
const STORE_RATIO = 0.97;
const LEVEL = 6;
/** Small files in flight; bounds memory at about twice this many SMALL_FILE buffers. */
const CONCURRENCY = 8;
const PROGRESS_INTERVAL_MS = 50;
/** Local header sizes are 32-bit; we write no zip64 sizes. */
const MAX_ENTRY_BYTES = 0xffffffff - (1 << 20);
/** Dependency files larger than this are not read for validation. */
const MAX_VALIDATED_BYTES = 4 << 20;
/** Entries of a folder looked at together. */
const STAT_BATCH = 64;

const deflateRaw = promisify(zlib.deflateRaw);

/**
 * One file to pack: the manifest's entry, plus what tells it is still the file scanned. Numbers only, no Date or
 * Stats, so that 200,000 of them stay small.
 */
export interface Source {
  path: string;
  size: number;
  mtimeMs: number;
  mode: number;
  /** The identity the scan saw: of the file, or of a link's target. */
  dev: number;
  ino: number;
  /** A symbolic link to a file: opened through the link, and its target checked. */
  link?: true;
}

interface Scan {
  manifest: PackManifest;
  sources: Source[];
  /** The folder's real path, which sources are relative to. */
  root: string;
}

/** The scans behind the manifests `scanFolder` returned, so that `packFolder` can pack exactly what was shown. */
const scans = new WeakMap<PackManifest, Scan>();

/** The dry run: what `packFolder` would put in the zip, and what it would refuse. Writes nothing. */
export async function scanFolder(folder: string, options: PackOptions = {}): Promise<PackManifest> {
  return (await scan(folder, options)).manifest;
}

/**
 * The scan and the refusals of `packFolder`, without writing anything: for `packFolder` and for a writer of its own
 * (the streamed upload of `storedZip.ts`, which opens each source with `openChecked`). Throws the PackError
 * `packFolder` would.
 */
export async function scanForPacking(
  folder: string,
  options: PackOptions & { scanned?: PackManifest } = {},
): Promise<{ manifest: PackManifest; sources: Source[]; root: string }> {
  // A manifest from `scanFolder` (of this folder, with these options) is packed as it is: what the user was shown
  // is what goes, and each file is checked to still be the one scanned.
  const earlier = options.scanned && scans.get(options.scanned);
  const { manifest, sources, root } = earlier ?? (await scan(folder, options));
  throwIfCancelled(options.signal);
  refuse(manifest, sources, options);
  return { manifest, sources, root };
}

/**
 * Packs `folder` into a zip under `environment_package/`, written as a stream to `outFile` (default: a new file in
 * the system's temp folder). Refuses, with a PackError that says what to do, a folder without dependency files,
 * one over `maxBytes`, or one with files it cannot read. A cancelled or failed pack leaves no file behind.
 */
export async function packFolder(
  folder: string,
  options: PackOptions & { outFile?: string; scanned?: PackManifest } = {},
): Promise<{ zipPath: string; zipBytes: number; manifest: PackManifest }> {
  const { manifest, sources, root } = await scanForPacking(folder, options);
  const { signal } = options;

  const zipPath = path.resolve(options.outFile ?? path.join(os.tmpdir(), `ubiops-environment-${randomUUID()}.zip`));
  // Written beside the target and renamed at the end, so `outFile` is either the whole zip or untouched.
  const partPath = options.outFile ? `${zipPath}.${randomUUID().slice(0, 8)}.part` : zipPath;
  let handle: FileHandle;
  try {
    handle = await open(partPath, 'wx');
  } catch (error) {
    throw new PackError(
      'write-failed',
      `Cannot create ${partPath}: ${reasonOf(error)}. Choose another place for the zip.`,
      { cause: error },
    );
  }
  try {
    const writer = new ZipWriter(handle);
    await writeEntries(writer, root, sources, manifest, options);
    await writer.finish();
    await handle.close();
    if (partPath !== zipPath) await rename(partPath, zipPath);
    return { zipPath, zipBytes: writer.bytesWritten, manifest };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(partPath).catch(() => undefined);
    if (error instanceof PackError) throw error;
    if (signal?.aborted) throw cancelled(signal);
    throw new PackError('write-failed', `Packing failed: ${reasonOf(error)}`, { cause: error });
  }
}

function refuse(manifest: PackManifest, sources: Source[], options: PackOptions): void {
  if (manifest.dependencyFiles.length === 0 && !options.allowNoDependencyFile) {
    const names = listOf(
      DEPENDENCY_FILE_NAMES.map((name) => `\`${name}\``),
      'or',
    );
    const ignored = manifest.leftOutDependencyFiles.map(({ name, reason }) => ` \`${name}\` is there but ${reason}.`);
    throw new PackError(
      'no-dependency-file',
      `${manifest.folder} has no dependency file at its root (${names}), so UbiOps would have nothing to build.` +
        (ignored.join('') ||
          ' Add one, choose the folder that holds it, or pack anyway if the environment needs no packages.'),
    );
  }
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const huge = sources.find((source) => source.size > MAX_ENTRY_BYTES);
  if (manifest.totalBytes > maxBytes || huge) {
    const largest = [...sources]
      .sort((a, b) => b.size - a.size)
      .slice(0, 3)
      .map((s) => `${s.path} (${formatBytes(s.size)})`);
    const what = huge
      ? `${huge.path} is ${formatBytes(huge.size)}, more than a zip entry can hold without zip64`
      : `The files to pack come to ${formatBytes(manifest.totalBytes)}, over the ${formatBytes(maxBytes)} limit`;
    throw new PackError(
      'too-large',
      `${what}. Largest: ${largest.join(', ')}. Leave data out with ${options.ignoreFileName ?? DEFAULT_IGNORE_FILE} and load it at run time instead.`,
    );
  }
  if (manifest.unreadable.length > 0) {
    const shown = manifest.unreadable.slice(0, 5).map(({ path: p, reason }) => `${p} (${reason})`);
    const more = manifest.unreadable.length > 5 ? ` and ${manifest.unreadable.length - 5} more` : '';
    throw new PackError(
      'unreadable',
      `Cannot read ${shown.join(', ')}${more}. Fix the permissions or add ${manifest.unreadable.length === 1 ? 'it' : 'them'} to ` +
        `${options.ignoreFileName ?? DEFAULT_IGNORE_FILE}; the zip would otherwise be missing files.`,
    );
  }
}

async function writeEntries(
  writer: ZipWriter,
  root: string,
  sources: Source[],
  manifest: PackManifest,
  options: PackOptions,
): Promise<void> {
  const { signal, onProgress } = options;
  const progress: PackProgress = { files: 0, totalFiles: sources.length, bytes: 0, totalBytes: manifest.totalBytes };
  let lastReport = 0;
  const done = (size: number) => {
    progress.files++;
    progress.bytes += size;
    const now = Date.now();
    if (onProgress && (now - lastReport >= PROGRESS_INTERVAL_MS || progress.files === progress.totalFiles)) {
      lastReport = now;
      onProgress({ ...progress });
    }
  };

  // Workers take files in order; each reads and deflates on its own, then waits its turn to append.
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    let buffer: Buffer | undefined;
    while (failure === undefined && next < sources.length) {
      if (signal?.aborted) throw cancelled(signal);
      const source = sources[next++]!;
      const info = { name: `${ZIP_TOP_FOLDER}/${source.path}`, mtime: new Date(source.mtimeMs), mode: source.mode };
      if (source.size <= SMALL_FILE) {
        buffer ??= Buffer.allocUnsafeSlow(SMALL_FILE + 1);
        const data = await readWhole(root, source, buffer);
        const crc = crc32(data);
        const deflated = await compressIfWorthIt(data);
        if (failure !== undefined) return;
        await writer.exclusive(() =>
          deflated
            ? writer.addBuffered(info, DEFLATE, crc, data.length, deflated)
            : writer.addBuffered(info, STORE, crc, data.length, data),
        );
      } else {
        await writer.exclusive(() => streamLarge(writer, info, root, source, signal));
      }
      done(source.size);
    }
  };
  const workers = Array.from({ length: Math.min(CONCURRENCY, sources.length) }, () =>
    worker().catch((error: unknown) => {
      failure ??= error;
    }),
  );
  await Promise.all(workers);
  if (failure !== undefined) throw failure;
  if (sources.length === 0) onProgress?.({ ...progress });
}

/**
 * Reads a small file whole into `buffer` (one per worker, reused), failing if it is not the size the scan saw: a zip
 * with half a log file is worse than none.
 */
async function readWhole(root: string, source: Source, buffer: Buffer): Promise<Buffer> {
  const handle = await openChecked(root, source);
  let length = 0;
  try {
    // One byte more than expected tells a file that grew.
    for (let read = -1; read !== 0 && length <= source.size;) {
      ({ bytesRead: read } = await handle.read(buffer, length, source.size + 1 - length, length));
      length += read;
    }
  } catch (error) {
    throw new PackError(
      'unreadable',
      `Cannot read ${source.path}: ${reasonOf(error)}. Fix its permissions or add it to the ignore file.`,
      { cause: error },
    );
  } finally {
    await handle.close().catch(() => undefined);
  }
  if (length !== source.size) throw changed(source);
  return buffer.subarray(0, length);
}

async function compressIfWorthIt(data: Buffer): Promise<Buffer | undefined> {
  if (data.length === 0) return undefined;
  if (data.length > SAMPLE_FROM && !(await sampleCompresses(data.subarray(0, SAMPLE_BYTES)))) return undefined;
  const deflated = await deflateRaw(data, { level: LEVEL });
  return deflated.length < data.length ? deflated : undefined;
}

async function sampleCompresses(sample: Buffer): Promise<boolean> {
  const deflated = await deflateRaw(sample, { level: LEVEL });
  return deflated.length < sample.length * STORE_RATIO;
}

async function streamLarge(
  writer: ZipWriter,
  info: { name: string; mtime: Date; mode: number },
  root: string,
  source: Source,
  signal?: AbortSignal,
): Promise<void> {
  const handle = await openChecked(root, source);
  const sample = Buffer.alloc(SAMPLE_BYTES);
  const deflate = await sampleCompresses(sample.subarray(0, (await handle.read(sample, 0, SAMPLE_BYTES, 0)).bytesRead));
  const pump = deflate ? new ZlibPump(zlib.createDeflateRaw({ level: LEVEL, chunkSize: 64 << 10 })) : undefined;
  let crc = 0;
  let size = 0;
  async function* data(): AsyncGenerator<Buffer> {
    for await (const chunk of readChunks(handle, 0, source.size)) {
      if (signal?.aborted) throw cancelled(signal);
      crc = crc32(chunk, crc);
      size += chunk.length;
      if (!pump) yield chunk;
      else for (const out of await pump.push(chunk)) yield out;
    }
    // A file that grew since the scan: what follows would be missing from the zip.
    if ((await handle.read(Buffer.alloc(1), 0, 1, size)).bytesRead > 0) throw changed(source);
    if (pump) for (const out of await pump.finish()) yield out;
  }
  try {
    await writer.addStreamed(info, deflate ? DEFLATE : STORE, data(), () => ({ crc, size }));
  } catch (error) {
    throw error instanceof EndOfFileError ? changed(source) : error;
  } finally {
    pump?.destroy();
    await handle.close().catch(() => undefined);
  }
}

async function scan(folder: string, options: PackOptions): Promise<Scan> {
  const { signal } = options;
  throwIfCancelled(signal);
  const resolved = path.resolve(folder);
  let root: string;
  let rootInfo: Stats;
  try {
    root = await realpath(resolved);
    rootInfo = await stat(root);
    if (!rootInfo.isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw new PackError(
      'not-a-folder',
      `${resolved} is not a folder (${reasonOf(error)}). Choose the folder that holds your requirements.txt or ubiops.yaml.`,
      { cause: error },
    );
  }
  const ignoreFileName = options.ignoreFileName ?? DEFAULT_IGNORE_FILE;
  const rules = await loadRules(root, ignoreFileName, options);
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;

  const manifest: PackManifest = {
    folder: resolved,
    files: [],
    totalBytes: 0,
    dependencyFiles: [],
    problems: [],
    excluded: 0,
    excludedByDefault: 0,
    excludedFolders: [],
    unreadable: [],
    skippedLinks: [],
    linkedFromOutside: [],
    leftOutDependencyFiles: [],
  };
  const sources: Source[] = [];
  /** A dependency file at the root that will not be in the zip, and why: never left out silently. */
  const leaveOut = (rel: string, reason: string) => {
    if (isDependencyFileName(rel)) manifest.leftOutDependencyFiles.push({ name: rel, reason });
  };
  const exclude = (rel: string, match: Match, folder: boolean) => {
    manifest.excluded++;
    if (match.rule.startsWith(DEFAULT_SOURCE)) manifest.excludedByDefault++;
    if (folder) manifest.excludedFolders.push({ path: rel, rule: match.rule });
    leaveOut(rel, `left out by the rule \`${match.rule}\``);
  };

  // Depth first with a stack of folders still to read, each read once: links to folders are never followed (as
  // UbiOps' CLI), so a real folder is reached by one path only and no arrangement of links can multiply the walk.
  // Only what a folder's entries need is held while it is read; what stays is one small record per packed file.
  const stack: Folder[] = [{ rel: '', dev: rootInfo.dev, ino: rootInfo.ino, excludedBy: undefined }];
  let seen = 0;
  while (stack.length > 0) {
    throwIfCancelled(signal);
    const dir = stack.pop()!;
    const dirAbs = dir.rel ? path.join(root, dir.rel) : root;
    let names: string[];
    try {
      names = await readdir(dirAbs);
      // The folder read must be the one the parent listed, not a link swapped in since.
      await checkSame(dirAbs, dir, dir.rel);
    } catch (error) {
      if (error instanceof PackError) throw error;
      manifest.unreadable.push({ path: dir.rel ? `${dir.rel}/` : './', reason: reasonOf(error) });
      continue;
    }
    seen += names.length;
    if (seen > maxFiles) throw tooManyFiles(resolved, maxFiles, ignoreFileName);
    names.sort();
    for (let at = 0; at < names.length; at += STAT_BATCH) {
      throwIfCancelled(signal);
      // Stat a batch together: one at a time, a scan is bound by round trips to the threadpool; all at once, a
      // folder of 200,000 files holds 200,000 Stats.
      const batch = await Promise.all(
        names.slice(at, at + STAT_BATCH).map((name) => look(root, dir.rel ? `${dir.rel}/${name}` : name)),
      );
      for (const item of batch) {
        const { rel } = item;
        if ('error' in item) {
          manifest.unreadable.push({ path: rel, reason: item.error });
          leaveOut(rel, `cannot be read: ${item.error}`);
          continue;
        }
        const { info, link } = item;
        if (info.isDirectory() && link === undefined) {
          const match = rules.match(`${rel}/`);
          if (match?.excluded && dir.excludedBy === undefined) exclude(rel, match, true);
          // Read a left-out folder only when a later negation could bring something in it back.
          if (rules.excludesAllUnder(`${rel}/`, match)) continue;
          stack.push({ rel, dev: info.dev, ino: info.ino, excludedBy: match?.excluded ? match.rule : undefined });
          continue;
        }
        const match = rules.match(rel);
        if (match?.excluded) {
          // Inside a folder already counted as left out, a file is not counted again.
          if (dir.excludedBy === undefined) exclude(rel, match, false);
          continue;
        }
        if (link !== undefined && 'broken' in item) {
          manifest.skippedLinks.push({ path: rel, target: link, reason: 'broken' });
          leaveOut(rel, `a symbolic link to ${link}, which does not exist`);
        } else if (link !== undefined && info.isDirectory()) {
          manifest.skippedLinks.push({ path: rel, target: link, reason: 'folder' });
          leaveOut(rel, `a symbolic link to the folder ${link}`);
        } else if (!info.isFile()) {
          const reason = `${describeKind(info)}, not a regular file; remove it or leave it out`;
          manifest.unreadable.push({ path: rel, reason });
          leaveOut(rel, reason);
        } else if (item.denied) {
          manifest.unreadable.push({ path: rel, reason: item.denied });
          leaveOut(rel, `cannot be read: ${item.denied}`);
        } else {
          if (link !== undefined && item.outside) manifest.linkedFromOutside.push({ path: rel, target: link });
          const source: Source = {
            path: rel,
            size: info.size,
            mtimeMs: info.mtimeMs,
            mode: info.mode,
            dev: info.dev,
            ino: info.ino,
          };
          if (link !== undefined) source.link = true;
          sources.push(source);
        }
      }
    }
  }

  sources.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  manifest.files = sources;
  manifest.totalBytes = sources.reduce((sum, source) => sum + source.size, 0);
  for (const name of DEPENDENCY_FILE_NAMES) {
    const source = sources.find((s) => s.path === name);
    if (!source) continue;
    manifest.dependencyFiles.push(name);
    if (source.size > MAX_VALIDATED_BYTES) continue;
    const text = await readScanned(root, source).catch(() => undefined);
    if (text !== undefined)
      manifest.problems.push(...validateDependencyFile(name, text.toString('utf8').replace(/^\uFEFF/, '')));
  }
  const result = { manifest, sources, root };
  scans.set(manifest, result);
  return result;
}

/** A folder still to read, with the identity its parent saw and the rule that left it out, if one did. */
interface Folder {
  rel: string;
  dev: number;
  ino: number;
  excludedBy: string | undefined;
}

type Looked =
  | { rel: string; error: string }
  | { rel: string; info: Stats; link?: string; broken?: true; outside?: boolean; denied?: string };

/**
 * What one entry is. A link is told by lstat and never followed to a folder; a link to a file is described by its
 * target (UbiOps' CLI packs the target's content, wherever it lies).
 */
async function look(root: string, rel: string): Promise<Looked> {
  const abs = path.join(root, rel);
  try {
    // lstat rather than the dirent's type: some file systems do not fill it in.
    const own = await lstat(abs);
    if (!own.isSymbolicLink()) {
      // Readable by permission bits is all a scan can tell without opening every file; the pack checks for real.
      return { rel, info: own, denied: own.isFile() ? await readDenied(abs, own) : undefined };
    }
    const link = await readlink(abs);
    let info: Stats;
    try {
      info = await stat(abs);
    } catch {
      return { rel, info: own, link, broken: true };
    }
    if (!info.isFile()) return { rel, info, link };
    const real = await realpath(abs);
    const relative = path.relative(root, real);
    const outside =
      relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
    return { rel, info, link, outside, denied: await readDenied(real, info) };
  } catch (error) {
    return { rel, error: reasonOf(error) };
  }
}

/** Who this process is, for reading permission bits as access(2) would, read once. */
const identity = ((): { uid: number; groups: Set<number> } | undefined => {
  if (typeof process.getuid !== 'function' || typeof process.getgid !== 'function') return undefined;
  const groups = new Set<number>([
    process.getgid(),
    ...(typeof process.getgroups === 'function' ? process.getgroups() : []),
  ]);
  return { uid: process.getuid(), groups };
})();

/**
 * Why a file cannot be read, or undefined. The permission bits the scan already has answer as access(2) would for
 * the owner, group and others classes, without a system call per file (half of a scan's time on 5,000 files);
 * only where the bits do not settle it (no POSIX identity, ACLs the bits cannot show) is access(2) asked.
 */
async function readDenied(abs: string, info: Stats): Promise<string | undefined> {
  if (identity) {
    if (identity.uid === 0) return undefined;
    const bits = info.uid === identity.uid ? 0o400 : identity.groups.has(info.gid) ? 0o040 : 0o004;
    if ((info.mode & bits) !== 0) return undefined;
    return reasonOf(Object.assign(new Error('permission denied'), { code: 'EACCES' }));
  }
  return access(abs, constants.R_OK).then(() => undefined, reasonOf);
}

/** Fails with `changed` unless `abs` is still, without following a link, the folder or file the scan saw. */
async function checkSame(abs: string, seen: { dev: number; ino: number }, rel: string): Promise<void> {
  const now = await lstat(abs);
  if (now.isSymbolicLink() || now.dev !== seen.dev || now.ino !== seen.ino) {
    throw new PackError(
      'changed',
      `${rel || 'The folder'} was replaced while it was being read. Pack again once nothing is changing the folder.`,
    );
  }
}

/** Where a source is, and the flags that open it without following a link the scan did not follow. */
function openScanned(root: string, source: Source): Promise<FileHandle> {
  const abs = path.join(root, source.path);
  return open(abs, source.link ? constants.O_RDONLY : constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
}

/**
 * Opens a scanned file for packing and checks it is the very file the scan saw (same device and inode): a file or
 * folder swapped for a link since then cannot get an outside file into the zip.
 */
export async function openChecked(root: string, source: Source): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await openScanned(root, source);
  } catch (error) {
    // O_NOFOLLOW refuses a link where the scan saw a file.
    if ((error as NodeJS.ErrnoException).code === 'ELOOP' && !source.link) throw changed(source);
    throw new PackError(
      'unreadable',
      `Cannot read ${source.path}: ${reasonOf(error)}. Fix its permissions or add it to the ignore file.`,
      { cause: error },
    );
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.dev !== source.dev || info.ino !== source.ino) throw changed(source);
    return handle;
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/**
 * `openChecked` for a small file, read whole into `buffer` without leaving the thread: for thousands of small files
 * the thread pool's round trips (open, stat, read, close) cost more than the reads. Fails with `changed` unless the
 * file is still the one scanned and still of its size.
 */
export function readCheckedSync(root: string, source: Source, buffer: Buffer): Buffer {
  let fd: number;
  try {
    fd = openSync(
      path.join(root, source.path),
      source.link ? constants.O_RDONLY : constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0),
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP' && !source.link) throw changed(source);
    throw new PackError(
      'unreadable',
      `Cannot read ${source.path}: ${reasonOf(error)}. Fix its permissions or add it to the ignore file.`,
      { cause: error },
    );
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || info.dev !== source.dev || info.ino !== source.ino) throw changed(source);
    let length = 0;
    // One byte more than expected tells a file that grew.
    for (let read = -1; read !== 0 && length <= source.size;) {
      read = readSync(fd, buffer, length, source.size + 1 - length, length);
      length += read;
    }
    if (length !== source.size) throw changed(source);
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof PackError) throw error;
    throw new PackError(
      'unreadable',
      `Cannot read ${source.path}: ${reasonOf(error)}. Fix its permissions or add it to the ignore file.`,
      { cause: error },
    );
  } finally {
    closeSync(fd);
  }
}

async function readScanned(root: string, source: Source): Promise<Buffer> {
  const handle = await openChecked(root, source);
  try {
    const buffer = Buffer.alloc(source.size);
    const { bytesRead } = await handle.read(buffer, 0, source.size, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

const DEFAULT_SOURCE = 'default';

async function loadRules(root: string, ignoreFileName: string, options: PackOptions): Promise<IgnoreRules> {
  const lines: RuleLine[] = [];
  if (options.defaultExclusions ?? true) {
    const own = `/${ignoreFileName.replace(/[\\*?[\]!# ]/g, (c) => `\\${c}`)}`;
    lines.push(...[...DEFAULT_EXCLUSIONS, own].map((pattern) => ({ pattern, source: DEFAULT_SOURCE })));
  }
  const text = await readIgnoreFile(root, ignoreFileName);
  if (text !== undefined) lines.push(...ruleLines(text, ignoreFileName));
  lines.push(...(options.extraPatterns ?? []).map((pattern) => ({ pattern, source: 'extra pattern' })));
  return new IgnoreRules(lines);
}

/**
 * The ignore file, read only as a regular file of at most MAX_IGNORE_FILE_BYTES at the folder's root: never
 * through a link (it could lead anywhere), never a FIFO (it would block for ever) or a device (it never ends).
 */
async function readIgnoreFile(root: string, name: string): Promise<string | undefined> {
  const file = path.join(root, name);
  const refuse = (what: string, cause?: unknown) =>
    new PackError(
      'unreadable',
      `${name} ${what}. Make it a regular file of at most ${formatBytes(MAX_IGNORE_FILE_BYTES)} in the folder, or remove it.`,
      { cause },
    );
  let info: Stats;
  try {
    info = await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw refuse(`cannot be read (${reasonOf(error)})`, error);
  }
  if (info.isSymbolicLink()) throw refuse('is a symbolic link, which is not followed');
  if (!info.isFile()) throw refuse(`is ${describeKind(info)}, not a regular file`);
  if (info.size > MAX_IGNORE_FILE_BYTES) throw refuse(`is ${formatBytes(info.size)}, too large for an ignore file`);
  let handle: FileHandle;
  try {
    // Non-blocking, so that a FIFO swapped in since the lstat cannot hang the open.
    handle = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw refuse(`cannot be read (${reasonOf(error)})`, error);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile() || opened.dev !== info.dev || opened.ino !== info.ino)
      throw refuse('was replaced while it was being read');
    const buffer = Buffer.alloc(MAX_IGNORE_FILE_BYTES + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length;) {
      ({ bytesRead: read } = await handle.read(buffer, length, buffer.length - length, length));
      length += read;
    }
    if (length > MAX_IGNORE_FILE_BYTES) throw refuse('grew past the size limit while it was being read');
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function tooManyFiles(folder: string, maxFiles: number, ignoreFileName: string): PackError {
  return new PackError(
    'too-many-files',
    `${folder} holds more than ${maxFiles.toLocaleString('en-US')} files and folders (not counting folders left out whole), more than an ` +
      `environment needs. Leave data and build output out with ${ignoreFileName}, or choose the folder that holds just the environment's files.`,
  );
}

function describeKind(info: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
}): string {
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isBlockDevice() || info.isCharacterDevice()) return 'a device';
  return 'unknown file type';
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled(signal);
}

function cancelled(signal: AbortSignal): PackError {
  return new PackError('cancelled', 'Packing was cancelled; no zip was written.', { cause: signal.reason });
}

function changed(source: Source): PackError {
  return new PackError(
    'changed',
    `${source.path} changed while it was being packed. Pack again once nothing is changing the folder.`,
  );
}

function reasonOf(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOENT: 'no such file',
    ENOSPC: 'no space left on the disk',
    EISDIR: 'is a folder',
    ENOTDIR: 'not a folder',
    ELOOP: 'too many levels of symbolic links',
    EIO: 'input/output error',
  };
  const plain = e?.code ? known[e.code] : undefined;
  return plain ?? (error instanceof Error ? error.message : String(error));
}

function listOf(items: string[], conjunction: string): string {
  return items.length < 2
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}
