import type { EnvironmentBuild } from '../../../src/api/models';
import { type Emulator, type EmulatorOptions, start } from '../../../src/emulator';
import { zipOf } from '../../helpers/zip';

export { zipOf };

export const TOKEN = 'test-token';
export const PROJECT = 'demo-project';

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A seeded emulator on a free port with instant builds unless told otherwise. */
export function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return start({ port: 0, tokens: [TOKEN], buildSeconds: 0, ...options });
}

/**
 * A seeded emulator (as `startEmulator` makes it) for the enclosing `describe`: started before its tests, or before
 * each test with `each`, and closed after them. The handle forwards to the emulator of the moment.
 */
export function useEmulator(options: EmulatorOptions = {}, scope: 'suite' | 'each' = 'suite'): Emulator {
  let current: Emulator | undefined;
  const [setUp, tearDown] = scope === 'each' ? [beforeEach, afterEach] : [before, after];
  setUp(async () => {
    current = await startEmulator(options);
  });
  tearDown(async () => {
    await current?.close();
    current = undefined;
  });
  return new Proxy({} as Emulator, {
    get(_target, key) {
      if (!current) throw new Error('the emulator is used outside the tests of its describe()');
      return Reflect.get(current, key) as unknown;
    },
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read the emulator's JSON without declaring its shape
export async function call<T = any>(
  emulator: Emulator,
  method: string,
  path: string,
  options: { json?: unknown; body?: RequestInit['body']; headers?: Record<string, string>; token?: string | null } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token !== null) {
    headers.Authorization = `Token ${options.token ?? TOKEN}`;
  }
  let body = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const res = await fetch(`${emulator.url}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text !== '' && (res.headers.get('content-type') ?? '').includes('json')) {
    parsed = JSON.parse(text);
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export function uploadForm(data: Uint8Array, fileName = 'environment.zip'): FormData {
  const form = new FormData();
  form.append('file', new Blob([data]), fileName);
  return form;
}

export async function upload(
  emulator: Emulator,
  environment: string,
  data: Uint8Array,
  fileName?: string,
  project = PROJECT,
): Promise<Answer<{ success: boolean; revision: string; build: string }>> {
  return call(emulator, 'POST', `/projects/${project}/environments/${environment}/revisions`, {
    body: uploadForm(data, fileName),
  });
}

export async function createEnvironment(
  emulator: Emulator,
  name: string,
  extra: Record<string, unknown> = {},
  project = PROJECT,
): Promise<Answer> {
  const answer = await call(emulator, 'POST', `/projects/${project}/environments`, {
    json: { name, base_environment: 'python3-12', ...extra },
  });
  if (answer.status !== 201) {
    throw new Error(`create ${name}: ${answer.status} ${answer.text}`);
  }
  return answer;
}

export function buildPath(environment: string, revision: string, build: string, project = PROJECT): string {
  return `/projects/${project}/environments/${environment}/revisions/${revision}/builds/${build}`;
}

/** The build an upload or a copy started, as `GET` answers it. */
export function getBuild(
  emulator: Emulator,
  environment: string,
  created: { revision: string; build: string },
  project = PROJECT,
): Promise<Answer<EnvironmentBuild>> {
  return call<EnvironmentBuild>(emulator, 'GET', buildPath(environment, created.revision, created.build, project));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` holds, for at most `ms`. */
export async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (await check()) {
      return;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Polls the build at `path` (see `buildPath`) until it has `status`, for at most `ms`. */
export function waitForBuildStatus(emulator: Emulator, path: string, status: string, ms: number): Promise<void> {
  return waitFor(
    async () => (await call<{ status: string }>(emulator, 'GET', path)).body.status === status,
    ms,
    status,
  );
}

/** The fields of a `GET /projects` item, in the platform notes' order. */
export const PROJECT_FIELDS = [
  'id',
  'name',
  'creation_date',
  'advanced_permissions',
  'credits',
  'organization_name',
  'labels',
];

export const GOOD_FILES = {
  'requirements.txt': 'numpy==1.26.4\nrequests==2.32.3\n',
  'ubiops.yaml': 'environment_variables:\n  - ACCEPT_EULA=Y\napt:\n  packages:\n    - libgomp1\n',
};

/** A zip of `GOOD_FILES` under the CLI's top folder: a package that builds. */
export function goodZip(): Promise<Buffer> {
  return zipOf(GOOD_FILES);
}

/** Creates `environment` (python3-12) and uploads `data` to it, by default a package that builds. */
export async function createAndUpload(
  emulator: Emulator,
  environment: string,
  data?: Uint8Array,
): Promise<Answer<{ success: boolean; revision: string; build: string }>> {
  await createEnvironment(emulator, environment);
  return upload(emulator, environment, data ?? (await goodZip()));
}
