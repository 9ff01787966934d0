import * as vscode from 'vscode';
import { DEFAULT_API_HOST, isLoopbackHost, normaliseHost } from '../api';
import type { Connection, ConnectionManager } from './connectionManager';
import type { CommandWithoutArguments } from '../commands/commandIds';
import { executeCommand } from '../commands/commandRunner';
import { configuredHost } from './settings';

/** The status-bar item that says where the extension is connected, with sign-in, host switch and sign-out. */
export class ConnectionStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('ubiops.connection', vscode.StatusBarAlignment.Left, 49);
  private readonly subscription: vscode.Disposable;

  constructor(connections: ConnectionManager) {
    this.item.name = vscode.l10n.t('UbiOps Connection');
    this.item.command = 'ubiops.connectionMenu';
    this.subscription = connections.onDidChange((connection) => this.show(connection));
    // Reads the stored token's presence only; no request is sent.
    void connections.get().then(
      (connection) => this.show(connection),
      () => this.show(undefined),
    );
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }

  private show(connection: Connection | undefined): void {
    if (!connection) {
      this.item.text = vscode.l10n.t('$(cloud) UbiOps: sign in');
      this.item.tooltip = vscode.l10n.t(
        'Not connected to UbiOps. Click to sign in, switch host or try the local emulator.',
      );
    } else if (connection.source === 'emulator') {
      this.item.text = vscode.l10n.t('$(beaker) UbiOps: local emulator');
      this.item.tooltip = vscode.l10n.t(
        'Connected to the local UbiOps emulator at {0}: demo data, nothing leaves this machine.',
        connection.host,
      );
    } else {
      const url = new URL(connection.host);
      const host = url.host;
      // A UbiOps on this machine is an emulator (npm start, or one a user runs): say so.
      this.item.text = isLoopbackHost(url.hostname)
        ? vscode.l10n.t('$(beaker) UbiOps: local ({0})', host)
        : vscode.l10n.t('$(cloud) UbiOps: {0}', host);
      this.item.tooltip = vscode.l10n.t(
        'Connected to {0}{1}. Click for sign-in options.',
        connection.host,
        connection.source === 'environment' ? ' with the token of UBIOPS_API_TOKEN' : '',
      );
    }
    this.item.show();
  }
}

/** The menu behind the status-bar item. */
export async function connectionMenu(connections: ConnectionManager): Promise<void> {
  const connection = await connections.get();
  const items: (vscode.QuickPickItem & { command: CommandWithoutArguments })[] = [
    {
      label: vscode.l10n.t('$(sign-in) Sign In…'),
      description: new URL(normaliseHost(configuredHost())).host,
      command: 'ubiops.signIn',
    },
    {
      label: vscode.l10n.t('$(server) Switch Host…'),
      description: vscode.l10n.t('an on-premise install, or back to api.ubiops.com'),
      command: 'ubiops.switchHost',
    },
  ];
  if (connection?.source !== 'emulator') {
    items.push({
      label: vscode.l10n.t('$(beaker) Try the Local Emulator'),
      description: vscode.l10n.t('demo data, no account'),
      command: 'ubiops.tryEmulator',
    });
  }
  if (connection) {
    items.push({ label: vscode.l10n.t('$(sign-out) Sign Out'), command: 'ubiops.signOut' });
  }
  items.push({ label: vscode.l10n.t('$(output) Show Log'), command: 'ubiops.showLog' });
  const picked = await vscode.window.showQuickPick(items, {
    title: connection
      ? vscode.l10n.t(
          'UbiOps: connected to {0}',
          connection.source === 'emulator' ? 'the local emulator' : new URL(connection.host).host,
        )
      : vscode.l10n.t('UbiOps: not connected'),
  });
  if (picked) {
    await executeCommand(picked.command);
  }
}

/** "Switch Host…": sets `ubiops.apiHost` (user settings), then asks for a token when that host has none. */
export async function switchHost(connections: ConnectionManager): Promise<void> {
  const current = configuredHost();
  const input = await vscode.window.showInputBox({
    title: vscode.l10n.t('UbiOps API host'),
    prompt: vscode.l10n.t(
      "The API to use, e.g. {0} or an on-premise install's URL. Tokens are kept per host.",
      DEFAULT_API_HOST,
    ),
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
  await vscode.workspace
    .getConfiguration('ubiops')
    .update('apiHost', host === DEFAULT_API_HOST ? undefined : host, vscode.ConfigurationTarget.Global);
  const connection = await connections.get();
  if (!connection || connection.host !== host) {
    await executeCommand('ubiops.signIn');
  }
}
