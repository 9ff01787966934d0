import { open, type FileHandle } from 'node:fs/promises';
import {
  asPackError,
  cancelled,
  changed,
  checkEnd,
  openSource,
  readWhole,
  SMALL_FILE,
  type Entry,
  type Source,
} from './uploadEntries';
import { centralHeader, crc32, endRecords, localHeader } from './zipWriter';

// The upload's zip as it goes out: the entries prepared by ./uploadEntries.ts, read from the folder (and the deflated
// data from the temporary file) as the request asks for them.

/**
 * The bytes go out in chunks of CHUNK_BYTES from a ring of RING buffers, reused in turn. A chunk is handed on only
 * once the socket took the one before (undici pauses the body while the socket is above its 16 KiB high-water mark)
 * and the body's Readable reads one chunk ahead: a buffer comes round again only after RING - 1 later chunks, far
 * more than can still be in flight. Fresh buffers would pile up as garbage until V8 collects external memory, 64 MB
 * later (see BatchedWriter), which is the memory goal.
 */
const CHUNK_BYTES = 1 << 20;
const RING = 6;
/** Small entries read ahead of the one being sent, each into a buffer of SMALL_FILE: bounds memory at 8 MB. */
const PREFETCH = 8;

/** The chunk being filled, in a ring of reused buffers; `take` hands it on and starts the next. */
class ChunkRing {
  private readonly ring = Array.from({ length: RING }, () => Buffer.allocUnsafeSlow(CHUNK_BYTES));
  private slot = 0;
  /** How much of the current chunk is filled. */
  fill = 0;

  get buffer(): Buffer {
    return this.ring[this.slot];
  }

  get full(): boolean {
    return this.fill === CHUNK_BYTES;
  }

  /** Room left in the current chunk. */
  get room(): number {
    return CHUNK_BYTES - this.fill;
  }

  take(): Buffer {
    const chunk = this.buffer.subarray(0, this.fill);
    this.slot = (this.slot + 1) % RING;
    this.fill = 0;
    return chunk;
  }

  /** Copies `piece` in, handing on each chunk it fills. */
  *put(piece: Buffer): Generator<Buffer> {
    for (let at = 0; at < piece.length;) {
      if (this.full) yield this.take();
      const copied = piece.copy(this.buffer, this.fill, at, Math.min(piece.length, at + this.room));
      this.fill += copied;
      at += copied;
    }
  }

  /** Copies `piece` in whole, in one chunk: a local header is never split. */
  *putWhole(piece: Buffer): Generator<Buffer> {
    if (this.fill + piece.length > CHUNK_BYTES) yield this.take();
    this.fill += piece.copy(this.buffer, this.fill);
  }
}

/** The small entries' data, read PREFETCH ahead of the one being sent, each whole into a buffer of its own. */
class Prefetch {
  /** The small entries come first; this many. */
  readonly small: number;
  private readonly buffers: Buffer[];
  private readonly reads: Promise<Buffer>[] = [];

  constructor(
    private readonly entries: Entry[],
    private readonly temp: FileHandle | undefined,
  ) {
    this.small = entries.filter(({ source }) => source.size <= SMALL_FILE).length;
    this.buffers = Array.from({ length: Math.min(PREFETCH, this.small) }, () => Buffer.allocUnsafeSlow(SMALL_FILE + 1));
    for (let index = 0; index < this.buffers.length; index++) this.start(index);
  }

  /** The data of small entry `index`. */
  get(index: number): Promise<Buffer> {
    return this.reads[index];
  }

  /** Entry `index` is sent: its buffer is free again for the entry PREFETCH later. */
  release(index: number): void {
    this.start(index + this.buffers.length);
  }

  private start(index: number): void {
    if (index >= this.small) return;
    const { source, record, tempAt } = this.entries[index];
    const buffer = this.buffers[index % this.buffers.length];
    const read =
      tempAt === undefined
        ? Promise.resolve().then(() => readWhole(source, buffer))
        : readAt(this.temp!, buffer, tempAt, record.compressedSize, source);
    read.catch(() => undefined); // awaited in its turn; never unhandled
    this.reads[index] = read;
  }
}

/**
 * The zip's bytes: each entry's local header and data, then the central directory (at `centralAt`) and the end
 * records. Small entries are read PREFETCH ahead, each whole into a buffer of its own; large ones stream.
 */
export async function* zipBytes(
  entries: Entry[],
  centralAt: number,
  tempFile: string | undefined,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  const out = new ChunkRing();
  const temp = tempFile ? await open(tempFile, 'r') : undefined;
  const prefetch = new Prefetch(entries, temp);
  try {
    for (let index = 0; index < entries.length; index++) {
      if (signal?.aborted) throw cancelled(signal);
      const entry = entries[index];
      const { record, tempAt } = entry;
      let data: Buffer | undefined;
      if (index < prefetch.small) {
        data = await prefetch.get(index);
        if (tempAt === undefined) record.crc = crc32(data);
      } else if (entry.crc) {
        record.crc = await entry.crc;
      }
      yield* out.putWhole(localHeader(record));
      if (data) {
        yield* out.put(data);
        prefetch.release(index);
      } else {
        yield* streamEntry(out, entry, temp);
      }
    }
    const central = entries.map(({ record }) => centralHeader(record));
    const size = central.reduce((sum, header) => sum + header.length, 0);
    for (const piece of [...central, ...endRecords(entries.length, centralAt, size)]) yield* out.put(piece);
    if (out.fill > 0) yield out.take();
  } finally {
    await temp?.close().catch(() => undefined);
  }
}

/** A large entry's data, read straight into the ring: from its file when stored, from `temp` when deflated. */
async function* streamEntry(out: ChunkRing, entry: Entry, temp: FileHandle | undefined): AsyncGenerator<Buffer> {
  const { source, record, tempAt } = entry;
  const handle = tempAt === undefined ? await openSource(source) : temp!;
  try {
    let crc = 0;
    for (let at = tempAt ?? 0, left = record.compressedSize; left > 0;) {
      if (out.full) yield out.take();
      const { buffer, fill } = out;
      const { bytesRead } = await handle.read(buffer, fill, Math.min(out.room, left), at);
      if (bytesRead === 0) throw changed(source);
      if (tempAt === undefined) crc = crc32(buffer.subarray(fill, fill + bytesRead), crc);
      out.fill += bytesRead;
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

async function readAt(handle: FileHandle, buffer: Buffer, at: number, length: number, source: Source): Promise<Buffer> {
  for (let done = 0; done < length;) {
    const { bytesRead } = await handle.read(buffer, done, length - done, at + done);
    if (bytesRead === 0) throw changed(source);
    done += bytesRead;
  }
  return buffer.subarray(0, length);
}
