import { CodedError } from './codedError';

// The extractor's vocabulary: the entries of a zip, the options and the error. See ./extract.ts.

export interface ZipEntry {
  /** The entry's name as stored (decoded), not yet checked or stripped. */
  path: string;
  size: number;
  compressedSize: number;
  isDirectory: boolean;
}

/** An entry as its central directory record describes it. */
export interface RawEntry extends ZipEntry {
  method: number;
  flags: number;
  crc: number;
  /** Where the local header starts. */
  offset: number;
  /** Unix mode from the external attributes, 0 when the zip was made elsewhere. */
  mode: number;
  nameBytes: number;
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

export class ExtractError extends CodedError<ExtractErrorCode> {
  override name = 'ExtractError';
}

export const DEFAULT_MAX_TOTAL_BYTES = 4 * 1024 ** 3;
export const DEFAULT_MAX_RATIO = 200;

export function cancelled(signal: AbortSignal): ExtractError {
  return new ExtractError('cancelled', 'Extraction was cancelled; nothing was written.', { cause: signal.reason });
}
