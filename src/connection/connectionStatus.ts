import * as vscode from 'vscode';
import { DEFAULT_API_HOST, isLoopbackHost, normaliseHost } from '../api';
import type { Connection, ConnectionManager } from './connectionManager';
import { configuredHost } from './settings';

/** The status-bar item that says where the extension is connected, with sign-in, host switch and sign-out. */
export class ConnectionStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('ubiops.connection', vscode.StatusBarAlignment.Left, 49);
  private readonly subscription: vscode.Disposable;

  constructor(connections: ConnectionManager) {
    this.item.name = 'UbiOps Connection';
    this.item.command = 'ubiops.connectionMenu';
    this.subscription = connections.onDidChange((connection) => this.show(connection));
    // Reads the stored token's presence only; no request is sent.
    void connections.get().then((connection) => this.show(connection), () => this.show(undefined));
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }

  private show(connection: Connection | undefined): void {
    if (!connection) {
      this.item.text = '$(cloud) UbiOps: sign in';
      this.item.tooltip = 'Not connected to UbiOps. Click to sign in, switch host or try the local emulator.';
    } else if (connection.source === 'emulator') {
      this.item.text = '$(beaker) UbiOps: local emulator';
      this.item.tooltip = `Connected to the local UbiOps emulator at ${connection.host}: demo data, nothing leaves this machine.`;
    } else {
      const url = new URL(connection.host);
      const host = url.host;
      // A UbiOps on this machine is an emulator (npm start, or one a user runs): say so.
      this.item.text = isLoopbackHost(url.hostname) ? `$(beaker) UbiOps: local (${host})` : `$(cloud) UbiOps: ${host}`;
      this.item.tooltip = `Connected to ${connection.host}${connection.source === 'environment' ? ' with the token of UBIOPS_API_TOKEN' : ''}. Click for sign-in options.`;
    }
    this.item.show();
  }
}

/** The menu behind the status-bar item. */
export async function connectionMenu(connections: ConnectionManager): Promise<void> {
  const connection = await connections.get();
  const items: (vscode.QuickPickItem & { command: string })[] = [
    { label: '$(sign-in) Sign In…', description: new URL(normaliseHost(configuredHost())).host, command: 'ubiops.signIn' },
    { label: '$(server) Switch Host…', description: 'an on-premise install, or back to api.ubiops.com', command: 'ubiops.switchHost' },
  ];
  if (connection?.source !== 'emulator') {
    items.push({ label: '$(beaker) Try the Local Emulator', description: 'demo data, no account', command: 'ubiops.tryEmulator' });
  }
  if (connection) {
    items.push({ label: '$(sign-out) Sign Out', command: 'ubiops.signOut' });
  }
  items.push({ label: '$(output) Show Log', command: 'ubiops.showLog' });
  const picked = await vscode.window.showQuickPick(items, {
    title: connection ? `UbiOps: connected to ${connection.source === 'emulator' ? 'the local emulator' : new URL(connection.host).host}` : 'UbiOps: not connected',
  });
  if (picked) {
    await vscode.commands.executeCommand(picked.command);
  }
}

/** "Switch Host…": sets `ubiops.apiHost` (user settings), then asks for a token when that host has none. */
export async function switchHost(connections: ConnectionManager): Promise<void> {
  const current = configuredHost();
  const input = await vscode.window.showInputBox({
    title: 'UbiOps API host',
    prompt: `The API to use, e.g. ${DEFAULT_API_HOST} or an on-premise install's URL. Tokens are kept per host.`,
    value: current,
    ignoreFocusOut: true,
    validateInput: (value) => {
      try {
        normaliseHost(value);
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  });
  if (input === undefined) {
    return;
  }
  const host = normaliseHost(input);
  await vscode.workspace.getConfiguration('ubiops').update('apiHost', host === DEFAULT_API_HOST ? undefined : host, vscode.ConfigurationTarget.Global);
  const connection = await connections.get();
  if (!connection || connection.host !== host) {
    await vscode.commands.executeCommand('ubiops.signIn');
  }
}
