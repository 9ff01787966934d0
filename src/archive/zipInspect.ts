import JSZip from 'jszip';
import { DEPENDENCY_FILE_NAMES, type DependencyFileName, ZIP_TOP_FOLDER } from './dependencyFiles';

/** The data is not a zip, or not one that can be read. */
export class NotAZipError extends Error {}

/** A dependency file inflates past `maxFileBytes` (zip-bomb guard). */
export class ZipEntryTooLargeError extends Error {}

export interface ZipDependencyFiles {
  /** '' when dependency files sit at the zip's root, else the single top folder's name (e.g. 'environment_package'). */
  root: string;
  /** Every file (not folder) entry's path in the zip. */
  entries: string[];
  /** The dependency files found at the root or under the single top folder, in DEPENDENCY_FILE_NAMES order. */
  files: { name: DependencyFileName; content: string }[];
}

const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

/** Finds and reads the dependency files UbiOps would read from an environment zip. */
export async function readDependencyFilesFromZip(
  data: Uint8Array,
  options?: { maxFileBytes?: number },
): Promise<ZipDependencyFiles> {
  const maxFileBytes = options?.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(data);
  } catch (error) {
    throw new NotAZipError(`Not a readable zip file: ${error instanceof Error ? error.message : String(error)}`);
  }

  const entries: string[] = [];
  zip.forEach((path, entry) => {
    if (!entry.dir) entries.push(path);
  });

  const root = findRoot(entries);
  const prefix = root === '' ? '' : `${root}/`;
  const files: ZipDependencyFiles['files'] = [];
  for (const name of DEPENDENCY_FILE_NAMES) {
    const entry = zip.file(prefix + name);
    if (entry && !entry.dir) files.push({ name, content: await inflateText(entry, maxFileBytes) });
  }
  return { root, entries, files };
}

/**
 * Files at the root win. Otherwise the top folder holding dependency files is the root (the CLI's layout, even with
 * stray files such as a README beside it); when several do, `environment_package` (the CLI's name), else none. A
 * zip with no dependency file anywhere near its top keeps the old reading: its single top folder, if it has one.
 */
function findRoot(entries: string[]): string {
  // Finder's "Compress" adds resource forks under __MACOSX/; they are not part of the user's folder.
  const relevant = entries.filter((path) => !path.startsWith('__MACOSX/'));
  const isDependency = (name: string) => (DEPENDENCY_FILE_NAMES as readonly string[]).includes(name);
  if (relevant.some((path) => !path.includes('/') && isDependency(path))) return '';
  const holders = new Set<string>();
  for (const path of relevant) {
    const parts = path.split('/');
    if (parts.length === 2 && parts[0] !== '' && isDependency(parts[1])) holders.add(parts[0]);
  }
  if (holders.size === 1) return [...holders][0];
  if (holders.has(ZIP_TOP_FOLDER)) return ZIP_TOP_FOLDER;
  if (holders.size > 1) return '';
  const tops = new Set(relevant.map((path) => (path.includes('/') ? path.slice(0, path.indexOf('/')) : '')));
  const [only] = tops;
  return tops.size === 1 && only ? only : '';
}

/** The streaming API is not in jszip's typings; it lets us stop inflating instead of trusting the declared size. */
interface InternalStream {
  on(event: 'data', listener: (chunk: Uint8Array) => void): InternalStream;
  on(event: 'error', listener: (error: unknown) => void): InternalStream;
  on(event: 'end', listener: () => void): InternalStream;
  pause(): InternalStream;
  resume(): InternalStream;
}

function inflateText(entry: JSZip.JSZipObject, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    let stopped = false;
    const stream = (entry as unknown as { internalStream(type: 'uint8array'): InternalStream }).internalStream(
      'uint8array',
    );
    stream
      .on('data', (chunk) => {
        if (stopped) return;
        total += chunk.length;
        if (total > maxBytes) {
          stopped = true;
          stream.pause();
          reject(new ZipEntryTooLargeError(`${entry.name} is larger than ${maxBytes} bytes once unpacked`));
          return;
        }
        chunks.push(chunk);
      })
      .on('error', (error) => {
        stopped = true;
        reject(
          new NotAZipError(`Cannot unpack ${entry.name}: ${error instanceof Error ? error.message : String(error)}`),
        );
      })
      .on('end', () => {
        if (stopped) return;
        // TextDecoder drops a leading BOM by default, as editors and pip do.
        resolve(new TextDecoder('utf-8').decode(Buffer.concat(chunks)));
      })
      .resume();
  });
}
