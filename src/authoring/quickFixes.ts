import * as vscode from 'vscode';
import { DIAGNOSTIC_SOURCE } from './diagnostics';

/**
 * Quick fixes where the fix is certain: an environment-variable name in lower case (upper-cased), a version
 * without its operator (`numpy 1.2` → `numpy ==1.2`), and a single `=` (`numpy=1.2` → `numpy==1.2`).
 */
export class DependencyFileQuickFixes implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(
    document: vscode.TextDocument,
    _range: vscode.Range,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== DIAGNOSTIC_SOURCE) {
        continue;
      }
      const action = this.fix(document, diagnostic);
      if (action) {
        action.diagnostics = [diagnostic];
        action.isPreferred = true;
        actions.push(action);
      }
    }
    return actions;
  }

  private fix(document: vscode.TextDocument, diagnostic: vscode.Diagnostic): vscode.CodeAction | undefined {
    const text = document.getText(diagnostic.range);
    switch (diagnostic.code) {
      case 'env-var-name': {
        const match = /^(['"]?)([^=]*)=/.exec(text);
        const name = match?.[2] ?? '';
        const fixed = name.toUpperCase().replace(/[-.\s]/g, '_');
        if (!match || !/^[A-Z_][A-Z0-9_]*$/.test(fixed) || fixed === name) {
          return undefined;
        }
        const start = diagnostic.range.start.translate(0, match[1].length);
        return this.replace(
          document,
          `Change the name to ${fixed}`,
          new vscode.Range(start, start.translate(0, name.length)),
          fixed,
        );
      }
      case 'missing-operator':
        return this.replace(
          document,
          `Pin the version: ==${text}`,
          new vscode.Range(diagnostic.range.start, diagnostic.range.start),
          '==',
        );
      case 'invalid-operator':
        return text === '=' ? this.replace(document, 'Use == to pin the version', diagnostic.range, '==') : undefined;
      default:
        return undefined;
    }
  }

  private replace(document: vscode.TextDocument, title: string, range: vscode.Range, text: string): vscode.CodeAction {
    const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
    action.edit = new vscode.WorkspaceEdit();
    action.edit.replace(document.uri, range, text);
    return action;
  }
}
