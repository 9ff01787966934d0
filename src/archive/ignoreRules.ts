import ignore, { type Ignore } from 'ignore';

// `.ubiops-ignore` as UbiOps' CLI (2.28, `ubiops environments deploy`) reads it: every file's path is tested
// against every rule, and the LAST rule that matches decides. Unlike git, an excluded folder does not hide its
// contents from later rules, so `data/` then `!data/keep.txt` keeps `data/keep.txt`, and `*` then `!*.txt` keeps
// `sub/deep/file.txt`. Matching is case-sensitive on every operating system.
//
// Each rule's own syntax is gitignore's (comments, blank lines, `\#`, `\!`, trailing spaces, `/` anchors, `**`,
// classes), and a rule that matches a folder matches everything under it. The `ignore` package implements exactly
// that for a single positive rule: asked about one path, it tests the path and each folder above it. So each rule
// gets an `ignore` instance of its own, holding the rule without its `!`; the whole set, used as git uses it, would
// stop at an excluded parent and never let a later negation re-include a file.

/** One line of an ignore file, or a built-in pattern; `source` says where it comes from (`.ubiops-ignore:3`). */
export interface RuleLine {
  pattern: string;
  source: string;
}

export interface Match {
  /** Whether the deciding rule leaves the path out (false: a negation keeps it). */
  excluded: boolean;
  /** `source: pattern`, as shown to the user. */
  rule: string;
  /** The deciding rule's position; later rules are the only ones that could change the outcome below a folder. */
  index: number;
}

interface Rule {
  line: RuleLine;
  negative: boolean;
  /** The rule without its `!`, as `ignore` reads it. */
  positive: string;
  /**
   * For a negation: the folder (ending in `/`) it is confined to, when its pattern is anchored and starts with
   * plain folder names (`!data/*.json` → `data/`); '' when it could match anywhere.
   */
  within: string;
  matcher?: Ignore;
}

/** `ignore` remembers every path it was asked about; a fresh matcher after this many questions keeps memory bounded. */
const REFRESH_EVERY = 4096;

export class IgnoreRules {
  private readonly rules: Rule[] = [];
  private asked = 0;
  constructor(lines: RuleLine[]) {
    for (const line of lines) {
      const text = line.pattern;
      // Comments and lines that are blank once git's trailing-space trimming is done match nothing.
      if (text.startsWith('#') || text.trim() === '' || text === '!') continue;
      const negative = text.startsWith('!');
      const body = negative ? text.slice(1) : text;
      // Without its `!`, a body starting with `#` or `!` would read as a comment or a negation: escape it.
      const positive = negative && (body.startsWith('#') || body.startsWith('!')) ? `\\${body}` : body;
      this.rules.push({ line, negative, positive, within: negative ? confinedTo(body) : '' });
    }
  }

  /**
   * The rule that decides `relative` (posix, relative to the folder's root; a folder ends in `/`), or undefined
   * when no rule matches it or a folder above it.
   */
  match(relative: string): Match | undefined {
    if (++this.asked % REFRESH_EVERY === 0) for (const rule of this.rules) rule.matcher = undefined;
    for (let index = this.rules.length - 1; index >= 0; index--) {
      const rule = this.rules[index];
      rule.matcher ??= ignore({ ignorecase: false }).add(rule.positive);
      if (rule.matcher.ignores(relative)) {
        return { excluded: !rule.negative, rule: `${rule.line.source}: ${rule.line.pattern}`, index };
      }
    }
    return undefined;
  }

  /**
   * Whether nothing under `folder` (ending in `/`) can be packed: `match`, the rule deciding the folder, leaves it
   * out, so it matches every file below too, and no later negation can match one of them. Such a folder need not
   * be read.
   */
  excludesAllUnder(folder: string, match: Match | undefined): boolean {
    if (!match?.excluded) return false;
    for (let index = match.index + 1; index < this.rules.length; index++) {
      const { negative, within } = this.rules[index];
      if (negative && (within.startsWith(folder) || folder.startsWith(within))) return false;
    }
    return true;
  }
}

/**
 * The folder an anchored pattern (a leading slash, or one inside) cannot match outside of: its leading segments
 * free of wildcards and escapes. '' for a pattern that could match at any depth.
 */
function confinedTo(pattern: string): string {
  const body = pattern.trimEnd().replace(/^\//, '').replace(/\/+$/, '');
  const anchored = pattern.startsWith('/') || body.includes('/');
  if (!anchored) return '';
  const segments = body.split('/');
  let within = '';
  for (const segment of segments.slice(0, -1)) {
    if (/[*?[\\]/.test(segment) || segment === '') break;
    within += `${segment}/`;
  }
  return within;
}

/** The lines of an ignore file, each with its `file:line` source; a leading BOM is dropped. */
export function ruleLines(text: string, fileName: string): RuleLine[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((pattern, line) => ({ pattern, source: `${fileName}:${line + 1}` }));
}
