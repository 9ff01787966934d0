import { randomUUID } from 'node:crypto';
import { chmod, lstat, mkdir, open, realpath, rename, rm, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { readChunks, ZlibPump } from './streams';

// Reading downloaded revisions. jszip cannot serve here: JSZip.loadAsync takes the whole zip as one buffer (a 2 GB
// revision is 2 GB of memory before anything is inflated; measured by bench/pack.ts's "jszip read" line). This reads
// the central directory from the file and inflates one entry at a time as a stream, so memory stays flat.

export interface ZipEntry {
  /** The entry's name as stored (decoded), not yet checked or stripped. */
  path: string;
  size: number;
  compressedSize: number;
  isDirectory: boolean;
}

export interface ExtractOptions {
  /** Drop the single top folder every entry sits under (`environment_package/`), if there is one. */
  stripTopFolder?: boolean;
  /** Asked, before anything is written, for each file that already exists. Without it existing files are skipped. */
  onConflict?: (relativePath: string) => Promise<'overwrite' | 'skip' | 'cancel'>;
  signal?: AbortSignal;
  /** Most bytes inflated in all. Default 4 GiB. */
  maxTotalBytes?: number;
  /**
   * Most an entry may inflate relative to its compressed size, once over 16 MiB, and the whole zip relative to the
   * size of its data, once it unpacks to over 16 MiB. Default 200.
   */
  maxRatio?: number;
}

export type ExtractErrorCode =
  'not-a-zip' | 'unsafe-entry' | 'unsupported' | 'too-large' | 'corrupt' | 'in-the-way' | 'cancelled';

export class ExtractError extends Error {
  constructor(
    readonly code: ExtractErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ExtractError';
  }
}

export const DEFAULT_MAX_TOTAL_BYTES = 4 * 1024 ** 3;
export const DEFAULT_MAX_RATIO = 200;
/** Below this, a high ratio is harmless (a file of blank lines); the ratio guard is for what fills a disk. */
const RATIO_FLOOR = 16 << 20;
/** A central directory this large would list millions of entries: not an environment. */
const MAX_CENTRAL_DIRECTORY = 64 << 20;
const MAX_32 = 0xffffffff;
const CONCURRENCY = 4;

interface RawEntry extends ZipEntry {
  method: number;
  flags: number;
  crc: number;
  /** Where the local header starts. */
  offset: number;
  /** Unix mode from the external attributes, 0 when the zip was made elsewhere. */
  mode: number;
  nameBytes: number;
}

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
  const created: string[] = [];
  /** Moves done, in order: the target, and where the file it replaced was kept. */
  const moved: { target: string; backup?: string }[] = [];
  try {
    const { entries, dataEnd } = await readCentralDirectory(handle, zipPath);
    const plan = planEntries(entries, options);
    checkLimits(plan, dataEnd, options);

    // Inspect everything before asking anything: no question is asked about a zip that is refused further on.
    const states: ('new' | 'exists')[] = [];
    for (const item of plan) states.push(await inspectTarget(dest, item.relative, item.entry.isDirectory));
    const skipped: string[] = [];
    const files: typeof plan = [];
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

    staging = path.join(dest, `.ubiops-extract-${randomUUID().slice(0, 8)}`);
    await mkdir(staging);
    const budget: Budget = { used: 0, max: options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES };
    const parts = files.map((_, i) => path.join(staging!, `${i}.part`));
    // A few entries at once: most are small, and one at a time the threadpool round trips dominate.
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        if (signal?.aborted)
          throw new ExtractError('cancelled', 'Extraction was cancelled; nothing was written.', {
            cause: signal.reason,
          });
        const i = next++;
        const { entry, relative } = files[i]!;
        await inflateEntry(handle, entry, parts[i]!, relative, dataEnd, budget, signal);
        if (entry.mode & 0o111) await chmod(parts[i]!, 0o755);
      }
    };
    const results = await Promise.allSettled(Array.from({ length: CONCURRENCY }, worker));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    if (signal?.aborted)
      throw new ExtractError('cancelled', 'Extraction was cancelled; nothing was written.', { cause: signal.reason });
    for (const { entry, relative } of plan) {
      if (entry.isDirectory) await makeDirectories(dest, relative.split('/'), created);
    }
    for (const [i, { relative }] of files.entries()) {
      const segments = relative.split('/');
      const folder = await makeDirectories(dest, segments.slice(0, -1), created);
      const target = path.join(folder, segments[segments.length - 1]!);
      // Checked before the questions; checked again, since the folder may have changed while the files inflated.
      const existing = await lstat(target).catch(() => undefined);
      if (existing && !existing.isFile()) {
        throw new ExtractError(
          'in-the-way',
          `\`${relative}\` is no longer a plain file in the destination (it changed during the extraction); nothing was changed. Move it aside or extract elsewhere.`,
        );
      }
      const backup = existing ? path.join(staging, `${i}.replaced`) : undefined;
      if (backup) await rename(target, backup);
      moved.push({ target, backup });
      await rename(parts[i]!, target);
    }
    return { written: files.map((f) => f.relative), skipped };
  } catch (error) {
    // Put back what the moves changed, the last first: replaced files return, new ones go.
    for (const { target, backup } of moved.reverse()) {
      if (backup) await rename(backup, target).catch(() => undefined);
      else await unlink(target).catch(() => undefined);
    }
    for (const folder of created.reverse()) await rmdir(folder).catch(() => undefined);
    if (error instanceof ExtractError) throw error;
    if (signal?.aborted)
      throw new ExtractError('cancelled', 'Extraction was cancelled; nothing was written.', { cause: signal.reason });
    const what = moved.length > 0 ? 'it was undone and the folder is as it was' : 'nothing was changed';
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

async function openZip(zipPath: string): Promise<FileHandle> {
  try {
    return await open(zipPath, 'r');
  } catch (error) {
    throw new ExtractError(
      'not-a-zip',
      `Cannot open ${zipPath}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

interface Budget {
  used: number;
  max: number;
}

interface Planned {
  entry: RawEntry;
  /** Where it goes under the destination, posix, checked. */
  relative: string;
}

function planEntries(entries: RawEntry[], options: ExtractOptions): Planned[] {
  const unsafe: string[] = [];
  const unsupported: string[] = [];
  const planned: Planned[] = [];
  for (const entry of entries) {
    const checked = checkName(entry.path);
    if ('reason' in checked) unsafe.push(`\`${printable(entry.path)}\` ${checked.reason}`);
    else if ((entry.mode & 0o170000) === 0o120000) unsafe.push(`\`${printable(entry.path)}\` is a symbolic link`);
    else if (entry.flags & 1) unsupported.push(`\`${entry.path}\` is encrypted`);
    else if (!entry.isDirectory && entry.method !== 0 && entry.method !== 8)
      unsupported.push(`\`${entry.path}\` uses compression method ${entry.method}`);
    else if (checked.relative !== '') planned.push({ entry, relative: checked.relative });
  }
  if (unsafe.length > 0) {
    throw new ExtractError(
      'unsafe-entry',
      `Refusing this zip: ${summarize(unsafe)}. Such entries could write outside the chosen folder; nothing was extracted.`,
    );
  }
  if (unsupported.length > 0) {
    throw new ExtractError(
      'unsupported',
      `Cannot extract this zip: ${summarize(unsupported)}. Only stored and deflated, unencrypted entries are supported.`,
    );
  }

  let result = planned;
  if (options.stripTopFolder) {
    // Finder's resource forks sit beside the top folder; they are not part of the package.
    const relevant = planned.filter(({ relative }) => relative !== '__MACOSX' && !relative.startsWith('__MACOSX/'));
    const tops = new Set(relevant.map(({ relative }) => relative.split('/')[0]));
    const [top] = tops;
    if (
      tops.size === 1 &&
      relevant.every(({ relative, entry }) => relative.startsWith(`${top}/`) || (relative === top && entry.isDirectory))
    ) {
      result = relevant
        .filter(({ relative }) => relative !== top)
        .map((p) => ({ ...p, relative: p.relative.slice(top!.length + 1) }));
    }
  }
  const seen = new Set<string>();
  for (const { relative, entry } of result) {
    // Where the file system ignores case, `A.txt` and `a.txt` are one file.
    const key = process.platform === 'win32' || process.platform === 'darwin' ? relative.toLowerCase() : relative;
    if (seen.has(key) && !entry.isDirectory) {
      throw new ExtractError(
        'unsafe-entry',
        `Refusing this zip: it holds \`${relative}\` more than once, so one would silently replace the other.`,
      );
    }
    seen.add(key);
  }
  return result;
}

/** Characters that show text other than what is stored: bidirectional overrides, embeddings, isolates and marks. */
const SPOOFING = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
/** Names Windows keeps for devices, with any extension (`con.txt` is the console too). */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])(\.|$)/i;

