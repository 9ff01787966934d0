import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, open, readdir, readFile, readlink, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import ignore, { type Ignore } from 'ignore';
import { DEPENDENCY_FILE_NAMES, isDependencyFileName, ZIP_TOP_FOLDER } from './dependencyFiles';
import type { FileProblem } from './problems';
import { validateDependencyFile } from './validate';
import { EndOfFileError, readChunks, ZlibPump } from './streams';
import { crc32, DEFLATE, STORE, ZipWriter } from './zipWriter';
import { formatBytes } from './format';

export { formatBytes };

export interface PackOptions {
  /** Gitignore-syntax file at the folder's root, as UbiOps' CLI reads it. Default `.ubiops-ignore`. */
  ignoreFileName?: string;
  /**
   * Leave out what never belongs in an environment (default true): `.git/`, `.venv/`, `venv/`, `__pycache__/`,
   * `*.pyc`, `node_modules/`, `.DS_Store` and the ignore file itself. They come first, so a negation in the ignore
   * file (`!venv/`) brings one back.
   */
  defaultExclusions?: boolean;
  /** More gitignore patterns, applied after the ignore file. */
  extraPatterns?: string[];
  /** Pack a folder without requirements.txt, ubiops.yaml, … at its root. Default false. */
  allowNoDependencyFile?: boolean;
  /** Most uncompressed bytes packed. Default 2 GiB, the largest package UbiOps documents. */
  maxBytes?: number;
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
  /** What goes into the zip, sorted; paths are posix and relative to the folder (the zip adds `environment_package/`). */
  files: { path: string; size: number }[];
  totalBytes: number;
  /** Dependency files found at the folder's root and not ignored, in DEPENDENCY_FILE_NAMES order. */
  dependencyFiles: string[];
  /** What the validators say about those dependency files. */
  problems: FileProblem[];
  /** Files and folders left out by ignore rules; a folder counts once, its contents are not read. */
  excluded: number;
  /** The folders left out whole, with the rule that left each out (`.ubiops-ignore:3: data/`, `default: .git/`). */
  excludedFolders: { path: string; rule: string }[];
  /** Files that cannot be read, or are not regular files (FIFOs, sockets, devices). `packFolder` refuses these. */
  unreadable: { path: string; reason: string }[];
  /** Symbolic links left out: they lead outside the folder, point at nothing, or back into their own ancestors. */
  skippedLinks: { path: string; target: string; reason: 'outside' | 'broken' | 'loop' }[];
}

export type PackErrorCode = 'not-a-folder' | 'no-dependency-file' | 'too-large' | 'unreadable' | 'changed' | 'cancelled' | 'write-failed';

export class PackError extends Error {
  constructor(readonly code: PackErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PackError';
  }
}

export const DEFAULT_IGNORE_FILE = '.ubiops-ignore';
export const DEFAULT_EXCLUSIONS = ['.git/', '.venv/', 'venv/', '__pycache__/', '*.pyc', 'node_modules/', '.DS_Store'];
export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;

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

const deflateRaw = promisify(zlib.deflateRaw);

/** One file to pack, with what the manifest does not show. */
interface Source {
  path: string;
  /** The file to open: resolved through links at scan time, so a link swapped later cannot lead outside. */
  abs: string;
  size: number;
  mtime: Date;
  mode: number;
}

interface Scan {
  manifest: PackManifest;
  sources: Source[];
  /** Dependency files present at the root but left out by a rule, for the "no dependency file" message. */
  ignoredDependencyFiles: { name: string; rule: string }[];
}

/** The dry run: what `packFolder` would put in the zip, and what it would refuse. Writes nothing. */
export async function scanFolder(folder: string, options: PackOptions = {}): Promise<PackManifest> {
  return (await scan(folder, options)).manifest;
}

/**
 * Packs `folder` into a zip under `environment_package/`, written as a stream to `outFile` (default: a new file in
 * the system's temp folder). Refuses, with a PackError that says what to do, a folder without dependency files,
 * one over `maxBytes`, or one with files it cannot read. A cancelled or failed pack leaves no file behind.
 */
