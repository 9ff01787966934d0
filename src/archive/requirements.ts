import { checkWheelName, LineError, NAME, NAME_RULE, Parser } from './pep508';
import { MAX_CHECKED_CHARS, notCheckedProblem, type FileProblem } from './problems';

export { MAX_MARKER_DEPTH } from './pep508';

// Checks a pip requirements file the way pip reads it (pip/_internal/req/req_file.py): lines are joined at a trailing
// `\`, comments start at a `#` that begins the line or follows whitespace, the words before the first one starting
// with `-` are the requirement and the rest are options. Requirements are PEP 508 (as `packaging` parses them),
// a URL or a local path. Problems pip fails on are errors; what pip accepts but silently ignores is a warning.

/** The schemes that make pip treat a requirement as a URL (`pip._internal.utils.urls.is_url` and its VCS backends). */
const URL_SCHEME = /^(?:https?|file|ftp|git|svn|(?:git|hg|svn|bzr)\+[a-z-]+)$/i;
const ARCHIVE = /\.(?:whl|zip|tar|tar\.gz|tgz|tar\.bz2|tbz|tar\.xz|txz|tlz|tar\.lz|tar\.lzma)$/i;

const HASH_LENGTHS = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);

type Check = (value: string) => [code: string, message: string] | undefined;

interface OptionSpec {
  long: string;
  short?: string;
  /** What the option's value is, for "needs …" messages; absent for flags. */
  value?: string;
  /** `file` options configure pip for the whole file; `requirement` options qualify the requirement on their line. */
  scope: 'file' | 'requirement';
  check?: Check;
}

const OPTIONS: OptionSpec[] = [
  { short: '-r', long: '--requirement', value: 'a file name', scope: 'file' },
  { short: '-c', long: '--constraint', value: 'a file name', scope: 'file' },
  { short: '-e', long: '--editable', value: 'a local path or a VCS URL', scope: 'file', check: checkEditable },
  { short: '-i', long: '--index-url', value: 'a URL', scope: 'file' },
  { long: '--extra-index-url', value: 'a URL', scope: 'file' },
  { long: '--no-index', scope: 'file' },
  { short: '-f', long: '--find-links', value: 'a URL or a path', scope: 'file' },
  { long: '--pre', scope: 'file' },
  { long: '--trusted-host', value: 'a host name', scope: 'file' },
  { long: '--prefer-binary', scope: 'file' },
  { long: '--only-binary', value: 'package names, `:all:` or `:none:`', scope: 'file' },
  { long: '--no-binary', value: 'package names, `:all:` or `:none:`', scope: 'file' },
  { long: '--require-hashes', scope: 'file' },
  { long: '--use-feature', value: 'a feature name', scope: 'file' },
  { long: '--hash', value: 'a hash such as `sha256:<hex digest>`', scope: 'requirement', check: checkHash },
  {
    long: '--config-settings',
    value: '`KEY=VALUE`',
    scope: 'requirement',
    check: (value) =>
      value.includes('=') ? undefined : ['option-value', 'Expected `KEY=VALUE` after `--config-settings`'],
  },
  { long: '--global-option', value: 'a setup.py option', scope: 'requirement' },
];

const ALLOWED_OPTIONS = [
  OPTIONS.filter((o) => o.scope === 'file')
    .map((o) => o.short ?? o.long)
    .join(', '),
  `and after a requirement ${OPTIONS.filter((o) => o.scope === 'requirement')
    .map((o) => o.long)
    .join(', ')}`,
].join(', ');

type Report = (start: number, end: number, code: string, message: string, severity?: FileProblem['severity']) => void;

/** Checks a pip requirements file; positions point into `text`. */
export function validateRequirements(text: string, file = 'requirements.txt'): FileProblem[] {
  if (text.length > MAX_CHECKED_CHARS)
    return [notCheckedProblem(file, `it is larger than ${MAX_CHECKED_CHARS / 1024 / 1024} MiB`)];
  const problems: FileProblem[] = [];
  for (const line of logicalLines(text)) {
    checkLine(line.text, (start, end, code, message, severity = 'error') => {
      const from = positionIn(line, start);
      // Map the last character, not the end offset: at a `\` join the end offset already belongs to the next line.
      const last = end > start ? positionIn(line, end - 1) : undefined;
      problems.push({
        file,
        line: from.line,
        column: from.column,
        endLine: last ? last.line : from.line,
        endColumn: last ? last.column + 1 : from.column,
        message,
        severity,
        code,
      });
    });
  }
  return problems;
}

interface LogicalLine {
  text: string;
  /** Where each physical line's piece starts in `text`, and where that piece sits in the file. */
  pieces: { at: number; line: number; column: number }[];
}

