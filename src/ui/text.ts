/**
 * Untrusted text (anything a server sent, folder and file names) on the surfaces VS Code interprets. No `vscode`
 * import: the renderers and the helpers are tested in plain Node.
 *
 * - Notifications turn `[label](command:…)`, `(https:…)` and `(file:…)` into links that run or open what they
 *   name; nothing escapes that syntax, so `inert` puts a zero-width space between `]` and `(`.
 * - QuickPick labels, descriptions and details and status-bar text draw `$(name)` as an icon; a zero-width space
 *   between `$` and `(` leaves the text as it reads.
 * - Tooltips are untrusted Markdown without HTML: values go into code spans and code blocks (see below).
 */

const ZERO_WIDTH_SPACE = '\u200b';

/** The text as the user should read it, inert in notifications, dialogs, QuickPicks and the status bar. */
export function inert(text: string): string {
  return text.replace(/\]\(/g, `]${ZERO_WIDTH_SPACE}(`).replace(/\$\(/g, `$${ZERO_WIDTH_SPACE}(`);
}

/** The first line of a (server) text, at most `max` characters, inert. */
export function inertFirstLine(text: string, max = 200): string {
  const line = text.split(/\r?\n/).find((candidate) => candidate.trim() !== '') ?? '';
  return inert(line.length > max ? `${line.slice(0, max)}…` : line);
}

/** Markdown's punctuation escaped, for text outside code spans. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>|$~]/g, '\\$&');
}

/** A one-line code span that no text can leave: backticks become quotes, whitespace one space. */
export function codeSpan(text: string, max = 500): string {
  return `\`${text.replace(/`/g, "'").replace(/\s+/g, ' ').slice(0, max)}\``;
}

/**
 * A fenced code block that no text can close early: the fence is longer than any run of backticks in the text,
 * so not even an indented fence inside it ends the block.
 */
export function codeBlock(text: string, language = 'text'): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `\n${fence}${language}\n${text}\n${fence}\n`;
}
