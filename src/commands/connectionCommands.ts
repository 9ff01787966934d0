import * as vscode from 'vscode';
import { inert } from '../ui/text';
import { isLoopbackHost, normaliseHost, normaliseToken } from '../api';
import { ConnectionManager, describeError, TokenRejectedError } from '../connection/connectionManager';
import { configuredHost } from '../connection/settings';

/** "UbiOps: Sign In": asks for the token in a password box, checks it against the host, keeps it in SecretStorage. */
export async function signIn(connections: ConnectionManager): Promise<boolean> {
  let host: string;
  try {
    host = normaliseHost(configuredHost());
  } catch (error) {
    const choice = await vscode.window.showErrorMessage(
      inert(vscode.l10n.t('UbiOps: {0}', describeError(error))),
      vscode.l10n.t('Open Settings'),
    );
    if (choice) {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'ubiops.apiHost');
    }
    return false;
  }
  const hostName = new URL(host).host;
  if (new URL(host).protocol === 'http:' && !isLoopbackHost(new URL(host).hostname)) {
    // Refused before a token is even asked for: it would go over the network unencrypted.
    const choice = await vscode.window.showErrorMessage(
      inert(
        vscode.l10n.t(
          'UbiOps: {0} is set with http://. A token is sent over plain http only to a server on this machine; set ubiops.apiHost to https://{1}… instead.',
          hostName,
          hostName,
        ),
      ),
      vscode.l10n.t('Open Settings'),
    );
    if (choice) {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'ubiops.apiHost');
    }
    return false;
  }
  for (;;) {
    const token = await vscode.window.showInputBox({
      title: inert(vscode.l10n.t('Sign in to UbiOps ({0})', hostName)),
      prompt: vscode.l10n.t(
        "Paste an API token for {0}. Tokens are created in the UbiOps web app under Project Admin → Permissions → API tokens. It is kept in VS Code's secret storage.",
        hostName,
      ),
      placeHolder: vscode.l10n.t('Token 0123456789abcdef…'),
      password: true,
      ignoreFocusOut: true,
      validateInput: (value) =>
        normaliseToken(value) ? undefined : 'Paste the API token (with or without its "Token " prefix).',
    });
    if (token === undefined) {
      return false;
    }
    try {
      await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: inert(vscode.l10n.t('Checking the token with {0}…', hostName)),
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
      void vscode.window.showInformationMessage(inert(vscode.l10n.t('Signed in to UbiOps at {0}.', hostName)));
      return true;
    } catch (error) {
      if ((error as Error).name === 'AbortError') {
        return false;
      }
      const again =
        error instanceof TokenRejectedError ? vscode.l10n.t('Try Another Token') : vscode.l10n.t('Try Again');
      const choice = await vscode.window.showErrorMessage(
        inert(vscode.l10n.t('UbiOps: {0}', describeError(error))),
        again,
        vscode.l10n.t('Open Settings'),
      );
      if (choice === 'Open Settings') {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'ubiops.apiHost');
        return false;
      }
      if (choice !== again) {
        return false;
      }
    }
  }
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
  try {
    const connection = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Starting the local UbiOps emulator…') },
      () => connections.useEmulator(),
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
  } catch (error) {
    void vscode.window.showErrorMessage(
      inert(vscode.l10n.t('UbiOps: the local emulator could not start: {0}', describeError(error))),
    );
  }
}
