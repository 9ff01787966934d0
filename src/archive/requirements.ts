import { MAX_CHECKED_CHARS, notCheckedProblem, type FileProblem } from './problems';

// Checks a pip requirements file the way pip reads it (pip/_internal/req/req_file.py): lines are joined at a trailing
// `\`, comments start at a `#` that begins the line or follows whitespace, the words before the first one starting
// with `-` are the requirement and the rest are options. Requirements are PEP 508 (as `packaging` parses them),
// a URL or a local path. Problems pip fails on are errors; what pip accepts but silently ignores is a warning.

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const NAME_RULE = 'use letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit';
const VERSION_OPERATORS = ['~=', '==', '!=', '<=', '>=', '<', '>', '==='];
const MARKER_VARIABLE =
  /^(?:python_version|python_full_version|os[._]name|sys[._]platform|platform_(?:release|system)|platform[._](?:version|machine|python_implementation)|python_implementation|implementation_(?:name|version)|extras?|dependency_groups)$/;
const MARKER_VARIABLES_HINT = 'python_version, sys_platform, platform_machine, os_name, implementation_name or extra';
/** The schemes that make pip treat a requirement as a URL (`pip._internal.utils.urls.is_url` and its VCS backends). */
const URL_SCHEME = /^(?:https?|file|ftp|git|svn|(?:git|hg|svn|bzr)\+[a-z-]+)$/i;
const ARCHIVE = /\.(?:whl|zip|tar|tar\.gz|tgz|tar\.bz2|tbz|tar\.xz|txz|tlz|tar\.lz|tar\.lzma)$/i;

// PEP 440 versions, per operator, as `packaging.specifiers.Specifier` accepts them.
const RELEASE = String.raw`v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*`;
const SUFFIXES = String.raw`(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?(?:[-_.]?dev[-_.]?[0-9]*)?`;
const LOCAL = String.raw`(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?`;
const ORDERED_VERSION = new RegExp(`^${RELEASE}${SUFFIXES}$`, 'i');
const EQUALITY_VERSION = new RegExp(`^${RELEASE}(?:\\.\\*|${SUFFIXES}${LOCAL})$`, 'i');
const COMPATIBLE_VERSION = new RegExp(`^v?(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)+${SUFFIXES}$`, 'i');

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

