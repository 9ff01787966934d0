import { randomUUID } from 'node:crypto';
import { chmod, lstat, mkdir, open, realpath, rename, rm, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { openZip, readCentralDirectory } from './centralDirectory';
import { checkLimits, planEntries, type Planned } from './extractPlan';
import {
  cancelled,
  DEFAULT_MAX_TOTAL_BYTES,
  ExtractError,
  type ExtractOptions,
  type RawEntry,
  type ZipEntry,
} from './extractTypes';
import { readChunks, ZlibPump } from './streams';
import { inOrder } from './workers';

// Reading downloaded revisions. jszip cannot serve here: JSZip.loadAsync takes the whole zip as one buffer (a 2 GB
// revision is 2 GB of memory before anything is inflated; measured by bench/pack.ts's "jszip read" line). This reads
// the central directory from the file (./centralDirectory.ts), checks every entry (./extractPlan.ts) and inflates one
// entry at a time as a stream, so memory stays flat.

export {
  DEFAULT_MAX_RATIO,
  DEFAULT_MAX_TOTAL_BYTES,
  ExtractError,
  type ExtractErrorCode,
  type ExtractOptions,
  type ZipEntry,
} from './extractTypes';

const CONCURRENCY = 4;

/** The entries of a zip file, read from its central directory. */
export async function listZip(zipPath: string): Promise<ZipEntry[]> {
  const handle = await openZip(zipPath);
  try {
    const { entries } = await readCentralDirectory(handle, zipPath);
    return entries.map(({ path: p, size, compressedSize, isDirectory }) => ({
      path: p,
      size,
      compressedSize,
      isDirectory,
    }));
  } finally {
    await handle.close();
  }
}

/**
 * Extracts `zipPath` into `destDir`. Every entry is checked first, and the whole zip is refused if any could land
 * outside `destDir` (`..`, absolute paths, drive letters, backslash tricks, symbolic links, a link already in
 * `destDir` on the way), has a name that Windows cannot hold or that hides its real text (see `checkName`), or would
 * inflate past the limits (each entry, and the whole zip against its own size). Then every target is inspected and
 * only then are conflicts asked about. Files are inflated into a staging folder inside `destDir` and moved into place
 * only once all are complete; a file they replace is kept aside until every move has succeeded, and a failure in
 * the moves puts everything back (replaced files restored, new files and folders removed). A failed or cancelled
 * extraction leaves `destDir` as it was.
 */
export async function extractZip(
  zipPath: string,
  destDir: string,
  options: ExtractOptions = {},
): Promise<{ written: string[]; skipped: string[] }> {
  const { signal } = options;
  await mkdir(destDir, { recursive: true });
  const dest = await realpath(destDir);
  const handle = await openZip(zipPath);
  let staging: string | undefined;
  const moves = new Moves();
  try {
    const { entries, dataEnd } = await readCentralDirectory(handle, zipPath);
    const plan = planEntries(entries, options);
    checkLimits(plan, dataEnd, options);
    const { files, skipped } = await askAboutConflicts(dest, plan, options);

    staging = path.join(dest, `.ubiops-extract-${randomUUID().slice(0, 8)}`);
    await mkdir(staging);
    const parts = files.map((_, i) => path.join(staging!, `${i}.part`));
    await inflateAll(handle, files, parts, dataEnd, options);

    if (signal?.aborted) throw cancelled(signal);
    for (const { entry, relative } of plan) {
      if (entry.isDirectory) await makeDirectories(dest, relative.split('/'), moves.created);
    }
    for (const [i, { relative }] of files.entries())
      await moves.moveIn(dest, relative, parts[i], path.join(staging, `${i}.replaced`));
    return { written: files.map((f) => f.relative), skipped };
  } catch (error) {
    await moves.undo();
    if (error instanceof ExtractError) throw error;
    if (signal?.aborted) throw cancelled(signal);
    const what = moves.moved.length > 0 ? 'it was undone and the folder is as it was' : 'nothing was changed';
    throw new ExtractError(
      'corrupt',
      `Cannot extract ${path.basename(zipPath)}: ${error instanceof Error ? error.message : String(error)}; ${what}.`,
      { cause: error },
    );
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    await handle.close();
  }
}

/**
 * Inspects every target before asking anything: no question is asked about a zip that is refused further on. Then
 * asks about each file that exists; returns the files to write and the paths skipped.
 */
async function askAboutConflicts(
  dest: string,
  plan: Planned[],
  options: ExtractOptions,
): Promise<{ files: Planned[]; skipped: string[] }> {
  const states: ('new' | 'exists')[] = [];
  for (const item of plan) states.push(await inspectTarget(dest, item.relative, item.entry.isDirectory));
  const skipped: string[] = [];
  const files: Planned[] = [];
  for (const [i, item] of plan.entries()) {
    if (states[i] === 'exists') {
      const answer = (await options.onConflict?.(item.relative)) ?? 'skip';
      if (answer === 'cancel') throw new ExtractError('cancelled', 'Extraction was cancelled; nothing was written.');
      if (answer === 'skip') {
        skipped.push(item.relative);
        continue;
      }
    }
    if (!item.entry.isDirectory) files.push(item);
  }
  return { files, skipped };
}

/** Inflates each file into its part. A few entries at once: most are small, and one at a time the threadpool round trips dominate. */
async function inflateAll(
  handle: FileHandle,
  files: Planned[],
  parts: string[],
  dataEnd: number,
  options: ExtractOptions,
): Promise<void> {
  const { signal } = options;
  const budget: Budget = { used: 0, max: options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES };
  const stopIfCancelled = () => {
    if (signal?.aborted) throw cancelled(signal);
  };
  await inOrder(files, CONCURRENCY, stopIfCancelled, async ({ entry, relative }, i) => {
    await inflateEntry(handle, entry, parts[i], relative, dataEnd, budget, signal);
    if (entry.mode & 0o111) await chmod(parts[i], 0o755);
  });
}

/** The moves into the destination, recorded so that a failure can put everything back. */
class Moves {
  /** Folders made, in order. */
  readonly created: string[] = [];
  /** Moves done, in order: the target, and where the file it replaced was kept. */
  readonly moved: { target: string; backup?: string }[] = [];

  /** Moves the inflated `part` to `relative`, keeping a file it replaces aside at `aside`. */
  async moveIn(dest: string, relative: string, part: string, aside: string): Promise<void> {
    const segments = relative.split('/');
    const folder = await makeDirectories(dest, segments.slice(0, -1), this.created);
    const target = path.join(folder, segments[segments.length - 1]);
    // Checked before the questions; checked again, since the folder may have changed while the files inflated.
    const existing = await lstat(target).catch(() => undefined);
    if (existing && !existing.isFile()) {
      throw new ExtractError(
        'in-the-way',
        `\`${relative}\` is no longer a plain file in the destination (it changed during the extraction); nothing was changed. Move it aside or extract elsewhere.`,
      );
    }
    const backup = existing ? aside : undefined;
    if (backup) await rename(target, backup);
    this.moved.push({ target, backup });
    await rename(part, target);
  }

  /** Puts back what the moves changed, the last first: replaced files return, new ones go, new folders go. */
  async undo(): Promise<void> {
    for (const { target, backup } of [...this.moved].reverse()) {
      if (backup) await rename(backup, target).catch(() => undefined);
      else await unlink(target).catch(() => undefined);
    }
    for (const folder of [...this.created].reverse()) await rmdir(folder).catch(() => undefined);
  }
}

interface Budget {
  used: number;
  max: number;
}

/** 'new' or 'exists' for what lies at `relative` under `dest`; throws if a link or a file of the wrong kind is on the way. */
async function inspectTarget(dest: string, relative: string, isDirectory: boolean): Promise<'new' | 'exists'> {
  const segments = relative.split('/');
  let current = dest;
  for (let i = 0; i < segments.length; i++) {
    current = path.join(current, segments[i]);
    const last = i === segments.length - 1;
    const info = await lstat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!info) return 'new';
    if (info.isSymbolicLink()) {
      throw new ExtractError(
        'unsafe-entry',
        `\`${segments.slice(0, i + 1).join('/')}\` in the destination is a symbolic link, and \`${relative}\` would be written through it. Extract into another folder.`,
      );
    }
    if (last) {
      if (isDirectory !== info.isDirectory()) {
        throw new ExtractError(
          'in-the-way',
          `\`${relative}\` is a ${isDirectory ? 'folder' : 'file'} in the zip but a ${info.isDirectory() ? 'folder' : 'file'} in the destination. Move it aside or extract elsewhere.`,
        );
      }
      return isDirectory ? 'new' : 'exists';
    }
    if (!info.isDirectory()) {
      throw new ExtractError(
        'in-the-way',
        `\`${segments.slice(0, i + 1).join('/')}\` is a file in the destination, where the zip has a folder. Move it aside or extract elsewhere.`,
      );
    }
  }
  return 'new';
}

