import * as vscode from 'vscode';
import { describeError } from '../connection/connectionManager';
import { logCommandFailure } from '../log';
import { inert } from '../ui/text';
import type { CommandArgs, CommandId } from './commandIds';
import { type ErrorAction, isCancellation, isTokenRefused, signInAction, UserError } from './userError';

/**
 * How every command runs (issue 15 §1). The handler's failures end here, never in VS Code's own "command failed"
 * message:
 * - a cancellation (see `isCancellation`) says nothing;
 * - anything else is written to the "UbiOps" log with its stack, and shown as ONE error message: a `UserError`'s
 *   own words and actions, or "UbiOps: <the error's message>"; with "Sign In" when the server refused the token,
 *   and "Show Log" when there is more in the log than in the message (any error but a `UserError` without cause).
 * The message is awaited, so a command resolves once its follow-up (a Retry, a Sign In) has run.
 */
export async function runCommand<T>(
  log: vscode.LogOutputChannel,
  id: string,
  body: () => T | Thenable<T>,
): Promise<T | undefined> {
  try {
    return await body();
  } catch (error) {
    await report(log, id, error);
    return undefined;
  }
}

async function report(log: vscode.LogOutputChannel, id: string, error: unknown): Promise<void> {
  if (isCancellation(error)) {
    return;
  }
  const expected = error instanceof UserError;
  const message = expected ? error.message : vscode.l10n.t('UbiOps: {0}', describeError(error));
  logCommandFailure(log, id, message, error, expected);
  const actions: ErrorAction[] = [...(expected ? error.actions : [])];
  if (isTokenRefused(error) && id !== 'ubiops.signIn') {
    actions.push(signInAction());
  }
  if (!expected || error.cause !== undefined) {
    actions.push({ label: vscode.l10n.t('Show Log'), run: () => log.show(true) });
  }
  const choice = await vscode.window.showErrorMessage(inert(message), ...actions.map((action) => action.label));
  const chosen = actions.find((action) => action.label === choice);
  if (chosen) {
    await runCommand(log, `${id} (${chosen.label})`, () => chosen.run());
  }
}

/** Registers one command: its handler runs through `runCommand`. */
export function registerCommand<K extends CommandId>(
  log: vscode.LogOutputChannel,
  id: K,
  handler: (...args: CommandArgs[K]) => unknown,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, (...args: unknown[]) =>
    runCommand(log, id, () => handler(...(args as CommandArgs[K]))),
  );
}

/** Runs one of the extension's commands with the arguments its handler takes. */
export function executeCommand<K extends CommandId>(id: K, ...args: CommandArgs[K]): Thenable<unknown> {
  return vscode.commands.executeCommand(id, ...args);
}
