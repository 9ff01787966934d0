import * as vscode from 'vscode';
import { DEFAULT_API_HOST, NetworkOptions, proxyFromEnvironment } from '../api';

/** The setting of the API host. */
export const HOST_SETTING = 'ubiops.apiHost';

/** The Settings editor at one setting (the API host unless told): the follow-up of every wrong-setting message. */
export function openSettings(setting = HOST_SETTING): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.openSettings', setting);
}

/**
 * The API host from `ubiops.apiHost`. The setting has application scope, and only the user's (global) value is
 * read here, so a repository's `.vscode/settings.json` can never send the user's token elsewhere.
 */
export function configuredHost(): string {
  const inspected = vscode.workspace.getConfiguration('ubiops').inspect<string>('apiHost');
  return inspected?.globalValue?.trim() || inspected?.defaultValue || DEFAULT_API_HOST;
}

/** VS Code's proxy settings, falling back to the usual environment variables. */
export function networkOptions(): NetworkOptions {
  const http = vscode.workspace.getConfiguration('http');
  const fromEnvironment = proxyFromEnvironment();
  const noProxy = http.get<string[]>('noProxy') ?? [];
  return {
    proxy: http.get<string>('proxy')?.trim() || fromEnvironment.proxy,
    noProxy: noProxy.length ? noProxy.join(',') : fromEnvironment.noProxy,
    strictSSL: http.get<boolean>('proxyStrictSSL') ?? true,
  };
}
