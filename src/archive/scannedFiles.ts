import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { PackError, reasonOf, type Source } from './packTypes';

// Reading the files a scan found, each checked to be the very file the scan saw (same device and inode, not a link
// the scan did not follow): a file or folder swapped for a link since then cannot get an outside file into the zip.

/** The flags that open a source without following a link the scan did not follow. */
function openFlags(source: Source): number {
  return source.link ? constants.O_RDONLY : constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);
}

/** Why a source could not be opened: `changed` where O_NOFOLLOW met a link where the scan saw a file. */
function openFailure(error: unknown, source: Source): PackError {
  if ((error as NodeJS.ErrnoException).code === 'ELOOP' && !source.link) return changed(source);
  return unreadable(error, source);
}

function unreadable(error: unknown, source: Source): PackError {
  return new PackError(
    'unreadable',
    `Cannot read ${source.path}: ${reasonOf(error)}. Fix its permissions or add it to the ignore file.`,
    { cause: error },
  );
}

function isScanned(info: { isFile(): boolean; dev: number; ino: number }, source: Source): boolean {
  return info.isFile() && info.dev === source.dev && info.ino === source.ino;
}

/** Opens a scanned file for packing and checks it is the very file the scan saw. */
export async function openChecked(root: string, source: Source): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path.join(root, source.path), openFlags(source));
  } catch (error) {
    throw openFailure(error, source);
  }
  try {
    if (!isScanned(await handle.stat(), source)) throw changed(source);
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
    fd = openSync(path.join(root, source.path), openFlags(source));
  } catch (error) {
    throw openFailure(error, source);
  }
  try {
    if (!isScanned(fstatSync(fd), source)) throw changed(source);
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
    throw unreadable(error, source);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a small file whole into `buffer` (one per worker, reused), failing if it is not the size the scan saw: a zip
 * with half a log file is worse than none.
 */
export async function readWhole(root: string, source: Source, buffer: Buffer): Promise<Buffer> {
  const handle = await openChecked(root, source);
  let length = 0;
  try {
    // One byte more than expected tells a file that grew.
    for (let read = -1; read !== 0 && length <= source.size;) {
      ({ bytesRead: read } = await handle.read(buffer, length, source.size + 1 - length, length));
      length += read;
    }
  } catch (error) {
    throw unreadable(error, source);
  } finally {
    await handle.close().catch(() => undefined);
  }
  if (length !== source.size) throw changed(source);
  return buffer.subarray(0, length);
}

/** A scanned file's content, as far as it goes (for the validators). */
export async function readScanned(root: string, source: Source): Promise<Buffer> {
  const handle = await openChecked(root, source);
  try {
    const buffer = Buffer.alloc(source.size);
    const { bytesRead } = await handle.read(buffer, 0, source.size, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

export function changed(source: Source): PackError {
  return new PackError(
    'changed',
    `${source.path} changed while it was being packed. Pack again once nothing is changing the folder.`,
  );
}

/** What a file that is not a regular file is, in words. */
export function describeKind(info: {
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
