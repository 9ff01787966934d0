import { open, unlink, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { BatchedWriter } from './batchedWriter';
import { PackError, type PackManifest, type PackOptions, type Source as ScannedSource } from './packTypes';
import { ProgressReporter } from './progress';
import { openChecked, readCheckedSync } from './scannedFiles';
import { readChunks, ZlibPump } from './streams';
import { inOrder } from './workers';
import { type CentralRecord, crc32, DEFLATE } from './zipWriter';

// The upload's entries before anything is sent: which to deflate for the link (into a temporary file of their data
// alone, so that the zip's length is known), and the CRCs of the large stored ones. See ./storedZip.ts.

/** Files up to this size are read whole (and deflated in one call on the threadpool, several at once). */
export const SMALL_FILE = 1 << 20;
const SAMPLE_BYTES = 64 << 10;
const CONCURRENCY = 8;
const TEMP_BATCH_BYTES = 1 << 20;

const deflateRaw = promisify(zlib.deflateRaw);

/**
 * Deflate's options for a small file of `size` bytes: a window no larger than the file needs (plus deflate's
 * look-ahead of 262 bytes). A window is allocated per call; 5,000 calls with the full 32 KiB one took half again the
 * CPU for the same output.
 */
export function smallFileDeflateOptions(level: number, size: number): zlib.ZlibOptions {
  return { level, windowBits: Math.min(15, Math.max(9, Math.ceil(Math.log2(size + 262)))) };
}

/** A scanned file, with the folder it was scanned in. */
export type Source = ScannedSource & { root: string };

export interface Entry {
  source: Source;
  record: CentralRecord;
  /** For deflated entries, where their data starts in the temporary file. */
  tempAt?: number;
  /** For large stored entries, their CRC, taken in the background while the entries before them are sent. */
  crc?: Promise<number>;
}

/** Takes the CRCs of the large stored files one after another, in the background; each entry's `crc` awaits its own. */
export function largeCrcs(entries: Entry[], signal?: AbortSignal): Promise<unknown> {
  let previous: Promise<unknown> = Promise.resolve();
  for (const entry of entries) {
    const turn = previous.then(() => fileCrc(entry.source, signal));
    turn.catch(() => undefined); // seen by whoever awaits entry.crc; never unhandled
    entry.crc = turn;
    previous = turn.catch(() => undefined);
  }
  return previous;
}

async function fileCrc(source: Source, signal?: AbortSignal): Promise<number> {
  const handle = await openSource(source);
  try {
    let crc = 0;
    for await (const chunk of readChunks(handle, 0, source.size)) {
      if (signal?.aborted) throw cancelled(signal);
      crc = crc32(chunk, crc);
    }
    await checkEnd(handle, source);
    return crc;
  } catch (error) {
    throw asPackError(error, source);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Deflates into `temp` the files where that pays by more than `worthIt`, filling in their CRC, size and method. */
export async function prepareEntries(
  entries: Entry[],
  worthIt: number,
  level: number,
  temp: TempData,
  manifest: PackManifest,
  options: PackOptions,
): Promise<void> {
  const { signal } = options;
  const progress = new ProgressReporter(entries.length, manifest.totalBytes, options.onProgress);
  // One failure stops the others at their next file; the first error is the one reported.
  const stopIfCancelled = () => {
    if (signal?.aborted) throw cancelled(signal);
  };
  await inOrder(entries, CONCURRENCY, stopIfCancelled, async (entry, _, turn) => {
    const { source, record } = entry;
    if (source.size <= SMALL_FILE) {
      const data = readWhole(source, turn.buffer(SMALL_FILE + 1));
      const packed = data.length > 0 ? await deflateRaw(data, smallFileDeflateOptions(level, data.length)) : undefined;
      if (packed && packed.length < data.length * worthIt) {
        entry.tempAt = await temp.append(packed);
        Object.assign(record, { method: DEFLATE, crc: crc32(data), compressedSize: packed.length });
      }
    } else {
      await prepareLarge(entry, worthIt, level, temp, signal);
    }
    progress.done(source.size);
  });
  if (entries.length === 0) progress.nothingToDo();
}

/** A large file: deflated into `temp`, its CRC taken on the way, when its first 64 KiB say it pays; else left alone. */
async function prepareLarge(
  entry: Entry,
  worthIt: number,
  level: number,
  temp: TempData,
  signal?: AbortSignal,
): Promise<void> {
  const { source, record } = entry;
  const handle = await openSource(source);
  try {
    const sample = Buffer.allocUnsafe(SAMPLE_BYTES);
    const { bytesRead } = await handle.read(sample, 0, SAMPLE_BYTES, 0);
    if ((await deflateRaw(sample.subarray(0, bytesRead), { level })).length >= bytesRead * worthIt) return;
    const pump = new ZlibPump(zlib.createDeflateRaw({ level, chunkSize: 64 << 10 }));
    // The temporary file takes one large file at a time, between small files' appends.
    const write = temp.exclusive();
    const at = await write.start;
    try {
      let crc = 0;
      let compressed = 0;
      for await (const chunk of readChunks(handle, 0, source.size)) {
        if (signal?.aborted) throw cancelled(signal);
        crc = crc32(chunk, crc);
        for (const out of await pump.push(chunk)) compressed += await temp.write(out);
      }
      for (const out of await pump.finish()) compressed += await temp.write(out);
      await checkEnd(handle, source);
      Object.assign(record, { method: DEFLATE, crc, compressedSize: compressed });
      entry.tempAt = at;
    } finally {
      pump.destroy();
      write.done();
    }
  } catch (error) {
    throw asPackError(error, source);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The deflated entries' data, appended in the order it is ready; one writer at a time. */
export class TempData {
  private handle: Promise<FileHandle> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Staged and written in batches: 5,000 small files would otherwise be 5,000 writes one after another. */
  private readonly out = new BatchedWriter(() => (this.handle ??= open(this.file, 'wx', 0o600)), TEMP_BATCH_BYTES);

  constructor(readonly file: string) {}

  /** Appends `data` once the writers before are done; resolves with where it starts. */
  append(data: Buffer): Promise<number> {
    const { start, done } = this.exclusive();
    return start.then(async (at) => {
      try {
        await this.write(data);
        return at;
      } finally {
        done();
      }
    });
  }

  /** A turn of its own: `start` resolves with the position once the writers before are done; call `done` after. */
  exclusive(): { start: Promise<number>; done: () => void } {
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const start = this.queue.then(() => this.out.position);
    this.queue = start.then(() => finished);
    return { start, done };
  }

  /** Writes during a turn; resolves with the bytes written. */
  async write(data: Buffer): Promise<number> {
    await this.out.write(data);
    return data.length;
  }

  async finish(): Promise<void> {
    await this.queue;
    await this.out.flush();
    await (await this.handle)?.close();
  }

  async dispose(): Promise<void> {
    await this.handle?.then((handle) => handle.close()).catch(() => undefined);
    await unlink(this.file).catch(() => undefined);
  }
}

/** A small file, whole, read on this thread (see readCheckedSync): a few tens of microseconds each. */
export function readWhole(source: Source, buffer: Buffer): Buffer {
  return readCheckedSync(source.root, source, buffer);
}

/** Opens a file as the scan saw it: not through a link it did not follow, and still the same file (pack.ts). */
export function openSource(source: Source): Promise<FileHandle> {
  return openChecked(source.root, source);
}

export async function checkEnd(handle: FileHandle, source: Source): Promise<void> {
  if ((await handle.read(Buffer.alloc(1), 0, 1, source.size)).bytesRead > 0) throw changed(source);
}

export function asPackError(error: unknown, source: Source): PackError {
  if (error instanceof PackError) return error;
  return new PackError(
    'unreadable',
    `Cannot read ${source.path}: ${(error as Error).message}. Fix its permissions or add it to the ignore file.`,
    { cause: error },
  );
}

export function changed(source: Source): PackError {
  return new PackError(
    'changed',
    `${source.path} changed while it was being uploaded. Upload again once nothing is writing to the folder.`,
  );
}

export function cancelled(signal: AbortSignal): PackError {
  return new PackError('cancelled', 'The upload was cancelled; nothing was created.', { cause: signal.reason });
}
