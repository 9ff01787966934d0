import { randomUUID } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { ZIP_TOP_FOLDER } from './dependencyFiles';
import {
  openChecked,
  readCheckedSync,
  type PackManifest,
  type PackOptions,
  type PackProgress,
  PackError,
  scanForPacking,
  type Source as ScannedSource,
} from './pack';
import { readChunks, ZlibPump } from './streams';
import {
  type CentralRecord,
  centralHeader,
  crc32,
  DEFLATE,
  endRecords,
  entryRecord,
  localHeader,
  STORE,
} from './zipWriter';

// The zip an upload sends, streamed from the folder into the request as it goes, with no temporary zip.
//
// A stored entry's length is known from the scan, so a zip of stored entries has a known total length: it can go
// out with a Content-Length (UbiOps' reference does not say it accepts chunked bodies) while it is read, and packing
// then costs one read for the CRCs on top of the upload. A deflated entry's length is known only once it is deflated,
// so deflated entries are deflated first, into a temporary file of their data alone, and sent from there.
//
// Which entries to deflate depends on the link. Deflating a file of `size` bytes to `ratio` of it costs about
// size / DEFLATE_BYTES_PER_SECOND of CPU and saves (1 - ratio) × size / link of sending: it pays when
// ratio < 1 - link / DEFLATE_BYTES_PER_SECOND. On loopback or a gigabit link that is never: everything is stored,
// as UbiOps' CLI does. At 100 Mbit/s source code (ratio ~0.3) is deflated, at level 1 (fast), and media, wheels and
// archives are not; only on links under 3 MB a second does level 6's smaller output repay its CPU.
// The link is what earlier uploads to the same host measured (UbiOpsClient.uploadBytesPerSecond); before the first
// upload, DEFAULT_LINK_BYTES_PER_SECOND.

/** Before any upload to a host has been measured: 100 Mbit/s, a typical office or home uplink to a cloud. */
export const DEFAULT_LINK_BYTES_PER_SECOND = 12_500_000;
/**
 * What deflate level 6 gets through on this kind of machine, both cores, on source-like files (npm run bench:pack:
 * about 40 MB of source files in about a second). Above this link speed deflating never pays.
 */
export const DEFLATE_BYTES_PER_SECOND = 40_000_000;
/**
 * Deflate level 6 below this link speed, level 1 above it. On the bench folder's 38 MB of source files level 1 takes
 * about 0.25 s less CPU than level 6 and makes about 0.7 MB more: worth sending only below about 3 MB a second.
 */
export const LEVEL_6_BELOW_BYTES_PER_SECOND = 3_000_000;
/** Files up to this size are read whole (and deflated in one call on the threadpool, several at once). */
const SMALL_FILE = 1 << 20;
const SAMPLE_BYTES = 64 << 10;
const CONCURRENCY = 8;
const PROGRESS_INTERVAL_MS = 50;
/**
 * The bytes go out in chunks of CHUNK_BYTES from a ring of RING buffers, reused in turn. A chunk is handed on only
 * once the socket took the one before (undici pauses the body while the socket is above its 16 KiB high-water mark)
 * and the body's Readable reads one chunk ahead: a buffer comes round again only after RING - 1 later chunks, far
 * more than can still be in flight. Fresh buffers would pile up as garbage until V8 collects external memory, 64 MB
 * later (see ZipWriter.write), which is the memory goal.
 */
const CHUNK_BYTES = 1 << 20;
const RING = 6;
/** Small entries read ahead of the one being sent, each into a buffer of SMALL_FILE: bounds memory at 8 MB. */
const PREFETCH = 8;
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
type Source = ScannedSource & { root: string };

export interface ZipUploadOptions extends PackOptions {
  /** A manifest from `scanFolder` of this folder: exactly what it showed is uploaded (as `packFolder` does). */
  scanned?: PackManifest;
  /** The measured throughput of the link to the server, bytes a second; unknown: DEFAULT_LINK_BYTES_PER_SECOND. */
  linkBytesPerSecond?: number;
  /** Where the deflated entries' data is kept until sent; default the system's temp folder. */
  tempDir?: string;
}

