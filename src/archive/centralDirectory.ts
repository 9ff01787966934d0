import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ExtractError, type RawEntry } from './extractTypes';

// Reading a zip's central directory from the file (APPNOTE 6.3.10, 4.3.12 to 4.3.16), zip64 included, without
// reading the rest: what the extractor plans from before it inflates anything.

/** A central directory this large would list millions of entries: not an environment. */
const MAX_CENTRAL_DIRECTORY = 64 << 20;
const MAX_32 = 0xffffffff;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END = 0x06064b50;
const CENTRAL_HEADER = 0x02014b50;

type NotAZip = (why: string) => ExtractError;

export async function openZip(zipPath: string): Promise<FileHandle> {
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

/** The entries the central directory lists, and where the entries' data ends (where the directory starts). */
export async function readCentralDirectory(
  handle: FileHandle,
  zipPath: string,
): Promise<{ entries: RawEntry[]; dataEnd: number }> {
  const notAZip: NotAZip = (why) =>
    new ExtractError('not-a-zip', `${path.basename(zipPath)} is not a readable zip file: ${why}.`);
  const { count, cdSize, cdOffset, directoryEnd } = await readEnd(handle, notAZip);
  if (cdOffset + cdSize > directoryEnd) throw notAZip('the central directory lies outside the file');
  if (cdSize > MAX_CENTRAL_DIRECTORY) throw notAZip(`its directory is ${cdSize} bytes, more than an environment needs`);
  const cd = Buffer.alloc(cdSize);
  await handle.read(cd, 0, cdSize, cdOffset);

  const entries: RawEntry[] = [];
  let p = 0;
  for (let n = 0; n < count; n++) {
    const { entry, next } = readRecord(cd, p, notAZip);
    entries.push(entry);
    p = next;
  }
  return { entries, dataEnd: cdOffset };
}

interface End {
  count: number;
  cdSize: number;
  cdOffset: number;
  /** Where the end records start: the central directory must end before. */
  directoryEnd: number;
}

/** The end of central directory record, found from the end of the file, or the zip64 one it points to. */
async function readEnd(handle: FileHandle, notAZip: NotAZip): Promise<End> {
  const { size: fileSize } = await handle.stat();
  const tailSize = Math.min(fileSize, 22 + 0xffff);
  const tail = Buffer.alloc(tailSize);
  await handle.read(tail, 0, tailSize, fileSize - tailSize);
  let at = -1;
  for (let i = tailSize - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) {
      at = i;
      break;
    }
  }
  if (at < 0) throw notAZip('no end of central directory record');
  const end: End = {
    count: tail.readUInt16LE(at + 10),
    cdSize: tail.readUInt32LE(at + 12),
    cdOffset: tail.readUInt32LE(at + 16),
    directoryEnd: fileSize - tailSize + at,
  };
  if (end.count !== 0xffff && end.cdSize !== MAX_32 && end.cdOffset !== MAX_32) return end;
  return readZip64End(handle, end.directoryEnd - 20, notAZip);
}

async function readZip64End(handle: FileHandle, locator: number, notAZip: NotAZip): Promise<End> {
  const buffer = Buffer.alloc(56);
  if (locator < 0) throw notAZip('a zip64 locator is missing');
  await handle.read(buffer, 0, 20, locator);
  if (buffer.readUInt32LE(0) !== ZIP64_LOCATOR) throw notAZip('a zip64 locator is missing');
  const recordAt = Number(buffer.readBigUInt64LE(8));
  if (recordAt + 56 > locator) throw notAZip('the zip64 record is out of place');
  await handle.read(buffer, 0, 56, recordAt);
  if (buffer.readUInt32LE(0) !== ZIP64_END) throw notAZip('the zip64 record is missing');
  return {
    count: Number(buffer.readBigUInt64LE(32)),
    cdSize: Number(buffer.readBigUInt64LE(40)),
    cdOffset: Number(buffer.readBigUInt64LE(48)),
    directoryEnd: recordAt,
  };
}

/** The central directory record at `p`, and where the next one starts. */
function readRecord(cd: Buffer, p: number, notAZip: NotAZip): { entry: RawEntry; next: number } {
  if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_HEADER) throw notAZip('its central directory is damaged');
  const madeBy = cd.readUInt16LE(p + 4) >> 8;
  const flags = cd.readUInt16LE(p + 8);
  const nameLength = cd.readUInt16LE(p + 28);
  const extraLength = cd.readUInt16LE(p + 30);
  const commentLength = cd.readUInt16LE(p + 32);
  const external = cd.readUInt32LE(p + 38);
  const nameEnd = p + 46 + nameLength;
  if (nameEnd + extraLength + commentLength > cd.length) throw notAZip('its central directory is damaged');
  const name = decodeName(cd.subarray(p + 46, nameEnd), (flags & 0x0800) !== 0);
  const sizes = zip64Sizes(
    cd,
    nameEnd,
    extraLength,
    { size: cd.readUInt32LE(p + 24), compressedSize: cd.readUInt32LE(p + 20), offset: cd.readUInt32LE(p + 42) },
    notAZip,
  );
  // Unix modes sit in the high half of the external attributes for zips made on Unix (3) and macOS (19).
  const mode = madeBy === 3 || madeBy === 19 ? external >>> 16 : 0;
  const isDirectory =
    name.endsWith('/') ||
    name.endsWith('\\') ||
    (mode & 0o170000) === 0o040000 ||
    (madeBy === 0 && (external & 0x10) !== 0);
  const entry: RawEntry = {
    path: name,
    size: sizes.size,
    compressedSize: sizes.compressedSize,
    isDirectory,
    method: cd.readUInt16LE(p + 10),
    flags,
    crc: cd.readUInt32LE(p + 16),
    offset: sizes.offset,
    mode,
    nameBytes: nameLength,
  };
  return { entry, next: nameEnd + extraLength + commentLength };
}

interface Sizes {
  size: number;
  compressedSize: number;
  offset: number;
}

/** Zip64 extra field: the 64-bit values, in this order, for the 32-bit fields that hold 0xFFFFFFFF. */
function zip64Sizes(cd: Buffer, extraAt: number, extraLength: number, sizes: Sizes, notAZip: NotAZip): Sizes {
  let { size, compressedSize, offset } = sizes;
  for (let e = extraAt; e + 4 <= extraAt + extraLength;) {
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
  return { size, compressedSize, offset };
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
