import { inspect } from 'node:util';
import * as vscode from 'vscode';
import { redactSecrets, type RequestEvent } from './api';

/** The "UbiOps" output channel. Only ever given paths, statuses and messages: never a header, body or token. */
export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('UbiOps', { log: true });
}

/** One line per request attempt: `GET /projects 200 41 ms`, with the retry it leads to. */
export function logRequest(log: vscode.LogOutputChannel, event: RequestEvent): void {
  const outcome = event.status ?? `failed (${event.error ?? 'no answer'})`;
  const attempt = event.attempt > 1 ? ` attempt ${event.attempt}` : '';
  const retry = event.retryInMs === undefined ? '' : `, retrying in ${event.retryInMs} ms`;
  const line = `${event.method} ${event.path} ${outcome} ${event.durationMs} ms${attempt}${retry}`;
  if (event.status !== undefined && event.status < 400) {
    log.info(line);
  } else {
    log.warn(line);
  }
}

/** An error's stack (its message when it has none), then its causes', with anything like a credential removed. */
export function errorWithStack(error: unknown): string {
  const lines: string[] = [];
  for (let cause: unknown = error, depth = 0; cause !== undefined && depth < 5; depth++) {
    const text =
      cause instanceof Error
        ? (cause.stack ?? `${cause.name}: ${cause.message}`)
        : typeof cause === 'string'
          ? cause
          : inspect(cause);
    lines.push(depth === 0 ? text : `Caused by: ${text}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return redactSecrets(lines.join('\n'));
}

/**
 * A command that failed: what the user was told, and the error with its stack. A failure the user was told about
 * in full (a `UserError` with no cause, such as "this is a base environment") is a warning; anything else an error.
 */
export function logCommandFailure(
  log: vscode.LogOutputChannel,
  command: string,
  shown: string,
  error: unknown,
  expected: boolean,
): void {
  const cause = error instanceof Error ? error.cause : undefined;
  if (expected && cause === undefined) {
    log.warn(`${command}: ${redactSecrets(shown)}`);
  } else {
    log.error(`${command} failed: ${redactSecrets(shown)}\n${errorWithStack(expected ? cause : error)}`);
  }
}