/** Creates the folders along `segments` one level at a time, recording the ones it made so a failure can remove them. */
async function makeDirectories(dest: string, segments: string[], created: string[]): Promise<string> {
  let current = dest;
  for (const segment of segments) {
    current = path.join(current, segment);
    try {
      await mkdir(current);
      created.push(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Checked before, but a link could have appeared since; never write through one.
      if (!(await lstat(current)).isDirectory())
        throw new ExtractError(
          'unsafe-entry',
          `\`${path.relative(dest, current)}\` changed into a link or file during extraction.`,
        );
    }
  }
  return current;
}

async function inflateEntry(
  zip: FileHandle,
  entry: RawEntry,
  part: string,
  relative: string,
  dataEnd: number,
  budget: Budget,
  signal?: AbortSignal,
): Promise<void> {
  const header = Buffer.alloc(30);
  await zip.read(header, 0, 30, entry.offset);
  if (header.readUInt32LE(0) !== 0x04034b50)
    throw new ExtractError(
      'corrupt',
      `\`${entry.path}\` has no local header where the directory says; the zip is damaged.`,
    );
  const start = entry.offset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (start + entry.compressedSize > dataEnd)
    throw new ExtractError(
      'corrupt',
      `\`${entry.path}\` runs past the end of the zip's data; the download is probably incomplete.`,
    );

  const output = await open(part, 'wx');
  const pump = entry.method === 8 ? new ZlibPump(zlib.createInflateRaw({ chunkSize: 64 << 10 })) : undefined;
  let produced = 0;
  let crc = 0;
  const write = async (chunk: Buffer) => {
    produced += chunk.length;
    budget.used += chunk.length;
    // Declared sizes were checked against the limits; here the data must keep to what it declared.
    if (produced > entry.size)
      throw new ExtractError(
        'too-large',
        `\`${entry.path}\` inflates to more than the ${entry.size} bytes it declares; refusing it as a zip bomb.`,
      );
    if (budget.used > budget.max)
      throw new ExtractError('too-large', `This zip unpacks to more than ${budget.max} bytes; stopped.`);
    crc = zlib.crc32(chunk, crc);
    for (let done = 0; done < chunk.length;)
      done += (await output.write(chunk, done, chunk.length - done, produced - chunk.length + done)).bytesWritten;
  };
  try {
    for await (const chunk of readChunks(zip, start, entry.compressedSize)) {
      if (signal?.aborted) throw cancelled(signal);
      if (!pump) await write(chunk);
      else for (const out of await pump.push(chunk)) await write(out);
    }
    if (pump) for (const out of await pump.finish()) await write(out);
  } catch (error) {
    if (error instanceof ExtractError) throw error;
    throw new ExtractError(
      'corrupt',
      `\`${relative}\` cannot be unpacked (${error instanceof Error ? error.message : String(error)}); the zip is damaged. Download it again.`,
      { cause: error },
    );
  } finally {
    pump?.destroy();
    await output.close();
  }
  if (produced !== entry.size || crc >>> 0 !== entry.crc >>> 0) {
    throw new ExtractError(
      'corrupt',
      `\`${relative}\` does not match its checksum or size; the zip is damaged. Download it again.`,
    );
  }
}
