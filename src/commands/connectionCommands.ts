import * as vscode from 'vscode';
import { inert } from '../ui/text';
import { isLoopbackHost, normaliseHost, normaliseToken } from '../api';
import { ConnectionManager, TokenRejectedError } from '../connection/connectionManager';
import { configuredHost } from '../connection/settings';
import { explained, openSettingsAction, retryAction, UserError } from './userError';

/** The configured host, or a `UserError` saying why a token cannot be sent to it (malformed, plain http). */
function hostToSignInTo(): string {
  let host: string;
  try {
    host = normaliseHost(configuredHost());
  } catch (error) {
    throw new UserError(vscode.l10n.t('UbiOps: {0}', (error as Error).message), { actions: [openSettingsAction()] });
  }
  const { host: hostName, hostname, protocol } = new URL(host);
  if (protocol === 'http:' && !isLoopbackHost(hostname)) {
    // Refused before a token is even asked for: it would go over the network unencrypted.
    throw new UserError(
      vscode.l10n.t(
        'UbiOps: {0} is set with http://. A token is sent over plain http only to a server on this machine; set ubiops.apiHost to https://{1}… instead.',
        hostName,
        hostName,
      ),
      { actions: [openSettingsAction()] },
    );
  }
  return host;
}

/** The token, from a password box; undefined if dismissed. */
function askToken(hostName: string): Thenable<string | undefined> {
  return vscode.window.showInputBox({
    title: inert(vscode.l10n.t('Sign in to UbiOps ({0})', hostName)),
    prompt: vscode.l10n.t(
      "Paste an API token for {0}. Tokens are created in the UbiOps web app under Project Admin → Permissions → API tokens. It is kept in VS Code's secret storage.",
      hostName,
    ),
    placeHolder: vscode.l10n.t('Token 0123456789abcdef…'),
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) =>
      normaliseToken(value) ? undefined : vscode.l10n.t('Paste the API token (with or without its "Token " prefix).'),
  });
}

/** Checks the token with the host under a cancellable progress, and keeps it. */
function checkToken(connections: ConnectionManager, host: string, token: string): Thenable<unknown> {
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: inert(vscode.l10n.t('Checking the token with {0}…', new URL(host).host)),
      cancellable: true,
    },
    async (_progress, cancellation) => {
      const controller = new AbortController();
      const listener = cancellation.onCancellationRequested(() => controller.abort());
      try {
        await connections.signIn(host, token, controller.signal);
      } finally {
        listener.dispose();
      }
    },
  );
}

/** "UbiOps: Sign In": asks for the token in a password box, checks it against the host, keeps it in SecretStorage. */
export async function signIn(connections: ConnectionManager): Promise<boolean> {
  const host = hostToSignInTo();
  const hostName = new URL(host).host;
  const token = await askToken(hostName);
  if (token === undefined) {
    return false;
  }
  await explained(
    checkToken(connections, host, token),
    (reason) => vscode.l10n.t('UbiOps: {0}', reason),
    (error) => [
      retryAction(
        () => signIn(connections),
        error instanceof TokenRejectedError ? vscode.l10n.t('Try Another Token') : vscode.l10n.t('Try Again'),
      ),
      openSettingsAction(),
    ],
  );
  void vscode.window.showInformationMessage(inert(vscode.l10n.t('Signed in to UbiOps at {0}.', hostName)));
  return true;
}

/** "UbiOps: Sign Out": forgets the stored token of the configured host. */
export async function signOut(connections: ConnectionManager): Promise<void> {
  await connections.signOut();
  if (connections.usesEnvironmentToken) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t(
        'UbiOps: the token comes from the UBIOPS_API_TOKEN environment variable, so the extension stays connected. Unset the variable and restart VS Code to sign out.',
      ),
    );
  } else {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('Signed out of UbiOps. The token was removed from secret storage.'),
    );
  }
}

/** "UbiOps: Try the Local Emulator": a local UbiOps with demo data, no account needed. */
export async function tryEmulator(connections: ConnectionManager): Promise<void> {
  const connection = await explained(
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Starting the local UbiOps emulator…') },
      () => connections.useEmulator(),
    ),
    (reason) => vscode.l10n.t('UbiOps: the local emulator could not start: {0}', reason),
  );
  await vscode.commands.executeCommand('ubiops.environments.focus');
  void vscode.window.showInformationMessage(
    inert(
      vscode.l10n.t(
        'Connected to the local UbiOps emulator at {0}. Its demo projects are in the UbiOps view; nothing leaves this machine.',
        connection.host,
      ),
    ),
  );
}
