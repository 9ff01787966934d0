import * as vscode from 'vscode';

/**
 * A tooltip listing every field of an API object. Values come from the server and are shown as code spans with
 * Markdown escaped; the MarkdownString stays untrusted, so nothing in them can run a command.
 */
export function markdownTable(title: string, fields: Record<string, unknown>): vscode.MarkdownString {
  const markdown = new vscode.MarkdownString(undefined, false);
  markdown.isTrusted = false;
  markdown.supportHtml = false;
  markdown.appendMarkdown(`${title}\n\n`);
  for (const [key, value] of Object.entries(fields)) {
    const text = value === null || value === undefined ? '—' : typeof value === 'object' ? JSON.stringify(value) : String(value);
    markdown.appendMarkdown(`- ${escapeMarkdown(key)}: `);
    markdown.appendMarkdown(`\`${text.replace(/`/g, "'").replace(/\s+/g, ' ').slice(0, 500)}\`\n`);
  }
  return markdown;
}

export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>|]/g, '\\$&');
}