/** Stops checking a requirement at its first error: what follows is usually an echo of it. */
class LineError extends Error {
  constructor(
    readonly start: number,
    readonly end: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Deepest parenthesis nesting checked in a marker. pip's parser (`packaging`) descends two Python calls a level
 * under a recursion limit of 1000, so it cannot read 500 levels; ours stops there too rather than overflow its stack.
 */
export const MAX_MARKER_DEPTH = 500;

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
  let piece = line.pieces[0]!;
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
  if (args.length > 0) attempt(() => checkRequirement(content, args[0]!.start, args[args.length - 1]!.end));
  if (firstOption >= 0)
    attempt(() => checkOptions(splitOptions(content, words[firstOption]!.start), args.length > 0, report));
}

/** pip splits options like a POSIX shell (`shlex.split`): quotes group, a backslash escapes. */
function splitOptions(content: string, from: number): Token[] {
  const tokens: Token[] = [];
  let i = from;
  for (;;) {
    while (i < content.length && /\s/.test(content[i]!)) i++;
    if (i >= content.length) return tokens;
    const start = i;
    let text = '';
    while (i < content.length && !/\s/.test(content[i]!)) {
      const char = content[i]!;
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
    const token = tokens[k]!;
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
        const next = tokens[++k]!;
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
  const head = args.split(';')[0]!.trim();
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
  if (egg && !NAME.test(egg[1]!)) {
    const eggStart = start + egg.index + '#egg='.length;
    throw new LineError(
      eggStart,
      eggStart + egg[1]!.length,
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
  while (/\s/.test(text[pathEnd - 1]!)) pathEnd--;
  const extras = /\[[^\]]*\]$/.exec(text.slice(start, pathEnd));
  if (extras) {
    pathEnd -= extras[0].length;
    new Parser(text.slice(0, pathEnd + extras[0].length), pathEnd).extras();
  }
  checkWheelName(text.slice(start, pathEnd), start);
  if (semicolon >= 0) new Parser(text.slice(0, end), semicolon + 1).marker();
}

/** pip derives a wheel's name and version from its file name and refuses one it cannot split. */
function checkWheelName(pathOrUrl: string, start: number): void {
  const fileName = pathOrUrl.slice(Math.max(pathOrUrl.lastIndexOf('/'), pathOrUrl.lastIndexOf('\\')) + 1);
  if (!/\.whl$/i.test(fileName)) return;
  const parts = fileName.slice(0, -4).split('-').length;
  if (parts === 5 || parts === 6) return;
  const fileStart = start + pathOrUrl.length - fileName.length;
  throw new LineError(
    fileStart,
    fileStart + fileName.length,
    'invalid-wheel-name',
    `\`${fileName}\` is not a wheel file name; expected \`name-version(-build)-python-abi-platform.whl\``,
  );
}

/** A cursor over one requirement's text; `text` ends where the part being parsed ends. */
class Parser {
  constructor(
    private readonly text: string,
    public pos: number,
  ) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  get char(): string {
    return this.text[this.pos] ?? '';
  }

  skipSpace(): void {
    while (this.char === ' ' || this.char === '\t') this.pos++;
  }

  /** Consumes what a sticky pattern matches at the cursor. */
  take(pattern: RegExp): string {
    pattern.lastIndex = this.pos;
    const match = pattern.exec(this.text)?.[0] ?? '';
    this.pos += match.length;
    return match;
  }

  fail(start: number, end: number, code: string, message: string): never {
    throw new LineError(start, end, code, message);
  }

  /** The word at the cursor, as far as a separator; at least one character unless at the end. */
  word(): { start: number; end: number; text: string } {
    let end = this.pos;
    while (end < this.text.length && !/[\s,;()[\]]/.test(this.text[end]!)) end++;
    if (end === this.pos && !this.done) end++;
    return { start: this.pos, end, text: this.text.slice(this.pos, end) };
  }

  unexpected(code: string, expected: string): never {
    const word = this.word();
    if (word.text) this.fail(word.start, word.end, code, `${expected}, not \`${word.text}\``);
    // Nothing left to point at: point at the last character, which is where something is missing.
    let end = this.pos;
    while (end > 0 && /\s/.test(this.text[end - 1]!)) end--;
    this.fail(Math.max(end - 1, 0), end, code, expected);
  }

  requirement(): void {
    this.skipSpace();
    const nameStart = this.pos;
    const name = this.take(/[A-Za-z0-9._-]+/y);
    if (!name) this.unexpected('invalid-name', 'Expected a package name');
    if (!NAME.test(name))
      this.fail(nameStart, this.pos, 'invalid-name', `\`${name}\` is not a valid package name: ${NAME_RULE}`);
    this.skipSpace();
    if (this.char === '[') this.extras();
    this.skipSpace();
    if (this.char === '@') {
      this.url();
      this.skipSpace();
      if (!this.done) this.unexpected('syntax', 'Expected `; marker` or the end of the requirement after the URL');
      return;
    }
    this.versions();
    this.skipSpace();
    if (!this.done) {
      this.unexpected('syntax', 'Expected `,` and another version, `; marker` or the end of the requirement');
    }
  }

  extras(): void {
    const open = this.pos++;
    this.skipSpace();
    if (this.char === ']') {
      this.pos++;
      return;
    }
    for (;;) {
      this.skipSpace();
      const start = this.pos;
      const extra = this.take(/[A-Za-z0-9._-]+/y);
      if (!extra) this.unexpected('syntax', 'Expected an extra name');
      if (!NAME.test(extra))
        this.fail(start, this.pos, 'invalid-name', `\`${extra}\` is not a valid extra name: ${NAME_RULE}`);
      this.skipSpace();
      const char = this.char;
      this.pos++;
      if (char === ']') return;
      if (char === ',') continue;
      if (!char) this.fail(open, open + 1, 'syntax', 'Expected `]` to close these extras');
      this.pos--;
      this.unexpected('syntax', 'Expected `,` or `]` in the extras');
    }
  }

  url(): void {
    const at = this.pos++;
    this.skipSpace();
    const start = this.pos;
    const url = this.take(/\S+/y);
    if (!url) this.fail(at, at + 1, 'missing-url', 'Expected a URL after `@`');
    if (!/^[A-Za-z][A-Za-z0-9+.-]+:/.test(url)) {
      this.fail(start, this.pos, 'invalid-url', `Expected a URL such as \`https://…\` after \`@\`, not \`${url}\``);
    }
    checkWheelName(url.replace(/[?#].*$/, ''), start);
  }

  /** PEP 508 `versionspec`, optionally in parentheses; a bare name has none. */
  versions(): void {
    const open = this.char === '(' ? this.pos++ : -1;
    let comma = -1;
    for (;;) {
      this.skipSpace();
      if (comma < 0 && (this.done || (open >= 0 && this.char === ')'))) break;
      const opStart = this.pos;
      const op = this.take(/[<>=!~]+/y);
      if (!op) {
        const word = this.word();
        if (/^v?[0-9]/.test(word.text)) {
          this.fail(
            word.start,
            word.end,
            'missing-operator',
            `Expected a version operator such as \`==\` before \`${word.text}\``,
          );
        }
        if (comma >= 0) this.unexpected('syntax', 'Expected another version specifier such as `<2.0` after `,`');
        this.unexpected('syntax', 'Expected a version specifier such as `==1.0`, `[extras]`, `@ URL` or `; marker`');
      }
      if (!VERSION_OPERATORS.includes(op)) {
        this.fail(
          opStart,
          this.pos,
          'invalid-operator',
          op === '='
            ? '`=` is not a version operator; use `==`'
            : `Unknown version operator \`${op}\`; expected one of ${VERSION_OPERATORS.join(', ')}`,
        );
      }
      this.skipSpace();
      const versionStart = this.pos;
      // `===` compares strings, so only what ends a specifier ends its version.
      const version = this.take(op === '===' ? /[^\s;)]+/y : /[^\s,;()<>=~]+/y);
      if (!version) this.fail(opStart, opStart + op.length, 'missing-version', `Expected a version after \`${op}\``);
      const problem = versionProblem(op, version);
      if (problem) this.fail(versionStart, this.pos, 'invalid-version', problem);
      this.skipSpace();
      if (this.char !== ',') break;
      comma = this.pos++;
    }
    if (open >= 0) {
      if (this.char !== ')') this.fail(open, open + 1, 'syntax', 'Expected `)` to close this parenthesis');
      this.pos++;
    }
  }

  /** PEP 508 environment marker; pip drops an empty one. */
  marker(): void {
    this.skipSpace();
    if (this.done) return;
    this.markerOr();
    this.skipSpace();
    if (!this.done) this.unexpected('invalid-marker', 'Expected `and`, `or` or the end of the marker');
  }

  private markerOr(depth = 0): void {
    this.markerAnd(depth);
    while (this.keyword('or')) this.markerAnd(depth);
  }

  private markerAnd(depth: number): void {
    this.markerAtom(depth);
    while (this.keyword('and')) this.markerAtom(depth);
  }

  private markerAtom(depth: number): void {
    this.skipSpace();
    if (this.char === '(') {
      const open = this.pos++;
      if (depth >= MAX_MARKER_DEPTH) {
        this.fail(
          open,
          open + 1,
          'marker-depth',
          `This marker nests parentheses more than ${MAX_MARKER_DEPTH} deep; pip cannot read it (RecursionError). Remove the extra parentheses`,
        );
      }
      this.markerOr(depth + 1);
      this.skipSpace();
      // Not `this.char`: TypeScript keeps it narrowed to '(' across the calls above.
      if (this.text[this.pos] !== ')')
        this.fail(open, open + 1, 'invalid-marker', 'Expected `)` to close this parenthesis');
      this.pos++;
      return;
    }
    this.markerValue();
    this.skipSpace();
    const opStart = this.pos;
    if (this.keyword('not')) {
      if (!this.keyword('in')) this.fail(opStart, this.pos, 'invalid-marker', 'Expected `in` after `not`');
    } else if (!this.keyword('in')) {
      const op = this.take(/[<>=!~]+/y);
      if (!VERSION_OPERATORS.includes(op)) {
        if (!op) this.unexpected('invalid-marker', 'Expected a comparison such as `==`, `<`, `in` or `not in`');
        this.fail(
          opStart,
          this.pos,
          'invalid-operator',
          `Unknown marker operator \`${op}\`; expected one of ${VERSION_OPERATORS.join(', ')}, in, not in`,
        );
      }
    }
    this.markerValue();
  }

  private markerValue(): void {
    this.skipSpace();
    const start = this.pos;
    const quote = this.char;
    if (quote === '"' || quote === "'") {
      const close = this.text.indexOf(quote, start + 1);
      if (close < 0)
        this.fail(start, this.text.length, 'invalid-marker', `Unterminated string: add the closing ${quote}`);
      this.pos = close + 1;
      return;
    }
    const word = this.take(/[A-Za-z0-9_.]+/y);
    if (!word)
      this.unexpected('invalid-marker', 'Expected a marker variable such as `python_version` or a quoted string');
    if (/^[0-9]/.test(word))
      this.fail(start, this.pos, 'invalid-marker', `Marker values are quoted strings: write "${word}"`);
    if (!MARKER_VARIABLE.test(word)) {
      this.fail(
        start,
        this.pos,
        'invalid-marker',
        `Unknown marker variable \`${word}\`; expected one such as ${MARKER_VARIABLES_HINT}`,
      );
    }
  }

  /** Consumes a whole word such as `and`, after optional space. */
  private keyword(word: string): boolean {
    const saved = this.pos;
    this.skipSpace();
    if (this.text.startsWith(word, this.pos) && !/[A-Za-z0-9_.]/.test(this.text[this.pos + word.length] ?? '')) {
      this.pos += word.length;
      return true;
    }
    this.pos = saved;
    return false;
  }
}

function versionProblem(op: string, version: string): string | undefined {
  if (op === '===') return undefined;
  const equality = op === '==' || op === '!=';
  const pattern = equality ? EQUALITY_VERSION : op === '~=' ? COMPATIBLE_VERSION : ORDERED_VERSION;
  if (pattern.test(version)) return undefined;
  if (op === '~=' && ORDERED_VERSION.test(version)) return '`~=` needs at least two release numbers, e.g. `~=1.4`';
  if (!equality && EQUALITY_VERSION.test(version)) {
    return version.endsWith('.*')
      ? '`.*` wildcards only work with `==` and `!=`'
      : 'Local versions (`+…`) only work with `==`, `!=` and `===`';
  }
  return `\`${version}\` is not a valid version; expected a PEP 440 version such as \`1.2\`, \`1.2.3rc1\` or \`2.0.post1\``;
}