export async function packFolder(
  folder: string,
  options: PackOptions & { outFile?: string } = {},
): Promise<{ zipPath: string; zipBytes: number; manifest: PackManifest }> {
  const { manifest, sources, ignoredDependencyFiles } = await scan(folder, options);
  const { signal } = options;
  throwIfCancelled(signal);
  refuse(manifest, sources, ignoredDependencyFiles, options);

  const zipPath = path.resolve(options.outFile ?? path.join(os.tmpdir(), `ubiops-environment-${randomUUID()}.zip`));
  // Written beside the target and renamed at the end, so `outFile` is either the whole zip or untouched.
  const partPath = options.outFile ? `${zipPath}.${randomUUID().slice(0, 8)}.part` : zipPath;
  let handle: FileHandle;
  try {
    handle = await open(partPath, 'wx');
  } catch (error) {
    throw new PackError('write-failed', `Cannot create ${partPath}: ${reasonOf(error)}. Choose another place for the zip.`, { cause: error });
  }
  try {
    const writer = new ZipWriter(handle);
    await writeEntries(writer, sources, manifest, options);
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

function refuse(manifest: PackManifest, sources: Source[], ignoredDependencyFiles: Scan['ignoredDependencyFiles'], options: PackOptions): void {
  if (manifest.dependencyFiles.length === 0 && !options.allowNoDependencyFile) {
    const names = listOf(DEPENDENCY_FILE_NAMES.map((name) => `\`${name}\``), 'or');
    const ignored = ignoredDependencyFiles.map(({ name, rule }) => ` \`${name}\` is there but left out by rule \`${rule}\`: remove or negate that rule.`);
    throw new PackError(
      'no-dependency-file',
      `${manifest.folder} has no dependency file at its root (${names}), so UbiOps would have nothing to build.` +
        (ignored.join('') || ' Add one, choose the folder that holds it, or pack anyway if the environment needs no packages.'),
    );
  }
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const huge = sources.find((source) => source.size > MAX_ENTRY_BYTES);
  if (manifest.totalBytes > maxBytes || huge) {
    const largest = [...sources].sort((a, b) => b.size - a.size).slice(0, 3).map((s) => `${s.path} (${formatBytes(s.size)})`);
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

async function writeEntries(writer: ZipWriter, sources: Source[], manifest: PackManifest, options: PackOptions): Promise<void> {
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
      const info = { name: `${ZIP_TOP_FOLDER}/${source.path}`, mtime: source.mtime, mode: source.mode };
      if (source.size <= SMALL_FILE) {
        buffer ??= Buffer.allocUnsafeSlow(SMALL_FILE + 1);
        const data = await readWhole(source, buffer);
        const crc = crc32(data);
        const deflated = await compressIfWorthIt(data);
        if (failure !== undefined) return;
        await writer.exclusive(() =>
          deflated ? writer.addBuffered(info, DEFLATE, crc, data.length, deflated) : writer.addBuffered(info, STORE, crc, data.length, data),
        );
      } else {
        await writer.exclusive(() => streamLarge(writer, info, source, signal));
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
async function readWhole(source: Source, buffer: Buffer): Promise<Buffer> {
  let handle: FileHandle | undefined;
  let length = 0;
  try {
    handle = await open(source.abs, 'r');
    // One byte more than expected tells a file that grew.
    for (let read = -1; read !== 0 && length <= source.size;) {
      ({ bytesRead: read } = await handle.read(buffer, length, source.size + 1 - length, length));
      length += read;
    }
  } catch (error) {
    throw new PackError('unreadable', `Cannot read ${source.path}: ${reasonOf(error)}. Fix its permissions or add it to the ignore file.`, { cause: error });
  } finally {
    await handle?.close().catch(() => undefined);
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

async function streamLarge(writer: ZipWriter, info: { name: string; mtime: Date; mode: number }, source: Source, signal?: AbortSignal): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(source.abs, 'r');
  } catch (error) {
    throw new PackError('unreadable', `Cannot read ${source.path}: ${reasonOf(error)}. Fix its permissions or add it to the ignore file.`, { cause: error });
  }
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
  const resolved = path.resolve(folder);
  let root: string;
  try {
    root = await realpath(resolved);
    if (!(await stat(root)).isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw new PackError('not-a-folder', `${resolved} is not a folder (${reasonOf(error)}). Choose the folder that holds your requirements.txt or ubiops.yaml.`, { cause: error });
  }
  const ignoreFileName = options.ignoreFileName ?? DEFAULT_IGNORE_FILE;
  const rules = await loadRules(root, ignoreFileName, options);

  const manifest: PackManifest = {
    folder: resolved, files: [], totalBytes: 0, dependencyFiles: [], problems: [], excluded: 0, excludedFolders: [], unreadable: [], skippedLinks: [],
  };
  const sources: Source[] = [];
  const ignoredDependencyFiles: Scan['ignoredDependencyFiles'] = [];
  const inside = (real: string) => {
    const relative = path.relative(root, real);
    return relative === '' || (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative));
  };

  // `ancestors` holds the real paths of the folders above: a link back to one of them would never end.
  const walk = async (dirAbs: string, dirReal: string, dirRel: string, ancestors: Set<string>): Promise<void> => {
    throwIfCancelled(options.signal);
    let entries;
    try {
      entries = await readdir(dirAbs, { withFileTypes: true });
    } catch (error) {
      manifest.unreadable.push({ path: dirRel ? `${dirRel}/` : './', reason: reasonOf(error) });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // Stat a folder's entries together: one at a time, a scan of 5,000 files is bound by round trips to the threadpool.
    const looked = await Promise.all(entries.map(async (entry) => {
      const rel = dirRel ? `${dirRel}/${entry.name}` : entry.name;
      const abs = path.join(dirAbs, entry.name);
      try {
        // lstat rather than the dirent's type: some file systems do not fill it in.
        let info = await lstat(abs);
        let real: string | undefined = path.join(dirReal, entry.name);
        let link: string | undefined;
        if (info.isSymbolicLink()) {
          link = await readlink(abs);
          real = await realpath(abs).catch(() => undefined);
          // A link out of the folder is reported, never followed; its target may not even be ours to stat.
          if (real && inside(real)) info = await stat(real);
        }
        // Readable by permission bits is all a scan can tell without opening every file; the pack checks for real.
        const denied = real && info.isFile() ? await access(real, constants.R_OK).then(() => undefined, reasonOf) : undefined;
        return { rel, abs, real, info, link, denied };
      } catch (error) {
        return { rel, abs, error };
      }
    }));
    for (const item of looked) {
      if ('error' in item) {
        manifest.unreadable.push({ path: item.rel, reason: reasonOf(item.error) });
        continue;
      }
      const { rel, real, info, link } = item;
      const isDir = real !== undefined && info.isDirectory();
      const rule = rules.excludedBy(isDir ? `${rel}/` : rel);
      if (rule) {
        manifest.excluded++;
        if (isDir) manifest.excludedFolders.push({ path: rel, rule });
        if (dirRel === '' && isDependencyFileName(rel)) ignoredDependencyFiles.push({ name: rel, rule });
        continue;
      }
      if (link !== undefined) {
        if (!real) {
          manifest.skippedLinks.push({ path: rel, target: link, reason: 'broken' });
          continue;
        }
        if (!inside(real)) {
          manifest.skippedLinks.push({ path: rel, target: link, reason: 'outside' });
          continue;
        }
      }
      if (isDir) {
        if (ancestors.has(real!)) {
          manifest.skippedLinks.push({ path: rel, target: link ?? real!, reason: 'loop' });
          continue;
        }
        await walk(item.abs, real!, rel, new Set(ancestors).add(real!));
      } else if (item.denied) {
        manifest.unreadable.push({ path: rel, reason: item.denied });
      } else if (info.isFile()) {
        sources.push({ path: rel, abs: real!, size: info.size, mtime: info.mtime, mode: info.mode });
      } else {
        manifest.unreadable.push({ path: rel, reason: `${describeKind(info)}, not a regular file; remove it or leave it out` });
      }
    }
  };
  await walk(root, root, '', new Set([root]));

  manifest.files = sources.map(({ path: p, size }) => ({ path: p, size }));
  manifest.totalBytes = sources.reduce((sum, source) => sum + source.size, 0);
  for (const name of DEPENDENCY_FILE_NAMES) {
    const source = sources.find((s) => s.path === name);
    if (!source) continue;
    manifest.dependencyFiles.push(name);
    if (source.size > MAX_VALIDATED_BYTES) continue;
    const text = await readFile(source.abs, 'utf8').catch(() => undefined);
    if (text !== undefined) manifest.problems.push(...validateDependencyFile(name, text.replace(/^\uFEFF/, '')));
  }
  return { manifest, sources, ignoredDependencyFiles };
}

interface Rules {
  /** The rule that leaves `relative` out (`source: pattern`), if any; folders end in `/`. */
  excludedBy(relative: string): string | undefined;
}

async function loadRules(root: string, ignoreFileName: string, options: PackOptions): Promise<Rules> {
  // Git matches case-insensitively where the file system does (core.ignorecase); follow that.
  const matcher: Ignore = ignore({ ignorecase: process.platform === 'win32' || process.platform === 'darwin' });
  if (options.defaultExclusions ?? true) {
    const own = `/${ignoreFileName.replace(/[\\*?[\]!# ]/g, (c) => `\\${c}`)}`;
    matcher.add([...DEFAULT_EXCLUSIONS, own].map((pattern) => ({ pattern, mark: 'default' })));
  }
  let text: string | undefined;
  try {
    text = await readFile(path.join(root, ignoreFileName), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new PackError('unreadable', `Cannot read ${ignoreFileName}: ${reasonOf(error)}. Fix its permissions or remove it.`, { cause: error });
    }
  }
  if (text !== undefined) {
    matcher.add(text.replace(/^\uFEFF/, '').split(/\r?\n/).map((pattern, line) => ({ pattern, mark: `${ignoreFileName}:${line + 1}` })));
  }
  matcher.add((options.extraPatterns ?? []).map((pattern) => ({ pattern, mark: 'extra pattern' })));
  return {
    excludedBy(relative) {
      const result = matcher.test(relative);
      return result.ignored ? `${result.rule?.mark ?? 'rule'}: ${result.rule?.pattern ?? '?'}` : undefined;
    },
  };
}

function describeKind(info: { isFIFO(): boolean; isSocket(): boolean; isBlockDevice(): boolean; isCharacterDevice(): boolean }): string {
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
  return new PackError('changed', `${source.path} changed while it was being packed. Pack again once nothing is writing to the folder.`);
}

function reasonOf(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    EACCES: 'permission denied', EPERM: 'operation not permitted', ENOENT: 'no such file', ENOSPC: 'no space left on the disk',
    EISDIR: 'is a folder', ENOTDIR: 'not a folder', ELOOP: 'too many levels of symbolic links', EIO: 'input/output error',
  };
  const plain = e?.code ? known[e.code] : undefined;
  return plain ?? (error instanceof Error ? error.message : String(error));
}

function listOf(items: string[], conjunction: string): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}
