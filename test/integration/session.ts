import * as vscode from 'vscode';
import { UbiOpsClient } from '../../src/api';
import { start, type Emulator, type EmulatorOptions } from '../../src/emulator';
import type { ExtensionApi } from '../../src/extension';
import { useTempDir } from '../helpers/tempDir';

export const EXTENSION_ID = 'ubiops-environments.ubiops-environments';

/** The extension under test, activated. */
export async function extensionApi(): Promise<ExtensionApi> {
  const extension = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
  if (!extension) {
    throw new Error(`${EXTENSION_ID} is not installed in this VS Code`);
  }
  return extension.activate();
}

export interface Session {
  api: ExtensionApi;
  emulator: Emulator;
  /** A client of the suite's own, to arrange and check what the extension did. */
  client: UbiOpsClient;
  /** Signs out, restores the settings, stops the emulator. */
  close(): Promise<void>;
}

/**
 * A fresh emulator with its demo data, the extension's host setting pointed at it, and (unless told otherwise)
 * the extension signed in to it, with the view's filter at its default.
 */
export async function emulatorSession(
  token: string,
  options: EmulatorOptions & { signIn?: boolean } = {},
): Promise<Session> {
  const { signIn = true, ...emulatorOptions } = options;
  const api = await extensionApi();
  const emulator = await start({ port: 0, tokens: [token], buildSeconds: 1, ...emulatorOptions });
  const client = new UbiOpsClient({ host: emulator.url, token });
  const settings = vscode.workspace.getConfiguration('ubiops');
  await settings.update('apiHost', emulator.url, vscode.ConfigurationTarget.Global);
  if (signIn) {
    await api.connections.signIn(emulator.url, token);
  }
  await api.explorer.setFilter({ type: 'custom', labels: {} });
  return {
    api,
    emulator,
    client,
    async close() {
      await api.connections.signOut();
      await api.explorer.setFilter({ type: 'custom', labels: {} });
      await vscode.workspace.getConfiguration('ubiops').update('apiHost', undefined, vscode.ConfigurationTarget.Global);
      await client.close();
      await emulator.close();
    },
  };
}

export interface SuiteSession extends Omit<Session, 'close'> {
  /** The suite's temporary folder. */
  readonly dir: string;
}

/**
 * `emulatorSession` for the enclosing `describe`: opened before its tests, with a temporary folder named after
 * `tempPrefix`, and closed (the folder removed) after them.
 */
export function useSession(
  token: string,
  options: EmulatorOptions & { signIn?: boolean; tempPrefix: string },
): SuiteSession {
  const { tempPrefix, ...sessionOptions } = options;
  const temp = useTempDir(tempPrefix);
  let session: Session | undefined;
  before(async () => {
    session = await emulatorSession(token, sessionOptions);
  });
  after(async () => {
    await session?.close();
    session = undefined;
  });
  const open = (): Session => {
    if (!session) throw new Error('the session is used outside the tests of its describe()');
    return session;
  };
  return {
    get api() {
      return open().api;
    },
    get emulator() {
      return open().emulator;
    },
    get client() {
      return open().client;
    },
    get dir() {
      return temp.path;
    },
  };
}
