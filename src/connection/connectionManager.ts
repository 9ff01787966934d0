import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { inert } from '../ui/text';
import { normaliseHost, normaliseToken, UbiOpsApiError, UbiOpsClient, type WaitEvent } from '../api';
import type { Emulator } from '../emulator';
import { logRequest } from '../log';
import { EnvironmentsModel } from '../model/environmentsModel';
import { Disposable } from '../util/lifecycle';
import { configuredHost, networkOptions, openSettings } from './settings';

/** Where the connection's token came from. */
export type ConnectionSource = 'environment' | 'secretStorage' | 'emulator';

export interface Connection {
  /** The normalised API base URL. */
  readonly host: string;
  readonly client: UbiOpsClient;
  readonly source: ConnectionSource;
  /** What this connection knows of UbiOps; the tree, the palette's walk and the commands read and invalidate it. */
  readonly model: EnvironmentsModel;
}

/** Raised when a token is refused by the host it was entered for. */
export class TokenRejectedError extends Error {
  constructor(readonly host: string) {
    super(
      `${new URL(host).host} refused the token (401). Check that you copied the whole token and that it has not been revoked.`,
    );
    this.name = vscode.l10n.t('TokenRejectedError');
  }
}

const SECRET_PREFIX = 'ubiops.token:';

/**
 * Owns the connection to UbiOps: which host, which token, and the one client (one connection pool) for it.
 *
 * The token lives only in SecretStorage, under a key bound to the host it was entered for (a host change means
 * signing in again), or in `UBIOPS_API_TOKEN` as the official client reads it. Resolution is lazy: activation
 * only registers; the first view or command that needs the connection reads the secret.
 */
export class ConnectionManager extends Disposable implements vscode.Disposable {
  private readonly changeEmitter = this.register(new vscode.EventEmitter<Connection | undefined>());
  /** Fires when the connection changes: signed in or out, host or proxy settings changed, emulator started. */
  readonly onDidChange = this.changeEmitter.event;
  private readonly openEmitter = this.register(new vscode.EventEmitter<Connection>());
  /** Fires for each new connection, before anything uses it (including the first, resolved lazily). */
  readonly onDidOpen = this.openEmitter.event;

