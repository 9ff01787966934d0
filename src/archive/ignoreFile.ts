import { constants, type Stats } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes } from './format';
import { IgnoreRules, ruleLines, type RuleLine } from './ignoreRules';
import { DEFAULT_EXCLUSIONS, MAX_IGNORE_FILE_BYTES, PackError, reasonOf, type PackOptions } from './packTypes';
import { describeKind } from './scannedFiles';

/** The source of the default exclusions' rules, as the manifest names it (`default: .git/`). */
export const DEFAULT_SOURCE = 'default';

/** The rules in the order they apply: the default exclusions, the ignore file's, then the extra patterns. */
export async function loadRules(root: string, ignoreFileName: string, options: PackOptions): Promise<IgnoreRules> {
  const lines: RuleLine[] = [];
  if (options.defaultExclusions ?? true) {
    const own = `/${ignoreFileName.replace(/[\\*?[\]!# ]/g, (c) => `\\${c}`)}`;
    lines.push(...[...DEFAULT_EXCLUSIONS, own].map((pattern) => ({ pattern, source: DEFAULT_SOURCE })));
  }
  const text = await readIgnoreFile(root, ignoreFileName);
  if (text !== undefined) lines.push(...ruleLines(text, ignoreFileName));
  lines.push(...(options.extraPatterns ?? []).map((pattern) => ({ pattern, source: 'extra pattern' })));
  return new IgnoreRules(lines);
}

/**
 * The ignore file, read only as a regular file of at most MAX_IGNORE_FILE_BYTES at the folder's root: never
 * through a link (it could lead anywhere), never a FIFO (it would block for ever) or a device (it never ends).
 */
async function readIgnoreFile(root: string, name: string): Promise<string | undefined> {
  const file = path.join(root, name);
  const refuse = (what: string, cause?: unknown) =>
    new PackError(
      'unreadable',
      `${name} ${what}. Make it a regular file of at most ${formatBytes(MAX_IGNORE_FILE_BYTES)} in the folder, or remove it.`,
      { cause },
    );
  let info: Stats;
  try {
    info = await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw refuse(`cannot be read (${reasonOf(error)})`, error);
  }
  if (info.isSymbolicLink()) throw refuse('is a symbolic link, which is not followed');
  if (!info.isFile()) throw refuse(`is ${describeKind(info)}, not a regular file`);
  if (info.size > MAX_IGNORE_FILE_BYTES) throw refuse(`is ${formatBytes(info.size)}, too large for an ignore file`);
  let handle: FileHandle;
  try {
    // Non-blocking, so that a FIFO swapped in since the lstat cannot hang the open.
    handle = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw refuse(`cannot be read (${reasonOf(error)})`, error);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile() || opened.dev !== info.dev || opened.ino !== info.ino)
      throw refuse('was replaced while it was being read');
    const buffer = Buffer.alloc(MAX_IGNORE_FILE_BYTES + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length;) {
      ({ bytesRead: read } = await handle.read(buffer, length, buffer.length - length, length));
      length += read;
    }
    if (length > MAX_IGNORE_FILE_BYTES) throw refuse('grew past the size limit while it was being read');
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close().catch(() => undefined);
  }
}
