import { constants, type Stats } from 'node:fs';
import { access, lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { DEPENDENCY_FILE_NAMES, isDependencyFileName } from './dependencyFiles';
import { DEFAULT_SOURCE, loadRules } from './ignoreFile';
import type { IgnoreRules, Match } from './ignoreRules';
import { DEFAULT_IGNORE_FILE, DEFAULT_MAX_FILES, PackError, reasonOf, throwIfCancelled } from './packTypes';
import type { PackManifest, PackOptions, Source } from './packTypes';
import { describeKind, readScanned } from './scannedFiles';
import { validateDependencyFile } from './validate';

// The scan: which files of a folder go into the zip and which are left out, and why. It reads the folder, never
// a file's content (but for the dependency files it validates).

/** Dependency files larger than this are not read for validation. */
const MAX_VALIDATED_BYTES = 4 << 20;
/** Entries of a folder looked at together. */
const STAT_BATCH = 64;

export interface Scan {
  manifest: PackManifest;
  sources: Source[];
  /** The folder's real path, which sources are relative to. */
  root: string;
}

/** The scans behind the manifests `scanFolder` returned, so that `packFolder` can pack exactly what was shown. */
const scans = new WeakMap<PackManifest, Scan>();

/** The scan that made `manifest`, if this module made it. */
export function scanOf(manifest: PackManifest): Scan | undefined {
  return scans.get(manifest);
}

export async function scan(folder: string, options: PackOptions): Promise<Scan> {
  throwIfCancelled(options.signal);
  const resolved = path.resolve(folder);
  const { root, rootInfo } = await openRoot(resolved);
  const ignoreFileName = options.ignoreFileName ?? DEFAULT_IGNORE_FILE;
  const rules = await loadRules(root, ignoreFileName, options);
  const walk = new FolderWalk(root, resolved, rules, options);
  await walk.run(rootInfo);
  const { manifest, sources } = walk;
  sources.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  manifest.files = sources;
  manifest.totalBytes = sources.reduce((sum, source) => sum + source.size, 0);
  await checkDependencyFiles(manifest, root, sources);
  const result = { manifest, sources, root };
  scans.set(manifest, result);
  return result;
}

async function openRoot(resolved: string): Promise<{ root: string; rootInfo: Stats }> {
  try {
    const root = await realpath(resolved);
    const rootInfo = await stat(root);
    if (!rootInfo.isDirectory()) throw new Error('not a directory');
    return { root, rootInfo };
  } catch (error) {
    throw new PackError(
      'not-a-folder',
      `${resolved} is not a folder (${reasonOf(error)}). Choose the folder that holds your requirements.txt or ubiops.yaml.`,
      { cause: error },
    );
  }
}

/** Lists the dependency files at the root in DEPENDENCY_FILE_NAMES order, with what the validators say of them. */
async function checkDependencyFiles(manifest: PackManifest, root: string, sources: Source[]): Promise<void> {
  for (const name of DEPENDENCY_FILE_NAMES) {
    const source = sources.find((s) => s.path === name);
    if (!source) continue;
    manifest.dependencyFiles.push(name);
    if (source.size > MAX_VALIDATED_BYTES) continue;
    const text = await readScanned(root, source).catch(() => undefined);
    if (text !== undefined)
      manifest.problems.push(...validateDependencyFile(name, text.toString('utf8').replace(/^\uFEFF/, '')));
  }
}

function emptyManifest(folder: string): PackManifest {
  return {
    folder,
    files: [],
    totalBytes: 0,
    dependencyFiles: [],
    problems: [],
    excluded: 0,
    excludedByDefault: 0,
    excludedFolders: [],
    unreadable: [],
    skippedLinks: [],
    linkedFromOutside: [],
    leftOutDependencyFiles: [],
  };
}

/** A folder still to read, with the identity its parent saw and the rule that left it out, if one did. */
interface Folder {
  rel: string;
  dev: number;
  ino: number;
  excludedBy: string | undefined;
}

type Looked =
  | { rel: string; error: string }
  | { rel: string; info: Stats; link?: string; broken?: true; outside?: boolean; denied?: string };
type Found = Exclude<Looked, { error: string }>;

/**
 * Depth first with a stack of folders still to read, each read once: links to folders are never followed (as
 * UbiOps' CLI), so a real folder is reached by one path only and no arrangement of links can multiply the walk.
 * Only what a folder's entries need is held while it is read; what stays is one small record per packed file.
 */
class FolderWalk {
  readonly manifest: PackManifest;
  readonly sources: Source[] = [];
  private readonly stack: Folder[] = [];
  private readonly maxFiles: number;
  private readonly ignoreFileName: string;
  private seen = 0;

  constructor(
    private readonly root: string,
    private readonly resolved: string,
    private readonly rules: IgnoreRules,
    private readonly options: PackOptions,
  ) {
    this.manifest = emptyManifest(resolved);
    this.maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
    this.ignoreFileName = options.ignoreFileName ?? DEFAULT_IGNORE_FILE;
  }

  async run(rootInfo: Stats): Promise<void> {
    this.stack.push({ rel: '', dev: rootInfo.dev, ino: rootInfo.ino, excludedBy: undefined });
    while (this.stack.length > 0) {
      throwIfCancelled(this.options.signal);
      const dir = this.stack.pop()!;
      const names = await this.list(dir);
      if (!names) continue;
      for (let at = 0; at < names.length; at += STAT_BATCH) {
        throwIfCancelled(this.options.signal);
        // Stat a batch together: one at a time, a scan is bound by round trips to the threadpool; all at once, a
        // folder of 200,000 files holds 200,000 Stats.
        const batch = await Promise.all(
          names.slice(at, at + STAT_BATCH).map((name) => look(this.root, dir.rel ? `${dir.rel}/${name}` : name)),
        );
        for (const item of batch) this.add(item, dir);
      }
    }
  }

  /** The names in a folder, sorted; undefined (and noted) when it cannot be read. */
  private async list(dir: Folder): Promise<string[] | undefined> {
    const dirAbs = dir.rel ? path.join(this.root, dir.rel) : this.root;
    let names: string[];
    try {
      names = await readdir(dirAbs);
      // The folder read must be the one the parent listed, not a link swapped in since.
      await checkSame(dirAbs, dir, dir.rel);
    } catch (error) {
      if (error instanceof PackError) throw error;
      this.manifest.unreadable.push({ path: dir.rel ? `${dir.rel}/` : './', reason: reasonOf(error) });
      return undefined;
    }
    this.seen += names.length;
    if (this.seen > this.maxFiles) throw tooManyFiles(this.resolved, this.maxFiles, this.ignoreFileName);
    return names.sort();
  }

  private add(item: Looked, dir: Folder): void {
    const { rel } = item;
    if ('error' in item) {
      this.manifest.unreadable.push({ path: rel, reason: item.error });
      this.leaveOut(rel, `cannot be read: ${item.error}`);
      return;
    }
    if (item.info.isDirectory() && item.link === undefined) return this.addFolder(item, dir);
    const match = this.rules.match(rel);
    if (match?.excluded) {
      // Inside a folder already counted as left out, a file is not counted again.
      if (dir.excludedBy === undefined) this.exclude(rel, match, false);
      return;
    }
    this.addFile(item);
  }

  private addFolder({ rel, info }: Found, dir: Folder): void {
    const match = this.rules.match(`${rel}/`);
    if (match?.excluded && dir.excludedBy === undefined) this.exclude(rel, match, true);
    // Read a left-out folder only when a later negation could bring something in it back.
    if (this.rules.excludesAllUnder(`${rel}/`, match)) return;
    this.stack.push({ rel, dev: info.dev, ino: info.ino, excludedBy: match?.excluded ? match.rule : undefined });
  }

  /** A file, or a link, that no rule leaves out: packed, or noted as what cannot be. */
  private addFile(item: Found): void {
    const { rel, info, link } = item;
    const { manifest } = this;
    if (link !== undefined && 'broken' in item) {
      manifest.skippedLinks.push({ path: rel, target: link, reason: 'broken' });
      this.leaveOut(rel, `a symbolic link to ${link}, which does not exist`);
    } else if (link !== undefined && info.isDirectory()) {
      manifest.skippedLinks.push({ path: rel, target: link, reason: 'folder' });
      this.leaveOut(rel, `a symbolic link to the folder ${link}`);
    } else if (!info.isFile()) {
      const reason = `${describeKind(info)}, not a regular file; remove it or leave it out`;
      manifest.unreadable.push({ path: rel, reason });
      this.leaveOut(rel, reason);
    } else if (item.denied) {
      manifest.unreadable.push({ path: rel, reason: item.denied });
      this.leaveOut(rel, `cannot be read: ${item.denied}`);
    } else {
      if (link !== undefined && item.outside) manifest.linkedFromOutside.push({ path: rel, target: link });
      const source: Source = {
        path: rel,
        size: info.size,
        mtimeMs: info.mtimeMs,
        mode: info.mode,
        dev: info.dev,
        ino: info.ino,
      };
      if (link !== undefined) source.link = true;
      this.sources.push(source);
    }
  }

  /** A dependency file at the root that will not be in the zip, and why: never left out silently. */
  private leaveOut(rel: string, reason: string): void {
    if (isDependencyFileName(rel)) this.manifest.leftOutDependencyFiles.push({ name: rel, reason });
  }

  private exclude(rel: string, match: Match, folder: boolean): void {
    const { manifest } = this;
    manifest.excluded++;
    if (match.rule.startsWith(DEFAULT_SOURCE)) manifest.excludedByDefault++;
    if (folder) manifest.excludedFolders.push({ path: rel, rule: match.rule });
    this.leaveOut(rel, `left out by the rule \`${match.rule}\``);
  }
}

/**
 * What one entry is. A link is told by lstat and never followed to a folder; a link to a file is described by its
 * target (UbiOps' CLI packs the target's content, wherever it lies).
 */
async function look(root: string, rel: string): Promise<Looked> {
  const abs = path.join(root, rel);
  try {
    // lstat rather than the dirent's type: some file systems do not fill it in.
    const own = await lstat(abs);
    if (!own.isSymbolicLink()) {
      // Readable by permission bits is all a scan can tell without opening every file; the pack checks for real.
      return { rel, info: own, denied: own.isFile() ? await readDenied(abs, own) : undefined };
    }
    const link = await readlink(abs);
    let info: Stats;
    try {
      info = await stat(abs);
    } catch {
      return { rel, info: own, link, broken: true };
    }
    if (!info.isFile()) return { rel, info, link };
    const real = await realpath(abs);
    const relative = path.relative(root, real);
    const outside =
      relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
    return { rel, info, link, outside, denied: await readDenied(real, info) };
  } catch (error) {
    return { rel, error: reasonOf(error) };
  }
}

/** Who this process is, for reading permission bits as access(2) would, read once. */
const identity = ((): { uid: number; groups: Set<number> } | undefined => {
  if (typeof process.getuid !== 'function' || typeof process.getgid !== 'function') return undefined;
  const groups = new Set<number>([
    process.getgid(),
    ...(typeof process.getgroups === 'function' ? process.getgroups() : []),
  ]);
  return { uid: process.getuid(), groups };
})();

/**
 * Why a file cannot be read, or undefined. The permission bits the scan already has answer as access(2) would for
 * the owner, group and others classes, without a system call per file (half of a scan's time on 5,000 files);
 * only where the bits do not settle it (no POSIX identity, ACLs the bits cannot show) is access(2) asked.
 */
async function readDenied(abs: string, info: Stats): Promise<string | undefined> {
  if (identity) {
    if (identity.uid === 0) return undefined;
    const bits = info.uid === identity.uid ? 0o400 : identity.groups.has(info.gid) ? 0o040 : 0o004;
    if ((info.mode & bits) !== 0) return undefined;
    return reasonOf(Object.assign(new Error('permission denied'), { code: 'EACCES' }));
  }
  return access(abs, constants.R_OK).then(() => undefined, reasonOf);
}

/** Fails with `changed` unless `abs` is still, without following a link, the folder or file the scan saw. */
async function checkSame(abs: string, seen: { dev: number; ino: number }, rel: string): Promise<void> {
  const now = await lstat(abs);
  if (now.isSymbolicLink() || now.dev !== seen.dev || now.ino !== seen.ino) {
    throw new PackError(
      'changed',
      `${rel || 'The folder'} was replaced while it was being read. Pack again once nothing is changing the folder.`,
    );
  }
}

function tooManyFiles(folder: string, maxFiles: number, ignoreFileName: string): PackError {
  return new PackError(
    'too-many-files',
    `${folder} holds more than ${maxFiles.toLocaleString('en-US')} files and folders (not counting folders left out whole), more than an ` +
      `environment needs. Leave data and build output out with ${ignoreFileName}, or choose the folder that holds just the environment's files.`,
  );
}
