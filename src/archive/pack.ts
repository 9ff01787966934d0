import { randomUUID } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEPENDENCY_FILE_NAMES } from './dependencyFiles';
import { formatBytes } from './format';
import { cancelled, DEFAULT_IGNORE_FILE, DEFAULT_MAX_BYTES, PackError, reasonOf, throwIfCancelled } from './packTypes';
import type { PackManifest, PackOptions, Source } from './packTypes';
import { writeEntries } from './packZip';
import { scan, scanOf } from './scan';
import { ZipWriter } from './zipWriter';

// The packer's entry: the dry run (`scanFolder`), the refusals, and the zip written to a file (`packFolder`). The
// scan is ./scan.ts, the ignore file ./ignoreFile.ts, the checked reads ./scannedFiles.ts and the entries ./packZip.ts.

export { formatBytes };
export {
  DEFAULT_EXCLUSIONS,
  DEFAULT_IGNORE_FILE,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_FILES,
  MAX_IGNORE_FILE_BYTES,
  PackError,
  type PackErrorCode,
  type PackManifest,
  type PackOptions,
  type PackProgress,
  type Source,
} from './packTypes';
export { openChecked, readCheckedSync } from './scannedFiles';

/** Local header sizes are 32-bit; we write no zip64 sizes. */
const MAX_ENTRY_BYTES = 0xffffffff - (1 << 20);

/** The dry run: what `packFolder` would put in the zip, and what it would refuse. Writes nothing. */
export async function scanFolder(folder: string, options: PackOptions = {}): Promise<PackManifest> {
  return (await scan(folder, options)).manifest;
}

/**
 * The scan and the refusals of `packFolder`, without writing anything: for `packFolder` and for a writer of its own
 * (the streamed upload of `storedZip.ts`, which opens each source with `openChecked`). Throws the PackError
 * `packFolder` would.
 */
export async function scanForPacking(
  folder: string,
  options: PackOptions & { scanned?: PackManifest } = {},
): Promise<{ manifest: PackManifest; sources: Source[]; root: string }> {
  // A manifest from `scanFolder` (of this folder, with these options) is packed as it is: what the user was shown
  // is what goes, and each file is checked to still be the one scanned.
  const earlier = options.scanned && scanOf(options.scanned);
  const { manifest, sources, root } = earlier ?? (await scan(folder, options));
  throwIfCancelled(options.signal);
  refuse(manifest, sources, options);
  return { manifest, sources, root };
}

/**
 * Packs `folder` into a zip under `environment_package/`, written as a stream to `outFile` (default: a new file in
 * the system's temp folder). Refuses, with a PackError that says what to do, a folder without dependency files,
 * one over `maxBytes`, or one with files it cannot read. A cancelled or failed pack leaves no file behind.
 */
export async function packFolder(
  folder: string,
  options: PackOptions & { outFile?: string; scanned?: PackManifest } = {},
): Promise<{ zipPath: string; zipBytes: number; manifest: PackManifest }> {
  const { manifest, sources, root } = await scanForPacking(folder, options);
  const { signal } = options;

  const zipPath = path.resolve(options.outFile ?? path.join(os.tmpdir(), `ubiops-environment-${randomUUID()}.zip`));
  // Written beside the target and renamed at the end, so `outFile` is either the whole zip or untouched.
  const partPath = options.outFile ? `${zipPath}.${randomUUID().slice(0, 8)}.part` : zipPath;
  let handle: FileHandle;
  try {
    handle = await open(partPath, 'wx');
  } catch (error) {
    throw new PackError(
      'write-failed',
      `Cannot create ${partPath}: ${reasonOf(error)}. Choose another place for the zip.`,
      { cause: error },
    );
  }
  try {
    const writer = new ZipWriter(handle);
    await writeEntries(writer, root, sources, manifest, options);
    await writer.finish();
    await handle.close();
    if (partPath !== zipPath) await rename(partPath, zipPath);
    return { zipPath, zipBytes: writer.bytesWritten, manifest };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(partPath).catch(() => undefined);
    if (error instanceof PackError) throw error;
    if (signal?.aborted) throw cancelled(signal);
    throw new PackError('write-failed', `Packing failed: ${reasonOf(error)}`, { cause: error });
  }
}

function refuse(manifest: PackManifest, sources: Source[], options: PackOptions): void {
  if (manifest.dependencyFiles.length === 0 && !options.allowNoDependencyFile) {
    const names = listOf(
      DEPENDENCY_FILE_NAMES.map((name) => `\`${name}\``),
      'or',
    );
    const ignored = manifest.leftOutDependencyFiles.map(({ name, reason }) => ` \`${name}\` is there but ${reason}.`);
    throw new PackError(
      'no-dependency-file',
      `${manifest.folder} has no dependency file at its root (${names}), so UbiOps would have nothing to build.` +
        (ignored.join('') ||
          ' Add one, choose the folder that holds it, or pack anyway if the environment needs no packages.'),
    );
  }
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const huge = sources.find((source) => source.size > MAX_ENTRY_BYTES);
  if (manifest.totalBytes > maxBytes || huge) {
    const largest = [...sources]
      .sort((a, b) => b.size - a.size)
      .slice(0, 3)
      .map((s) => `${s.path} (${formatBytes(s.size)})`);
    const what = huge
      ? `${huge.path} is ${formatBytes(huge.size)}, more than a zip entry can hold without zip64`
      : `The files to pack come to ${formatBytes(manifest.totalBytes)}, over the ${formatBytes(maxBytes)} limit`;
    throw new PackError(
      'too-large',
      `${what}. Largest: ${largest.join(', ')}. Leave data out with ${options.ignoreFileName ?? DEFAULT_IGNORE_FILE} and load it at run time instead.`,
    );
  }
  if (manifest.unreadable.length > 0) {
    const shown = manifest.unreadable.slice(0, 5).map(({ path: p, reason }) => `${p} (${reason})`);
    const more = manifest.unreadable.length > 5 ? ` and ${manifest.unreadable.length - 5} more` : '';
    throw new PackError(
      'unreadable',
      `Cannot read ${shown.join(', ')}${more}. Fix the permissions or add ${manifest.unreadable.length === 1 ? 'it' : 'them'} to ` +
        `${options.ignoreFileName ?? DEFAULT_IGNORE_FILE}; the zip would otherwise be missing files.`,
    );
  }
}

function listOf(items: string[], conjunction: string): string {
  return items.length < 2
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}
