import { CodedError } from './codedError';
import type { FileProblem } from './problems';

// The packer's vocabulary: its options, the manifest a scan returns, the sources it packs and its errors.

export interface PackOptions {
  /** Gitignore-syntax file at the folder's root, as UbiOps' CLI reads it. Default `.ubiops-ignore`. */
  ignoreFileName?: string;
  /**
   * Leave out what never belongs in an environment (default true): `.git/`, `.venv/`, `venv/`, `__pycache__/`,
   * `*.pyc`, `node_modules/`, `.DS_Store` and the ignore file itself. UbiOps' CLI has no such list. They are rules
   * placed before the ignore file's, so a negation in the ignore file (`!venv/`) brings one back.
   */
  defaultExclusions?: boolean;
  /** More gitignore patterns, applied after the ignore file. */
  extraPatterns?: string[];
  /** Pack a folder without requirements.txt, ubiops.yaml, … at its root. Default false. */
  allowNoDependencyFile?: boolean;
  /** Most uncompressed bytes packed. Default 2 GiB, the largest package UbiOps documents. */
  maxBytes?: number;
  /** Most files and folders the scan reads (folders left out whole are not read). Default 100,000. */
  maxFiles?: number;
  signal?: AbortSignal;
  /** Called as files are packed, at most every 50 ms and once at the end with the totals. */
  onProgress?: (progress: PackProgress) => void;
}

export interface PackProgress {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

export interface PackManifest {
  /** The folder as given, resolved. */
  folder: string;
  /**
   * What goes into the zip, sorted; paths are posix and relative to the folder (the zip adds `environment_package/`).
   * A symbolic link to a file is packed, under its own path, with its target's content.
   */
  files: { path: string; size: number }[];
  totalBytes: number;
  /** Dependency files found at the folder's root and not ignored, in DEPENDENCY_FILE_NAMES order. */
  dependencyFiles: string[];
  /** What the validators say about those dependency files. */
  problems: FileProblem[];
  /** Files and folders left out by rules; a folder left out counts once, with nothing in it. */
  excluded: number;
  /** Of `excluded`, those left out by the default exclusions. */
  excludedByDefault: number;
  /**
   * The folders a rule leaves out, the topmost only, with that rule (`.ubiops-ignore:3: data/`, `default: .git/`).
   * A later negation may still bring back files inside one (they are then in `files`).
   */
  excludedFolders: { path: string; rule: string }[];
  /** Files that cannot be read, or are not regular files (FIFOs, sockets, devices). `packFolder` refuses these. */
  unreadable: { path: string; reason: string }[];
  /** Symbolic links left out: to a folder (never followed, as UbiOps' CLI does) or to nothing. */
  skippedLinks: { path: string; target: string; reason: 'folder' | 'broken' }[];
  /** Symbolic links to files outside the folder: packed with their target's content, as UbiOps' CLI does. */
  linkedFromOutside: { path: string; target: string }[];
  /**
   * Dependency files at the root that will not be in the zip, and why (a rule, a link, a file that cannot be read):
   * the upload says so before anything is sent.
   */
  leftOutDependencyFiles: { name: string; reason: string }[];
}

export type PackErrorCode =
  | 'not-a-folder'
  | 'no-dependency-file'
  | 'too-large'
  | 'too-many-files'
  | 'unreadable'
  | 'changed'
  | 'cancelled'
  | 'write-failed';

export class PackError extends CodedError<PackErrorCode> {
  override name = 'PackError';
}

export const DEFAULT_IGNORE_FILE = '.ubiops-ignore';
export const DEFAULT_EXCLUSIONS = ['.git/', '.venv/', 'venv/', '__pycache__/', '*.pyc', 'node_modules/', '.DS_Store'];
export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;
/** Far more than an environment needs; what takes longer to read than to explain. */
export const DEFAULT_MAX_FILES = 100_000;
/** An ignore file larger than this is not a list of rules. */
export const MAX_IGNORE_FILE_BYTES = 1 << 20;

/**
 * One file to pack: the manifest's entry, plus what tells it is still the file scanned. Numbers only, no Date or
 * Stats, so that 200,000 of them stay small.
 */
export interface Source {
  path: string;
  size: number;
  mtimeMs: number;
  mode: number;
  /** The identity the scan saw: of the file, or of a link's target. */
  dev: number;
  ino: number;
  /** A symbolic link to a file: opened through the link, and its target checked. */
  link?: true;
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled(signal);
}

export function cancelled(signal: AbortSignal): PackError {
  return new PackError('cancelled', 'Packing was cancelled; no zip was written.', { cause: signal.reason });
}

/** A file system error in plain words (`permission denied`), else the error's own message. */
export function reasonOf(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOENT: 'no such file',
    ENOSPC: 'no space left on the disk',
    EISDIR: 'is a folder',
    ENOTDIR: 'not a folder',
    ELOOP: 'too many levels of symbolic links',
    EIO: 'input/output error',
  };
  const plain = e?.code ? known[e.code] : undefined;
  return plain ?? (error instanceof Error ? error.message : String(error));
}
