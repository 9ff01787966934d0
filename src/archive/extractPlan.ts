import {
  DEFAULT_MAX_RATIO,
  DEFAULT_MAX_TOTAL_BYTES,
  ExtractError,
  type ExtractOptions,
  type RawEntry,
} from './extractTypes';

// What the extractor checks before it writes anything: every entry's name and kind, and the sizes it declares.

/** Below this, a high ratio is harmless (a file of blank lines); the ratio guard is for what fills a disk. */
const RATIO_FLOOR = 16 << 20;

export interface Planned {
  entry: RawEntry;
  /** Where it goes under the destination, posix, checked. */
  relative: string;
}

/**
 * The entries to extract and where each goes, checked: the whole zip is refused if any entry could land outside the
 * destination, is a link, is encrypted or compressed in a way we cannot read, or would replace another.
 */
export function planEntries(entries: RawEntry[], options: ExtractOptions): Planned[] {
  const planned = checkEntries(entries);
  const result = options.stripTopFolder ? stripTopFolder(planned) : planned;
  refuseDuplicates(result);
  return result;
}

function checkEntries(entries: RawEntry[]): Planned[] {
  const unsafe: string[] = [];
  const unsupported: string[] = [];
  const planned: Planned[] = [];
  for (const entry of entries) {
    const checked = checkName(entry.path);
    if ('reason' in checked) unsafe.push(`\`${printable(entry.path)}\` ${checked.reason}`);
    else if ((entry.mode & 0o170000) === 0o120000) unsafe.push(`\`${printable(entry.path)}\` is a symbolic link`);
    else if (entry.flags & 1) unsupported.push(`\`${entry.path}\` is encrypted`);
    else if (!entry.isDirectory && entry.method !== 0 && entry.method !== 8)
      unsupported.push(`\`${entry.path}\` uses compression method ${entry.method}`);
    else if (checked.relative !== '') planned.push({ entry, relative: checked.relative });
  }
  if (unsafe.length > 0) {
    throw new ExtractError(
      'unsafe-entry',
      `Refusing this zip: ${summarize(unsafe)}. Such entries could write outside the chosen folder; nothing was extracted.`,
    );
  }
  if (unsupported.length > 0) {
    throw new ExtractError(
      'unsupported',
      `Cannot extract this zip: ${summarize(unsupported)}. Only stored and deflated, unencrypted entries are supported.`,
    );
  }
  return planned;
}

/** Drops the single top folder every entry sits under, if there is one. */
function stripTopFolder(planned: Planned[]): Planned[] {
  // Finder's resource forks sit beside the top folder; they are not part of the package.
  const relevant = planned.filter(({ relative }) => relative !== '__MACOSX' && !relative.startsWith('__MACOSX/'));
  const tops = new Set(relevant.map(({ relative }) => relative.split('/')[0]));
  const [top] = tops;
  if (
    tops.size === 1 &&
    relevant.every(({ relative, entry }) => relative.startsWith(`${top}/`) || (relative === top && entry.isDirectory))
  ) {
    return relevant
      .filter(({ relative }) => relative !== top)
      .map((p) => ({ ...p, relative: p.relative.slice(top.length + 1) }));
  }
  return planned;
}

function refuseDuplicates(planned: Planned[]): void {
  const seen = new Set<string>();
  for (const { relative, entry } of planned) {
    // Where the file system ignores case, `A.txt` and `a.txt` are one file.
    const key = process.platform === 'win32' || process.platform === 'darwin' ? relative.toLowerCase() : relative;
    if (seen.has(key) && !entry.isDirectory) {
      throw new ExtractError(
        'unsafe-entry',
        `Refusing this zip: it holds \`${relative}\` more than once, so one would silently replace the other.`,
      );
    }
    seen.add(key);
  }
}

/** Characters that show text other than what is stored: bidirectional overrides, embeddings, isolates and marks. */
const SPOOFING = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
/** Names Windows keeps for devices, with any extension (`con.txt` is the console too). */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])(\.|$)/i;