  private current: Promise<Connection | undefined> | undefined;
  /** What this window last wrote under each secret key (undefined once deleted). */
  private readonly ownSecrets = new Map<string, string | undefined>();
  private emulator: { server: Emulator; token: string } | undefined;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
    private readonly emulatorDataDir: string,
    private readonly userAgent: string,
    private readonly environment: NodeJS.ProcessEnv = process.env,
  ) {
    super();
    this.register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('ubiops.apiHost') || event.affectsConfiguration('http')) {
          void this.reset();
        }
      }),
    );
    this.register(
      secrets.onDidChange((event) => {
        if (!event.key.startsWith(SECRET_PREFIX)) {
          return;
        }
        // Our own sign-in or sign-out was acted on already: resetting again would drop the connection just made.
        // Another window's shows as a value this window did not write.
        void this.secrets.get(event.key).then((value) => {
          if (!this.ownSecrets.has(event.key) || value !== this.ownSecrets.get(event.key)) {
            void this.reset();
          }
        });
      }),
    );
  }

  /** The current connection, or undefined when there is no token for the host. */
  get(): Promise<Connection | undefined> {
    this.current ??= this.resolve();
    return this.current;
  }

  /** Checks the token against the host, then keeps it in SecretStorage and connects. */
  async signIn(hostInput: string, tokenInput: string, signal?: AbortSignal): Promise<Connection> {
    const host = normaliseHost(hostInput);
    const token = normaliseToken(tokenInput);
    const client = this.createClient(host, token);
    let valid: boolean;
    try {
      valid = (await client.checkToken({ signal })).valid;
    } catch (error) {
      await client.close();
      throw error;
    }
    if (!valid) {
      await client.close();
      throw new TokenRejectedError(host);
    }
    await this.writeSecret(SECRET_PREFIX + host, token);
    this.log.info(`Signed in to ${new URL(host).host}.`);
    return this.replace(this.open(host, client, 'secretStorage'));
  }

  /** Forgets the token of the configured host. A token from `UBIOPS_API_TOKEN` cannot be forgotten from here. */
  async signOut(): Promise<void> {
    const host = normaliseHost(configuredHost());
    await this.writeSecret(SECRET_PREFIX + host, undefined);
    await this.stopEmulator();
    this.log.info(`Signed out of ${new URL(host).host}.`);
    await this.reset();
  }

  /** True when the token comes from the environment, where signing out cannot remove it. */
  get usesEnvironmentToken(): boolean {
    return !!this.environment.UBIOPS_API_TOKEN?.trim();
  }

  /**
   * Starts the local emulator inside the extension host, on a free loopback port, with its demo data kept in the
   * extension's storage, and connects to it for this session. Its token is random and never stored.
   */
  async useEmulator(): Promise<Connection> {
    if (!this.emulator) {
      const { start, LOG_DELAY_SECONDS } = await import('../emulator/index.js');
      const token = randomBytes(24).toString('hex');
      const server = await start({
        port: 0,
        host: '127.0.0.1',
        tokens: [token],
        dataDir: this.emulatorDataDir,
        logDelaySeconds: LOG_DELAY_SECONDS,
      });
      this.emulator = { server, token };
      this.log.info(`Local UbiOps emulator started at ${server.url} (data in ${this.emulatorDataDir}).`);
    }
    const { server, token } = this.emulator;
    return this.replace(this.open(server.url, this.createClient(server.url, token), 'emulator'));
  }

  /** Closes the connection (its model and client) and the emulator; resolves once they are closed. */
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- deactivate() awaits it; a later dispose() is a no-op
  override async dispose(): Promise<void> {
    if (this.isDisposed) {
      return;
    }
    super.dispose();
    const connection = await this.current?.catch(() => undefined);
    this.current = undefined;
    await Promise.all([connection && close(connection), this.stopEmulator()]);
  }

  private async writeSecret(key: string, value: string | undefined): Promise<void> {
    this.ownSecrets.set(key, value);
    await (value === undefined ? this.secrets.delete(key) : this.secrets.store(key, value));
  }

  private async stopEmulator(): Promise<void> {
    const emulator = this.emulator;
    this.emulator = undefined;
    await emulator?.server.close();
  }

  private async reset(): Promise<void> {
    const previous = await this.current?.catch(() => undefined);
    if (previous?.source === 'emulator' && this.emulator) {
      // The emulator session outlives settings changes: it does not depend on them.
      return;
    }
    this.current = undefined;
    await (previous && close(previous));
    await this.publish(await this.get());
  }

  private async replace(connection: Connection): Promise<Connection> {
    const previous = await this.current?.catch(() => undefined);
    this.current = Promise.resolve(connection);
    if (previous && previous.client !== connection.client) {
      await close(previous);
    }
    await this.publish(connection);
    return connection;
  }

  private async publish(connection: Connection | undefined): Promise<void> {
    await vscode.commands.executeCommand('setContext', 'ubiops.connection', connection?.source ?? 'none');
    this.changeEmitter.fire(connection);
  }

  private async resolve(): Promise<Connection | undefined> {
    let connection: Connection | undefined;
    try {
      const environmentToken = this.environment.UBIOPS_API_TOKEN?.trim();
      if (environmentToken) {
        const host = normaliseHost(this.environment.UBIOPS_API_HOST?.trim() || configuredHost());
        connection = this.open(host, this.createClient(host, environmentToken), 'environment');
      } else {
        const host = normaliseHost(configuredHost());
        const token = await this.secrets.get(SECRET_PREFIX + host);
        connection = token ? this.open(host, this.createClient(host, token), 'secretStorage') : undefined;
      }
    } catch (error) {
      // A malformed host setting: say so, and show the sign-in content rather than a broken tree.
      this.log.error(`Cannot connect: ${(error as Error).message}`);
      void vscode.window
        .showErrorMessage(inert(vscode.l10n.t('UbiOps: {0}', (error as Error).message)), vscode.l10n.t('Open Settings'))
        .then((choice) => {
          if (choice) {
            void openSettings();
          }
        });
    }
    await vscode.commands.executeCommand('setContext', 'ubiops.connection', connection?.source ?? 'none');
    return connection;
  }

  /** A new connection with its own model, announced before anything uses it. */
  private open(host: string, client: UbiOpsClient, source: ConnectionSource): Connection {
    const connection = { host, client, source, model: new EnvironmentsModel(client) };
    this.openEmitter.fire(connection);
    return connection;
  }

  private createClient(host: string, token: string): UbiOpsClient {
    return new UbiOpsClient({
      host,
      token,
      network: networkOptions(),
      onRequest: (event) => logRequest(this.log, event),
      onWait: (event) => showWait(event),
      userAgent: this.userAgent,
    });
  }
}

async function close(connection: Connection): Promise<void> {
  connection.model.dispose();
  await connection.client.close();
}

/** A wait of a few seconds or more before a call is repeated, in the status bar for as long as it lasts. */
function showWait(event: WaitEvent): void {
  if (event.seconds < 3) {
    return;
  }
  const reasons: Record<WaitEvent['reason'], string> = {
    'rate limited': vscode.l10n.t('rate limited'),
    unavailable: vscode.l10n.t('unavailable'),
    'server error': vscode.l10n.t('server error'),
    network: vscode.l10n.t('network'),
  };
  vscode.window.setStatusBarMessage(
    vscode.l10n.t('$(watch) UbiOps: waiting {0} s for the server ({1})', event.seconds, reasons[event.reason]),
    event.seconds * 1000,
  );
}

/** A message for a failed call that a notification can show as it is. */
export function describeError(error: unknown): string {
  if (error instanceof UbiOpsApiError || error instanceof TokenRejectedError) {
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