function logicalLines(text: string): LogicalLine[] {
  const result: LogicalLine[] = [];
  let pending: LogicalLine | undefined;
  text.split(/\r\n|\r|\n/).forEach((raw, index) => {
    const column = index === 0 && raw.startsWith('\uFEFF') ? 1 : 0;
    const physical = raw.slice(column);
    // pip never continues a comment line, and a comment line ends the continuation before it.
    if (/^\s*#/.test(physical)) {
      if (pending) result.push(pending);
      pending = undefined;
      return;
    }
    const line = pending ?? { text: '', pieces: [] };
    line.pieces.push({ at: line.text.length, line: index, column });
    if (physical.endsWith('\\')) {
      line.text += physical.slice(0, -1);
      pending = line;
    } else {
      line.text += physical;
      result.push(line);
      pending = undefined;
    }
  });
  if (pending) result.push(pending);
  return result;
}

function positionIn(line: LogicalLine, offset: number): { line: number; column: number } {
  let piece = line.pieces[0];
  for (const candidate of line.pieces) if (candidate.at <= offset) piece = candidate;
  return { line: piece.line, column: piece.column + offset - piece.at };
}

interface Token {
  /** The token without its shell quoting. */
  text: string;
  raw: string;
  start: number;
  end: number;
}

function checkLine(text: string, report: Report): void {
  const comment = /(^|\s)#/.exec(text);
  const content = comment ? text.slice(0, comment.index) : text;
  const words = [...content.matchAll(/\S+/g)].map((m) => ({ start: m.index, end: m.index + m[0].length, text: m[0] }));
  if (words.length === 0) return;
  const firstOption = words.findIndex((word) => word.text.startsWith('-'));
  const args = firstOption < 0 ? words : words.slice(0, firstOption);
  const attempt = (check: () => void) => {
    try {
      check();
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      report(error.start, error.end, error.code, error.message);
    }
  };
  if (args.length > 0) attempt(() => checkRequirement(content, args[0].start, args[args.length - 1].end));
  if (firstOption >= 0)
    attempt(() => checkOptions(splitOptions(content, words[firstOption].start), args.length > 0, report));
}

/** pip splits options like a POSIX shell (`shlex.split`): quotes group, a backslash escapes. */
function splitOptions(content: string, from: number): Token[] {
  const tokens: Token[] = [];
  let i = from;
  for (;;) {
    while (i < content.length && /\s/.test(content[i])) i++;
    if (i >= content.length) return tokens;
    const start = i;
    let text = '';
    while (i < content.length && !/\s/.test(content[i])) {
      const char = content[i];
      if (char === '"' || char === "'") {
        const close = content.indexOf(char, i + 1);
        if (close < 0) throw new LineError(i, content.length, 'syntax', `Unterminated ${char} quote`);
        text += content.slice(i + 1, close);
        i = close + 1;
      } else if (char === '\\' && i + 1 < content.length) {
        text += content[i + 1];
        i += 2;
      } else {
        text += char;
        i++;
      }
    }
    tokens.push({ text, raw: content.slice(start, i), start, end: i });
  }
}

/** Reads options as optparse does: `--name=value`, `--name value`, `-xvalue` or `-x value`. */
function checkOptions(tokens: Token[], hasRequirement: boolean, report: Report): void {
  const seen: { spec: OptionSpec; name: string; start: number; end: number }[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k];
    if (!token.text.startsWith('-')) {
      report(
        token.start,
        token.end,
        'unexpected-argument',
        `pip ignores \`${token.text}\` after an option; put each requirement on its own line`,
        'warning',
      );
      continue;
    }
    const long = token.text.startsWith('--');
    const equals = long ? token.text.indexOf('=') : -1;
    const name = long ? (equals < 0 ? token.text : token.text.slice(0, equals)) : token.text.slice(0, 2);
    let value = long ? (equals < 0 ? undefined : token.text.slice(equals + 1)) : token.text.slice(2) || undefined;
    const nameEnd = token.raw.startsWith(name) ? token.start + name.length : token.end;
    const spec = OPTIONS.find((option) => option.long === name || option.short === name);
    if (!spec) {
      report(
        token.start,
        nameEnd,
        'unknown-option',
        `Unknown option \`${name}\`; a requirements file accepts ${ALLOWED_OPTIONS}`,
      );
      // Like optparse, stop: whether the next word is this option's value cannot be known.
      return;
    }
    let valueStart = token.raw === token.text && value !== undefined ? token.end - value.length : token.start;
    let end = token.end;
    if (!spec.value) {
      if (value !== undefined) report(token.start, token.end, 'option-value', `Option \`${name}\` takes no value`);
    } else {
      if (value === undefined && k + 1 < tokens.length) {
        const next = tokens[++k];
        value = next.text;
        valueStart = next.start;
        end = next.end;
      }
      if (!value) {
        report(token.start, end, 'missing-value', `Option \`${name}\` needs ${spec.value}`);
        continue;
      }
      const problem = spec.check?.(value);
      if (problem) report(valueStart, end, ...problem);
    }
    seen.push({ spec, name, start: token.start, end });
  }

  const editable = !hasRequirement && seen.some((option) => option.spec.long === '--editable');
  for (const { spec, name, start, end } of seen) {
    if (hasRequirement && spec.scope === 'file') {
      report(
        start,
        end,
        'option-placement',
        `pip ignores \`${name}\` on a requirement's line; put it on a line of its own`,
        'warning',
      );
    } else if (!hasRequirement && spec.scope === 'requirement' && !(editable && spec.long === '--config-settings')) {
      report(
        start,
        end,
        'option-placement',
        `\`${name}\` must follow a requirement on the same line; pip ignores it here`,
        'warning',
      );
    }
  }
}