/**
 * The entry's path under the destination, or why it may not have one. Refused on every system, since what is
 * extracted here is often opened, shared or synced elsewhere: names Windows cannot hold (device names such as `CON`
 * or `aux.py`, a trailing dot or space, `<>:"|?*` and control characters) and names with characters that make them
 * read as something else (right-to-left overrides and other bidirectional controls: `txt.exe` shown as `exe.txt`).
 */
function checkName(name: string): { relative: string } | { reason: string } {
  if (name.includes('\0')) return { reason: 'has a NUL character in its name' };
  if (/^[A-Za-z]:/.test(name)) return { reason: 'starts with a drive letter' };
  if (/^[\\/]/.test(name)) return { reason: 'is an absolute path' };
  // Windows tools have written `\` as the separator; treating it as one also catches `..\..\x`.
  const segments = name.split(/[\\/]/);
  if (segments.includes('..')) return { reason: 'climbs out of the folder with `..`' };
  if (SPOOFING.test(name)) return { reason: 'has an invisible bidirectional-text character that disguises its name' };
  const kept = segments.filter((s) => s !== '' && s !== '.');
  for (const segment of kept) {
    // eslint-disable-next-line no-control-regex -- control characters are what this refuses
    if (/[\u0001-\u001f:<>"|?*]/.test(segment))
      return { reason: 'has a character Windows cannot hold in a name (`<>:"|?*` or a control character)' };
    if (WINDOWS_DEVICE.test(segment))
      return { reason: `uses \`${segment.split('.')[0]}\`, a device name Windows reserves` };
    if (/[. ]$/.test(segment)) return { reason: 'ends in a dot or a space, which Windows drops' };
  }
  return { relative: kept.join('/') };
}

/** Refuses, before anything is inflated, a zip that declares more than the limits or is built as a zip bomb. */
export function checkLimits(plan: Planned[], dataEnd: number, options: ExtractOptions): void {
  const maxTotal = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  const maxRatio = options.maxRatio ?? DEFAULT_MAX_RATIO;
  const declared = plan.reduce((sum, { entry }) => sum + entry.size, 0);
  if (declared > maxTotal) {
    throw new ExtractError(
      'too-large',
      `This zip would unpack to ${declared} bytes, over the ${maxTotal}-byte limit; nothing was extracted.`,
    );
  }
  for (const { entry } of plan) {
    if (entry.size > RATIO_FLOOR && entry.size > entry.compressedSize * maxRatio) {
      throw new ExtractError(
        'too-large',
        `\`${entry.path}\` would inflate ${Math.round(entry.size / Math.max(entry.compressedSize, 1))} times (${entry.size} bytes), which is how zip bombs look; nothing was extracted.`,
      );
    }
  }
  // Many entries each under the floor add up (60 of 16 MiB from 961 KiB): the whole zip is held to the ratio too.
  if (declared > RATIO_FLOOR && declared > Math.max(dataEnd, 1) * maxRatio) {
    throw new ExtractError(
      'too-large',
      `This zip would unpack to ${declared} bytes from ${dataEnd}, ${Math.round(declared / Math.max(dataEnd, 1))} times its size, which is how zip bombs look; nothing was extracted.`,
    );
  }
  // Entries sharing compressed data are the other zip bomb (one stream inflated many times over).
  const sorted = plan.map(({ entry }) => entry).sort((a, b) => a.offset - b.offset);
  sorted.forEach((entry, i) => {
    const end = entry.offset + 30 + entry.nameBytes + entry.compressedSize;
    const next = sorted[i + 1]?.offset ?? dataEnd;
    if (end > next)
      throw new ExtractError(
        'corrupt',
        `\`${entry.path}\` overlaps another entry's data; this zip is damaged or built to be a zip bomb.`,
      );
  });
}

/** The name with its invisible and direction-changing characters written out (`\u202E`), so a message shows it as stored. */
function printable(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this writes out
  return name.replace(/[\u0000-\u001f\u007f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/g, (c) =>
    c === '\0' ? '\\0' : `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}

function summarize(items: string[]): string {
  return items.slice(0, 5).join('; ') + (items.length > 5 ? `; and ${items.length - 5} more` : '');
}