/**
 * The entry's path under the destination, or why it may not have one. Refused on every system, since what is
 * extracted here is often opened, shared or synced elsewhere: names Windows cannot hold (device names such as `CON`
 * or `aux.py`, a trailing dot or space, `<>:"|?*` and control characters) and names with characters that make them
 * read as something else (right-to-left overrides and other bidirectional controls: `txt.exe` shown as `exe.txt`).
 */
function checkName(name: string): { relative: string } | { reason: string } {
  if (name.includes('\0')) return { reason: 'has a NUL character in its name' };
  if (/^[A-Za-z]:/.test(name)) return { reason: 'starts with a drive letter' };
  if (/^[\\/]/.test(name)) return { reason: 'is an absolute path' };
  // Windows tools have written `\` as the separator; treating it as one also catches `..\..\x`.
  const segments = name.split(/[\\/]/);
  if (segments.includes('..')) return { reason: 'climbs out of the folder with `..`' };
  if (SPOOFING.test(name)) return { reason: 'has an invisible bidirectional-text character that disguises its name' };
  const kept = segments.filter((s) => s !== '' && s !== '.');
  for (const segment of kept) {
    if (/[\u0001-\u001f:<>"|?*]/.test(segment))
      return { reason: 'has a character Windows cannot hold in a name (`<>:"|?*` or a control character)' };
    if (WINDOWS_DEVICE.test(segment))
      return { reason: `uses \`${segment.split('.')[0]}\`, a device name Windows reserves` };
    if (/[. ]$/.test(segment)) return { reason: 'ends in a dot or a space, which Windows drops' };
  }
  return { relative: kept.join('/') };
}

function checkLimits(plan: Planned[], dataEnd: number, options: ExtractOptions): void {
  const maxTotal = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  const maxRatio = options.maxRatio ?? DEFAULT_MAX_RATIO;
  const declared = plan.reduce((sum, { entry }) => sum + entry.size, 0);
  if (declared > maxTotal) {
    throw new ExtractError(
      'too-large',
      `This zip would unpack to ${declared} bytes, over the ${maxTotal}-byte limit; nothing was extracted.`,
    );
  }
  for (const { entry } of plan) {
    if (entry.size > RATIO_FLOOR && entry.size > entry.compressedSize * maxRatio) {
      throw new ExtractError(
        'too-large',
        `\`${entry.path}\` would inflate ${Math.round(entry.size / Math.max(entry.compressedSize, 1))} times (${entry.size} bytes), which is how zip bombs look; nothing was extracted.`,
      );
    }
  }
  // Many entries each under the floor add up (60 of 16 MiB from 961 KiB): the whole zip is held to the ratio too.
  if (declared > RATIO_FLOOR && declared > Math.max(dataEnd, 1) * maxRatio) {
    throw new ExtractError(
      'too-large',
      `This zip would unpack to ${declared} bytes from ${dataEnd}, ${Math.round(declared / Math.max(dataEnd, 1))} times its size, which is how zip bombs look; nothing was extracted.`,
    );
  }
  // Entries sharing compressed data are the other zip bomb (one stream inflated many times over).
  const sorted = plan.map(({ entry }) => entry).sort((a, b) => a.offset - b.offset);
  sorted.forEach((entry, i) => {
    const end = entry.offset + 30 + entry.nameBytes + entry.compressedSize;
    const next = sorted[i + 1]?.offset ?? dataEnd;
    if (end > next)
      throw new ExtractError(
        'corrupt',
        `\`${entry.path}\` overlaps another entry's data; this zip is damaged or built to be a zip bomb.`,
      );
  });
}

/** 'new' or 'exists' for what lies at `relative` under `dest`; throws if a link or a file of the wrong kind is on the way. */
async function inspectTarget(dest: string, relative: string, isDirectory: boolean): Promise<'new' | 'exists'> {
  const segments = relative.split('/');
  let current = dest;
  for (let i = 0; i < segments.length; i++) {
    current = path.join(current, segments[i]!);
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
      if (signal?.aborted)
        throw new ExtractError('cancelled', 'Extraction was cancelled; nothing was written.', { cause: signal.reason });
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

async function readCentralDirectory(
  handle: FileHandle,
  zipPath: string,
): Promise<{ entries: RawEntry[]; dataEnd: number }> {
  const notAZip = (why: string) =>
    new ExtractError('not-a-zip', `${path.basename(zipPath)} is not a readable zip file: ${why}.`);
  const { size: fileSize } = await handle.stat();
  const tailSize = Math.min(fileSize, 22 + 0xffff);
  const tail = Buffer.alloc(tailSize);
  await handle.read(tail, 0, tailSize, fileSize - tailSize);
  let at = -1;
  for (let i = tailSize - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      at = i;
      break;
    }
  }
  if (at < 0) throw notAZip('no end of central directory record');
  let count = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  let directoryEnd = fileSize - tailSize + at;
  if (count === 0xffff || cdSize === MAX_32 || cdOffset === MAX_32) {
    const locator = fileSize - tailSize + at - 20;
    const buffer = Buffer.alloc(56);
    if (locator < 0) throw notAZip('a zip64 locator is missing');
    await handle.read(buffer, 0, 20, locator);
    if (buffer.readUInt32LE(0) !== 0x07064b50) throw notAZip('a zip64 locator is missing');
    const recordAt = Number(buffer.readBigUInt64LE(8));
    if (recordAt + 56 > locator) throw notAZip('the zip64 record is out of place');
    await handle.read(buffer, 0, 56, recordAt);
    if (buffer.readUInt32LE(0) !== 0x06064b50) throw notAZip('the zip64 record is missing');
    count = Number(buffer.readBigUInt64LE(32));
    cdSize = Number(buffer.readBigUInt64LE(40));
    cdOffset = Number(buffer.readBigUInt64LE(48));
    directoryEnd = recordAt;
  }
  if (cdOffset + cdSize > directoryEnd) throw notAZip('the central directory lies outside the file');
  if (cdSize > MAX_CENTRAL_DIRECTORY) throw notAZip(`its directory is ${cdSize} bytes, more than an environment needs`);
  const cd = Buffer.alloc(cdSize);
  await handle.read(cd, 0, cdSize, cdOffset);

  const entries: RawEntry[] = [];
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw notAZip('its central directory is damaged');
    const madeBy = cd.readUInt16LE(p + 4) >> 8;
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc = cd.readUInt32LE(p + 16);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    const external = cd.readUInt32LE(p + 38);
    let offset = cd.readUInt32LE(p + 42);
    const nameEnd = p + 46 + nameLength;
    if (nameEnd + extraLength + commentLength > cd.length) throw notAZip('its central directory is damaged');
    const name = decodeName(cd.subarray(p + 46, nameEnd), (flags & 0x0800) !== 0);
    // Zip64 extra field: the 64-bit values, in this order, for the 32-bit fields that hold 0xFFFFFFFF.
    for (let e = nameEnd; e + 4 <= nameEnd + extraLength;) {
      const id = cd.readUInt16LE(e);
      const length = cd.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let v = e + 4;
        const take = () => {
          if (v + 8 > e + 4 + length) throw notAZip('a zip64 field is short');
          const value = Number(cd.readBigUInt64LE(v));
          v += 8;
          return value;
        };
        if (size === MAX_32) size = take();
        if (compressedSize === MAX_32) compressedSize = take();
        if (offset === MAX_32) offset = take();
      }
      e += 4 + length;
    }
    // Unix modes sit in the high half of the external attributes for zips made on Unix (3) and macOS (19).
    const mode = madeBy === 3 || madeBy === 19 ? external >>> 16 : 0;
    const isDirectory =
      name.endsWith('/') ||
      name.endsWith('\\') ||
      (mode & 0o170000) === 0o040000 ||
      (madeBy === 0 && (external & 0x10) !== 0);
    entries.push({
      path: name,
      size,
      compressedSize,
      isDirectory,
      method,
      flags,
      crc,
      offset,
      mode,
      nameBytes: nameLength,
    });
    p = nameEnd + extraLength + commentLength;
  }
  return { entries, dataEnd: cdOffset };
}

function decodeName(bytes: Buffer, utf8: boolean): string {
  if (utf8) return bytes.toString('utf8');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Not UTF-8 and not flagged: zip's historical code page 437 is closest to Latin-1 for letters.
    return bytes.toString('latin1');
  }
}

/** The name with its invisible and direction-changing characters written out (`\u202E`), so a message shows it as stored. */
function printable(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/g, (c) =>
    c === '\0' ? '\\0' : `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}

function summarize(items: string[]): string {
  return items.slice(0, 5).join('; ') + (items.length > 5 ? `; and ${items.length - 5} more` : '');
}
