import type * as vscodeApi from 'vscode';

/**
 * vscode.l10n for the UI modules that are also tested in plain Node (no `vscode` import there): in the extension
 * host this is VS Code's own `vscode.l10n.t`, which finds the translation of the user's language; in plain Node
 * the English text with its `{0}` placeholders filled in, as `vscode.l10n.t` does when there is no translation.
 * Modules that import `vscode` call `vscode.l10n.t` directly.
 */
function vscodeL10n(): typeof vscodeApi.l10n | undefined {
  try {
    // Resolved by VS Code's extension host only; plain Node has no `vscode` module.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('vscode') as typeof vscodeApi).l10n;
  } catch {
    return undefined;
  }
}

const inHost = vscodeL10n();

/** `{0}`, `{1}`, … replaced by the arguments, as vscode.l10n.t does. */
export function fillPlaceholders(message: string, args: readonly (string | number | boolean)[]): string {
  return message.replace(/\{(\d+)\}/g, (placeholder, index: string) =>
    Number(index) < args.length ? String(args[Number(index)]) : placeholder,
  );
}

export const l10n = {
  t(message: string, ...args: (string | number | boolean)[]): string {
    return inHost ? inHost.t(message, ...args) : fillPlaceholders(message, args);
  },
};
