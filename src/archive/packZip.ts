import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { ZIP_TOP_FOLDER } from './dependencyFiles';
import { cancelled, throwIfCancelled, type PackManifest, type PackOptions, type Source } from './packTypes';
import { ProgressReporter } from './progress';
import { changed, openChecked, readWhole } from './scannedFiles';
import { EndOfFileError, readChunks, ZlibPump } from './streams';
import { inOrder } from './workers';
import { crc32, DEFLATE, STORE, ZipWriter } from './zipWriter';

// What `packFolder` writes: each file stored or deflated, whichever is smaller, as Info-ZIP's `zip -6` would.

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

const deflateRaw = promisify(zlib.deflateRaw);

/**
 * Writes the sources' entries: workers take files in order; each small file is read and deflated on its own, then
 * waits its turn to append; a large one streams, sampled first and stored when it does not compress.
 */
export async function writeEntries(
  writer: ZipWriter,
  root: string,
  sources: Source[],
  manifest: PackManifest,
  options: PackOptions,
): Promise<void> {
  const { signal } = options;
  const progress = new ProgressReporter(sources.length, manifest.totalBytes, options.onProgress);

  // Workers take files in order; each reads and deflates on its own, then waits its turn to append.
  const stopIfCancelled = () => throwIfCancelled(signal);
  await inOrder(sources, CONCURRENCY, stopIfCancelled, async (source, _, turn) => {
    const info = { name: `${ZIP_TOP_FOLDER}/${source.path}`, mtime: new Date(source.mtimeMs), mode: source.mode };
    if (source.size <= SMALL_FILE) {
      const data = await readWhole(root, source, turn.buffer(SMALL_FILE + 1));
      const crc = crc32(data);
      const deflated = await compressIfWorthIt(data);
      if (turn.failed()) return;
      await writer.exclusive(() =>
        deflated
          ? writer.addBuffered(info, DEFLATE, crc, data.length, deflated)
          : writer.addBuffered(info, STORE, crc, data.length, data),
      );
    } else {
      await writer.exclusive(() => streamLarge(writer, info, root, source, signal));
    }
    progress.done(source.size);
  });
  if (sources.length === 0) progress.nothingToDo();
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