export interface ZipUpload {
  manifest: PackManifest;
  /** The zip's exact length, for the Content-Length. */
  length: number;
  /** Entries stored and deflated, and the link speed the choice was made for. */
  stored: number;
  deflated: number;
  linkBytesPerSecond: number;
  /** The deflate level of the deflated entries. */
  level: number;
  /**
   * The zip's bytes, in order, read from the folder (and the deflated data) as they are asked for; may be called
   * again for another attempt. Each chunk is valid until RING - 1 more were taken: hand it on, do not keep it.
   * Fails with PackError 'changed' when a file no longer is what the scan saw (the body then ends short, and the
   * server sees an interrupted upload rather than a wrong zip).
   */
  chunks(signal?: AbortSignal): AsyncGenerator<Buffer>;
  /** The entries in the zip's order, and how each is written. */
  entries: { path: string; method: 'store' | 'deflate' }[];
  /** Removes the temporary data of the deflated entries. */
  dispose(): Promise<void>;
}

interface Entry {
  source: Source;
  record: CentralRecord;
  /** For deflated entries, where their data starts in the temporary file. */
  tempAt?: number;
  /** For large stored entries, their CRC, taken in the background while the entries before them are sent. */
  crc?: Promise<number>;
}

/**
 * Scans `folder` as `packFolder` does (same rules, same refusals), chooses per file whether to store or deflate
 * for the link, deflates those to deflate, and returns the zip as a stream of known length.
 */
export async function prepareZipUpload(folder: string, options: ZipUploadOptions = {}): Promise<ZipUpload> {
  const scan = await scanForPacking(folder, options);
  const { manifest } = scan;
  const sources: Source[] = scan.sources.map((source) => ({ ...source, root: scan.root }));
  const link =
    options.linkBytesPerSecond && options.linkBytesPerSecond > 0
      ? options.linkBytesPerSecond
      : DEFAULT_LINK_BYTES_PER_SECOND;
  const worthIt = 1 - link / DEFLATE_BYTES_PER_SECOND;
  const level = link < LEVEL_6_BELOW_BYTES_PER_SECOND ? 6 : 1;
  const entries: Entry[] = sources.map((source) => {
    const record = entryRecord(
      { name: `${ZIP_TOP_FOLDER}/${source.path}`, mtime: new Date(source.mtimeMs), mode: source.mode },
      STORE,
      0,
    );
    Object.assign(record, { size: source.size, compressedSize: source.size });
    return { source, record };
  });
  const temp =
    worthIt > 0
      ? new TempData(path.join(options.tempDir ?? os.tmpdir(), `ubiops-upload-${randomUUID()}.deflated`))
      : undefined;
  try {
    // On a fast link nothing is read before the upload starts.
    if (temp) await prepareEntries(entries, worthIt, level, temp, manifest, options);
    else
      options.onProgress?.({
        files: entries.length,
        totalFiles: entries.length,
        bytes: manifest.totalBytes,
        totalBytes: manifest.totalBytes,
      });
    await temp?.finish();
  } catch (error) {
    await temp?.dispose();
    throw error;
  }

  // Small entries first, then the large ones: a large stored file's CRC, needed in its local header, is taken while
  // the small files go out. Small stored files are read once, as they are sent, their CRC taken from memory then.
  const ordered = [
    ...entries.filter(({ source }) => source.size <= SMALL_FILE),
    ...entries.filter(({ source }) => source.size > SMALL_FILE),
  ];
  let offset = 0;
  for (const { record } of ordered) {
    record.offset = offset;
    offset += 30 + record.name.length + record.compressedSize;
  }
  const centralSize = ordered.reduce((sum, { record }) => sum + centralHeader(record).length, 0);
  const endSize = endRecords(ordered.length, offset, centralSize).reduce((sum, record) => sum + record.length, 0);
  const deflated = entries.filter(({ record }) => record.method === DEFLATE).length;
  const largeStored = ordered.filter(({ source, record }) => source.size > SMALL_FILE && record.method === STORE);
  let crcs: Promise<unknown> | undefined;
  return {
    manifest,
    length: offset + centralSize + endSize,
    stored: entries.length - deflated,
    deflated,
    linkBytesPerSecond: link,
    level,
    entries: ordered.map(({ source, record }) => ({
      path: source.path,
      method: record.method === DEFLATE ? 'deflate' : 'store',
    })),
    chunks: (signal) => {
      crcs ??= largeCrcs(largeStored, signal);
      return zipBytes(ordered, offset, deflated > 0 ? temp?.file : undefined, signal);
    },
    dispose: async () => {
      await crcs;
      await temp?.dispose();
    },
  };
}

