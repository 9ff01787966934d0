import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { ZIP_TOP_FOLDER } from './dependencyFiles';
import { scanForPacking, type PackManifest, type PackOptions } from './pack';
import { largeCrcs, prepareEntries, SMALL_FILE, TempData, type Entry, type Source } from './uploadEntries';
import { zipBytes } from './uploadStream';
import { centralHeader, DEFLATE, endRecords, entryRecord, STORE } from './zipWriter';

export { smallFileDeflateOptions } from './uploadEntries';

// The zip an upload sends, streamed from the folder into the request as it goes, with no temporary zip. The entries
// are prepared in ./uploadEntries.ts and sent by ./uploadStream.ts.
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
   * again for another attempt. Each chunk is valid until RING - 1 more were taken (./uploadStream.ts): hand it on, do not keep it.
   * Fails with PackError 'changed' when a file no longer is what the scan saw (the body then ends short, and the
   * server sees an interrupted upload rather than a wrong zip).
   */
  chunks(signal?: AbortSignal): AsyncGenerator<Buffer>;
  /** The entries in the zip's order, and how each is written. */
  entries: { path: string; method: 'store' | 'deflate' }[];
  /** Removes the temporary data of the deflated entries. */
  dispose(): Promise<void>;
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
  await prepare(entries, worthIt, level, temp, manifest, options);

  const { ordered, offset, length } = layOut(entries);
  const deflated = entries.filter(({ record }) => record.method === DEFLATE).length;
  const largeStored = ordered.filter(({ source, record }) => source.size > SMALL_FILE && record.method === STORE);
  let crcs: Promise<unknown> | undefined;
  return {
    manifest,
    length,
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

/** Deflates what pays into `temp`; on a fast link (no `temp`) nothing is read before the upload starts. */
async function prepare(
  entries: Entry[],
  worthIt: number,
  level: number,
  temp: TempData | undefined,
  manifest: PackManifest,
  options: PackOptions,
): Promise<void> {
  try {
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
}

/**
 * Small entries first, then the large ones: a large stored file's CRC, needed in its local header, is taken while
 * the small files go out. Small stored files are read once, as they are sent, their CRC taken from memory then.
 * Sets each entry's offset; `offset` is where the central directory starts, `length` the zip's.
 */
function layOut(entries: Entry[]): { ordered: Entry[]; offset: number; length: number } {
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
  return { ordered, offset, length: offset + centralSize + endSize };
}
