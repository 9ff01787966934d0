import * as vscode from 'vscode';
import type { RequestEvent } from './api';

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