/** Takes the CRCs of the large stored files one after another, in the background; each entry's `crc` awaits its own. */
function largeCrcs(entries: Entry[], signal?: AbortSignal): Promise<unknown> {
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
async function prepareEntries(
  entries: Entry[],
  worthIt: number,
  level: number,
  temp: TempData,
  manifest: PackManifest,
  options: PackOptions,
): Promise<void> {
  const { signal, onProgress } = options;
  const progress: PackProgress = { files: 0, totalFiles: entries.length, bytes: 0, totalBytes: manifest.totalBytes };
  let lastReport = 0;
  let next = 0;
  const worker = async () => {
    let buffer: Buffer | undefined;
    while (next < entries.length) {
      if (signal?.aborted) throw cancelled(signal);
      const entry = entries[next++]!;
      const { source, record } = entry;
      if (source.size <= SMALL_FILE) {
        buffer ??= Buffer.allocUnsafeSlow(SMALL_FILE + 1);
        const data = readWhole(source, buffer);
        const packed =
          data.length > 0 ? await deflateRaw(data, smallFileDeflateOptions(level, data.length)) : undefined;
        if (packed && packed.length < data.length * worthIt) {
          entry.tempAt = await temp.append(packed);
          Object.assign(record, { method: DEFLATE, crc: crc32(data), compressedSize: packed.length });
        }
      } else {
        await prepareLarge(entry, worthIt, level, temp, signal);
      }
      progress.files++;
      progress.bytes += source.size;
      const now = Date.now();
      if (onProgress && (now - lastReport >= PROGRESS_INTERVAL_MS || progress.files === progress.totalFiles)) {
        lastReport = now;
        onProgress({ ...progress });
      }
    }
  };
  // One failure stops the others at their next file; the first error is the one reported.
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(CONCURRENCY, entries.length) }, () =>
      worker().catch((error: unknown) => {
        next = entries.length;
        throw error;
      }),
    ),
  );
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  if (entries.length === 0) onProgress?.({ ...progress });
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

/**
 * The zip's bytes: each entry's local header and data, then the central directory (at `centralAt`) and the end
 * records. Small entries are read PREFETCH ahead, each whole into a buffer of its own; large ones stream.
 */
async function* zipBytes(
  entries: Entry[],
  centralAt: number,
  tempFile: string | undefined,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  const ring = Array.from({ length: RING }, () => Buffer.allocUnsafeSlow(CHUNK_BYTES));
  let slot = 0;
  let fill = 0;
  const take = (): Buffer => {
    const chunk = ring[slot]!.subarray(0, fill);
    slot = (slot + 1) % RING;
    fill = 0;
    return chunk;
  };
  function* put(piece: Buffer): Generator<Buffer> {
    for (let at = 0; at < piece.length;) {
      if (fill === CHUNK_BYTES) yield take();
      const copied = piece.copy(ring[slot]!, fill, at, Math.min(piece.length, at + CHUNK_BYTES - fill));
      fill += copied;
      at += copied;
    }
  }
  const temp = tempFile ? await open(tempFile, 'r') : undefined;
  const small = entries.filter(({ source }) => source.size <= SMALL_FILE).length;
  const buffers = Array.from({ length: Math.min(PREFETCH, small) }, () => Buffer.allocUnsafeSlow(SMALL_FILE + 1));
  const reads: Promise<Buffer>[] = [];
  const prefetch = (index: number) => {
    if (index >= small) return;
    const { source, record, tempAt } = entries[index]!;
    const buffer = buffers[index % buffers.length]!;
    const read =
      tempAt === undefined
        ? Promise.resolve().then(() => readWhole(source, buffer))
        : readAt(temp!, buffer, tempAt, record.compressedSize, source);
    read.catch(() => undefined); // awaited in its turn; never unhandled
    reads[index] = read;
  };
  for (let index = 0; index < buffers.length; index++) prefetch(index);
  try {
    for (let index = 0; index < entries.length; index++) {
      if (signal?.aborted) throw cancelled(signal);
      const entry = entries[index]!;
      const { source, record, tempAt } = entry;
      let data: Buffer | undefined;
      if (index < small) {
        data = await reads[index]!;
        if (tempAt === undefined) record.crc = crc32(data);
      } else if (entry.crc) {
        record.crc = await entry.crc;
      }
      const header = localHeader(record);
      if (fill + header.length > CHUNK_BYTES) yield take();
      fill += header.copy(ring[slot]!, fill);
      if (data) {
        yield* put(data);
        prefetch(index + buffers.length); // its buffer is free again
        continue;
      }
      const handle = tempAt === undefined ? await openSource(source) : temp!;
      try {
        let crc = 0;
        for (let at = tempAt ?? 0, left = record.compressedSize; left > 0;) {
          if (fill === CHUNK_BYTES) yield take();
          const buffer = ring[slot]!;
          const { bytesRead } = await handle.read(buffer, fill, Math.min(CHUNK_BYTES - fill, left), at);
          if (bytesRead === 0) throw changed(source);
          if (tempAt === undefined) crc = crc32(buffer.subarray(fill, fill + bytesRead), crc);
          fill += bytesRead;
          at += bytesRead;
          left -= bytesRead;
        }
        // A large stored file is checked as it goes: one changed since its CRC was taken would make a zip that fails.
        if (tempAt === undefined) {
          await checkEnd(handle, source);
          if (crc >>> 0 !== record.crc >>> 0) throw changed(source);
        }
      } catch (error) {
        throw asPackError(error, source);
      } finally {
        if (handle !== temp) await handle.close().catch(() => undefined);
      }
    }
    const central = entries.map(({ record }) => centralHeader(record));
    const size = central.reduce((sum, header) => sum + header.length, 0);
    for (const piece of [...central, ...endRecords(entries.length, centralAt, size)]) yield* put(piece);
    if (fill > 0) yield take();
  } finally {
    await temp?.close().catch(() => undefined);
  }
}

