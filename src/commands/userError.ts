import * as vscode from 'vscode';
import { UbiOpsApiError } from '../api';
import { describeError, TokenRejectedError } from '../connection/connectionManager';
import { HOST_SETTING, openSettings } from '../connection/settings';
import { inert } from '../ui/text';

/** A follow-up a failure offers: a button on its message, and what the button does. */
export interface ErrorAction {
  readonly label: string;
  run(): unknown;
}

/**
 * A failure to tell the user about, in words they can act on, with the buttons that help. Handlers throw it; the
 * command runner (`commandRunner.ts`) shows it, once, and logs it. `message` is shown through `inert()` there, so it
 * may carry server text and file names as they came (translated with `vscode.l10n.t`). `cause` is the error behind
 * it: logged with its stack, and the reason "Show Log" (and "Sign In" when it is a refused token) is offered.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  readonly actions: readonly ErrorAction[];

  constructor(message: string, options: { actions?: readonly ErrorAction[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.actions = options.actions ?? [];
  }
}

/** The user stopped it (a dismissed prompt deep in a flow, a cancelled progress): the runner says nothing. */
export class Cancelled extends Error {
  override readonly name = 'Cancelled';

  constructor() {
    super('Cancelled');
  }
}

/**
 * True for every way a user stops something: `Cancelled`, VS Code's `CancellationError`, an aborted request or
 * stream (`AbortError`, how the client rejects), and a cancelled pack or extraction (`PackError`/`ExtractError`
 * with code `cancelled`, matched by shape so that the packer's bundle is not loaded to ask).
 */
export function isCancellation(error: unknown): boolean {
  if (error instanceof Cancelled || error instanceof vscode.CancellationError) {
    return true;
  }
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  return name === 'AbortError' || ((name === 'PackError' || name === 'ExtractError') && code === 'cancelled');
}

/** True when the server refused the token (401), or refused it this right (403): signing in again may help. */
export function isTokenRefused(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof TokenRejectedError) {
      return true;
    }
    if (cause instanceof UbiOpsApiError && (cause.status === 401 || cause.status === 403)) {
      return true;
    }
  }
  return false;
}

/**
 * Awaits `work`; a failure becomes a `UserError` saying `message(reason)`, where reason is the failure's own words.
 * Cancellations and `UserError`s pass through unchanged. This replaces a catch that shows a message.
 */
export async function explained<T>(
  work: Thenable<T> | Promise<T>,
  message: (reason: string, error: unknown) => string,
  actions?: readonly ErrorAction[] | ((error: unknown) => readonly ErrorAction[]),
): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isCancellation(error) || error instanceof UserError) {
      throw error;
    }
    const offered = typeof actions === 'function' ? actions(error) : actions;
    throw new UserError(message(describeError(error), error), { actions: offered, cause: error });
  }
}

/** Awaits `work`; when the user cancels it, `note` shows in the status bar for a while (the runner says nothing). */
export async function noteCancellation<T>(work: Thenable<T>, note: string): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isCancellation(error)) {
      vscode.window.setStatusBarMessage(inert(note), 5000);
    }
    throw error;
  }
}

/** The follow-up a wrong setting gets: opens the Settings editor at it. */
export function openSettingsAction(setting = HOST_SETTING): ErrorAction {
  return { label: vscode.l10n.t('Open Settings'), run: () => openSettings(setting) };
}

/** "Sign In": runs the sign-in command. */
export function signInAction(): ErrorAction {
  return { label: vscode.l10n.t('Sign In'), run: () => vscode.commands.executeCommand('ubiops.signIn') };
}

/** "Retry" (or another label): runs `again`, whose own failures are reported like the command's. */
export function retryAction(again: () => unknown, label = vscode.l10n.t('Retry')): ErrorAction {
  return { label, run: again };
}
