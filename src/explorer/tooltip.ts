import * as vscode from 'vscode';
import { codeBlock, codeSpan, escapeMarkdown } from '../ui/text';

export { escapeMarkdown } from '../ui/text';

/** An untrusted Markdown tooltip: no command links, no HTML, no theme icons, whatever the server's text says. */
export function untrustedMarkdown(): vscode.MarkdownString {
  const markdown = new vscode.MarkdownString(undefined, false);
  markdown.isTrusted = false;
  markdown.supportHtml = false;
  return markdown;
}

/**
 * A tooltip listing every field of an API object. Values come from the server and are shown as code spans with
 * Markdown escaped; the MarkdownString stays untrusted, so nothing in them can run a command.
 */
export function markdownTable(title: string, fields: Record<string, unknown>): vscode.MarkdownString {
  const markdown = untrustedMarkdown();
  markdown.appendMarkdown(`${title}\n\n`);
  for (const [key, value] of Object.entries(fields)) {
    const text =
      value === null || value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value);
    markdown.appendMarkdown(`- ${escapeMarkdown(key)}: ${codeSpan(text)}\n`);
  }
  return markdown;
}

/** Server text as a code block it cannot leave (VS Code's `appendCodeblock` is closed by a fence in the text). */
export function appendServerText(markdown: vscode.MarkdownString, text: string): void {
  markdown.appendMarkdown(codeBlock(text));
}