async function readAt(handle: FileHandle, buffer: Buffer, at: number, length: number, source: Source): Promise<Buffer> {
  for (let done = 0; done < length;) {
    const { bytesRead } = await handle.read(buffer, done, length - done, at + done);
    if (bytesRead === 0) throw changed(source);
    done += bytesRead;
  }
  return buffer.subarray(0, length);
}

/** The deflated entries' data, appended in the order it is ready; one writer at a time. */
class TempData {
  private handle: Promise<FileHandle> | undefined;
  /** Where the next byte goes, counting what is still staged. */
  private position = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly staging = Buffer.allocUnsafeSlow(TEMP_BATCH_BYTES);
  private staged = 0;

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
    const start = this.queue.then(() => this.position);
    this.queue = start.then(() => finished);
    return { start, done };
  }

  /** Writes during a turn; resolves with the bytes written. Staged and written in batches: 5,000 small files would
   * otherwise be 5,000 writes one after another. */
  async write(data: Buffer): Promise<number> {
    if (this.staged + data.length > TEMP_BATCH_BYTES) await this.flush();
    if (data.length >= TEMP_BATCH_BYTES) {
      await this.writeAt(data, this.position);
    } else {
      data.copy(this.staging, this.staged);
      this.staged += data.length;
    }
    this.position += data.length;
    return data.length;
  }

  async finish(): Promise<void> {
    await this.queue;
    await this.flush();
    await (await this.handle)?.close();
  }

  private async flush(): Promise<void> {
    if (this.staged === 0) return;
    const length = this.staged;
    this.staged = 0;
    await this.writeAt(this.staging.subarray(0, length), this.position - length);
  }

  private async writeAt(data: Buffer, at: number): Promise<void> {
    this.handle ??= open(this.file, 'wx', 0o600);
    const handle = await this.handle;
    for (let done = 0; done < data.length;) {
      done += (await handle.write(data, done, data.length - done, at + done)).bytesWritten;
    }
  }

  async dispose(): Promise<void> {
    await this.handle?.then((handle) => handle.close()).catch(() => undefined);
    await unlink(this.file).catch(() => undefined);
  }
}

/** A small file, whole, read on this thread (see readCheckedSync): a few tens of microseconds each. */
function readWhole(source: Source, buffer: Buffer): Buffer {
  return readCheckedSync(source.root, source, buffer);
}

/** Opens a file as the scan saw it: not through a link it did not follow, and still the same file (pack.ts). */
function openSource(source: Source): Promise<FileHandle> {
  return openChecked(source.root, source);
}

async function checkEnd(handle: FileHandle, source: Source): Promise<void> {
  if ((await handle.read(Buffer.alloc(1), 0, 1, source.size)).bytesRead > 0) throw changed(source);
}

function asPackError(error: unknown, source: Source): PackError {
  if (error instanceof PackError) return error;
  return new PackError(
    'unreadable',
    `Cannot read ${source.path}: ${(error as Error).message}. Fix its permissions or add it to the ignore file.`,
    { cause: error },
  );
}

function changed(source: Source): PackError {
  return new PackError(
    'changed',
    `${source.path} changed while it was being uploaded. Upload again once nothing is writing to the folder.`,
  );
}

function cancelled(signal: AbortSignal): PackError {
  return new PackError('cancelled', 'The upload was cancelled; nothing was created.', { cause: signal.reason });
}
