/** Temporary folders for tests: made under the system's temporary folder, removed whatever the test did. */
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TempDir {
  /** The folder; read it inside tests and hooks (it is made by a hook). */
  readonly path: string;
  /** Writes `data` to `name` inside the folder and returns the file's path. */
  file(name: string, data: string | Uint8Array): Promise<string>;
}

/** A new, empty folder `<tmp>/<prefix>XXXXXX`. */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeTempDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/**
 * A temporary folder for the enclosing mocha `describe` (or the file, at top level): made before its tests and
 * removed after them, or, with `each`, a fresh one for every test.
 */
export function useTempDir(prefix: string, scope: 'suite' | 'each' = 'suite'): TempDir {
  let current: string | undefined;
  const [setUp, tearDown] = scope === 'each' ? [beforeEach, afterEach] : [before, after];
  setUp(() => {
    current = makeTempDir(prefix);
  });
  tearDown(() => {
    removeTempDir(current);
    current = undefined;
  });
  return {
    get path() {
      if (current === undefined) throw new Error(`the temporary folder ${prefix}… is read outside its tests`);
      return current;
    },
    async file(name, data) {
      const file = path.join(this.path, name);
      await fs.writeFile(file, data);
      return file;
    },
  };
}

/** Runs `body` with a new temporary folder, removed when it settles. */
export async function withTempDir<T>(prefix: string, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = makeTempDir(prefix);
  try {
    return await body(dir);
  } finally {
    removeTempDir(dir);
  }
}
