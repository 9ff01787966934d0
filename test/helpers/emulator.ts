/** The emulator on loopback with a client of it, for a mocha suite. */
import { UbiOpsClient, type RequestEvent, type UbiOpsClientOptions } from '../../src/api';
import type { BuildRef } from '../../src/builds/buildTracker';
import { start, type Emulator, type EmulatorOptions } from '../../src/emulator';
import { useTempDir } from './tempDir';
import { zipOf } from './zip';

export const DEMO_PROJECT = 'demo-project';

export interface EmulatorSuiteOptions {
  /** The one token the emulator accepts; the client sends it unless `client.token` says otherwise. */
  token: string;
  /** Prefix of the suite's temporary folder (default `ubiops-test-`). */
  tempPrefix?: string;
  /** Over the defaults: a free port, seeded, builds finished before the upload is answered (`buildSeconds: 0`). */
  emulator?: EmulatorOptions;
  client?: Partial<UbiOpsClientOptions>;
}

export interface EmulatorSuite {
  readonly emulator: Emulator;
  readonly client: UbiOpsClient;
  /** Every request the client sent since the current test began (tests may empty it). */
  events: RequestEvent[];
  /** The suite's temporary folder. */
  readonly dir: string;
  /** Writes `data` to `name` in the temporary folder; returns its path. */
  tempFile(name: string, data: string | Uint8Array): Promise<string>;
  /** Creates `environment` (python3-12), uploads a zip of `files` (under `environment_package/`) and says what it made. */
  upload(environment: string, files: Record<string, string>, project?: string): Promise<BuildRef>;
}

/**
 * Registers the enclosing `describe`'s hooks: before its tests an emulator, a client of it and a temporary folder;
 * `events` emptied before each test; after them all three closed and removed.
 */
export function useEmulatorSuite(options: EmulatorSuiteOptions): EmulatorSuite {
  const temp = useTempDir(options.tempPrefix ?? 'ubiops-test-');
  let emulator: Emulator | undefined;
  let client: UbiOpsClient | undefined;
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the ${what} is read before the suite's before() hook ran`);
    return value;
  };
  const suite: EmulatorSuite = {
    get emulator() {
      return ready(emulator, 'emulator');
    },
    get client() {
      return ready(client, 'client');
    },
    events: [],
    get dir() {
      return temp.path;
    },
    tempFile: (name, data) => temp.file(name, data),
    async upload(environment, files, project = DEMO_PROJECT) {
      const api = suite.client;
      await api.createEnvironment(project, { name: environment, base_environment: 'python3-12' });
      const file = await temp.file(`${environment}.zip`, await zipOf(files));
      const created = await api.uploadRevision(project, environment, file);
      return { host: api.host, project, environment, revision: created.revision, build: created.build };
    },
  };
  before(async () => {
    emulator = await start({ port: 0, tokens: [options.token], buildSeconds: 0, ...options.emulator });
    client = new UbiOpsClient({
      host: emulator.url,
      token: options.token,
      onRequest: (event) => suite.events.push(event),
      ...options.client,
    });
  });
  beforeEach(() => {
    suite.events = [];
  });
  after(async () => {
    await client?.close();
    await emulator?.close();
    client = emulator = undefined;
  });
  return suite;
}
