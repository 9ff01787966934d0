import * as vscode from 'vscode';

/**
 * The entry point only wires: the client, the providers and the commands are built here and their disposables
 * pushed onto the context. The extension's surface (views, sign-in, commands) arrives with the next issues.
 */
export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push();
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