function checkEditable(value: string): ReturnType<Check> {
  // A one-letter scheme is a Windows drive (`C:\…`), i.e. a path.
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'file' || /^(?:git|hg|svn|bzr)(?:\+|$)/.test(scheme)) return undefined;
  return ['editable-url', '`-e` needs a local project path or a VCS URL starting with git+, hg+, svn+ or bzr+'];
}

function checkHash(value: string): ReturnType<Check> {
  const match = /^([^:]*):(.*)$/.exec(value);
  if (!match) return ['invalid-hash', 'Expected `--hash=<algorithm>:<hex digest>`, e.g. `--hash=sha256:…`'];
  const [, algorithm, digest] = match as unknown as [string, string, string];
  const length = HASH_LENGTHS.get(algorithm);
  if (!length) return ['invalid-hash', `Unsupported hash algorithm \`${algorithm}\`; use sha256, sha384 or sha512`];
  if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(digest))
    return ['invalid-hash', `A ${algorithm} digest is ${length} hexadecimal digits`];
  return undefined;
}

/** Tells URL, path and PEP 508 requirements apart as `pip._internal.req.constructors.parse_req_from_line` does. */
function checkRequirement(text: string, start: number, end: number): void {
  const args = text.slice(start, end);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(args)?.[1];
  if (scheme && URL_SCHEME.test(scheme)) return checkUrlRequirement(text, start, end);
  if (scheme && scheme.length > 1 && args.startsWith(`${scheme}://`)) {
    throw new LineError(
      start,
      start + scheme.length,
      'url-scheme',
      `Unsupported URL scheme \`${scheme}\`; use http, https, file or a VCS scheme such as git+https`,
    );
  }
  // `name @ url` is PEP 508 even though the URL looks like a path.
  const beforeAt = /^([^@;]*)@/.exec(args)?.[1];
  const named = beforeAt !== undefined && /^[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*$/.test(beforeAt);
  const head = args.split(';')[0].trim();
  if (!named && (/[\\/]/.test(head) || head.startsWith('.') || ARCHIVE.test(head.replace(/\[[^\]]*\]$/, '')))) {
    return checkPathRequirement(text, start, end);
  }
  // pip cuts the marker off at the first `;` before handing the rest to `packaging`.
  const semicolon = text.slice(0, end).indexOf(';', start);
  new Parser(text.slice(0, semicolon < 0 ? end : semicolon), start).requirement();
  if (semicolon >= 0) new Parser(text.slice(0, end), semicolon + 1).marker();
}

function checkUrlRequirement(text: string, start: number, end: number): void {
  const urlEnd = start + (/\s/.exec(text.slice(start, end))?.index ?? end - start);
  const url = text.slice(start, urlEnd);
  const egg = /[#&]egg=([^&]*)/.exec(url);
  if (egg && !NAME.test(egg[1])) {
    const eggStart = start + egg.index + '#egg='.length;
    throw new LineError(
      eggStart,
      eggStart + egg[1].length,
      'invalid-name',
      `\`#egg=\` needs a package name: ${NAME_RULE}`,
    );
  }
  checkWheelName(url.replace(/[?#].*$/, ''), start);
  const rest = new Parser(text.slice(0, end), urlEnd);
  rest.skipSpace();
  if (rest.done) return;
  if (rest.char !== ';') rest.unexpected('syntax', 'Expected `; marker` or the end of the line after the URL');
  rest.pos++;
  rest.marker();
}

function checkPathRequirement(text: string, start: number, end: number): void {
  const semicolon = text.slice(0, end).indexOf(';', start);
  let pathEnd = semicolon < 0 ? end : semicolon;
  while (/\s/.test(text[pathEnd - 1])) pathEnd--;
  const extras = /\[[^\]]*\]$/.exec(text.slice(start, pathEnd));
  if (extras) {
    pathEnd -= extras[0].length;
    new Parser(text.slice(0, pathEnd + extras[0].length), pathEnd).extras();
  }
  checkWheelName(text.slice(start, pathEnd), start);
  if (semicolon >= 0) new Parser(text.slice(0, end), semicolon + 1).marker();
}
