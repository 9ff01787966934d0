import assert from 'node:assert/strict';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { useEmulatorSuite } from '../../helpers/emulator';

const root = path.join(__dirname, '..', '..', '..');

interface UndiciBundle {
  UNDICI_EXPORTS: Record<string, string>;
  UNDICI_INTERNALS: string[];
  UNDICI_LIB: string;
  undiciDiet: esbuild.Plugin;
  undiciImports(source: string): string[];
}

interface BundledUndici {
  Agent: new () => {
    compose(interceptor: unknown): {
      request(options: object): Promise<{ statusCode: number; body: { json(): Promise<unknown> } }>;
    };
    close(): Promise<void>;
  };
  Dispatcher: { prototype: Record<string, unknown> };
  EnvHttpProxyAgent: unknown;
}

const json = (file: string) => JSON.parse(readFileSync(path.join(root, file), 'utf8'));
const installed: string = json('node_modules/undici/package.json').version;

/** The .ts files below a folder. */
async function sources(folder: string): Promise<string[]> {
  const entries = await fs.readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

// esbuild.mjs bundles files from inside undici's package (scripts/undici-bundle.mjs), which are not its public API:
// undici is pinned to the version they were written for, and these tests say what moved when an upgrade moves them.
describe('the bundle of undici', () => {
  let bundle: UndiciBundle;

  before(async () => {
    const module = path.join(root, 'scripts', 'undici-bundle.mjs');
    bundle = (await import(module)) as UndiciBundle;
  });

  it('is built from the exact undici version package.json and package-lock.json pin', () => {
    const pinned: string = json('package.json').dependencies.undici;
    assert.match(pinned, /^\d+\.\d+\.\d+$/, `package.json must pin undici to an exact version, not "${pinned}"`);
    assert.equal(installed, pinned, `node_modules holds undici ${installed}, package.json pins ${pinned}: run npm ci`);
    const lock = json('package-lock.json');
    assert.equal(lock.packages[''].dependencies.undici, pinned, 'package-lock.json records another undici range');
    assert.equal(lock.packages['node_modules/undici'].version, pinned, 'package-lock.json locks another undici');
  });

  it('finds every file of undici the bundling script names', () => {
    const missing = bundle.UNDICI_INTERNALS.filter((file) => !existsSync(path.join(root, 'node_modules', file)));
    assert.deepEqual(
      missing,
      [],
      `undici ${installed} has no ${missing.join(', ')}, which scripts/undici-bundle.mjs bundles (written for the version package.json pins): find where they moved and update the script, or go back to that version`,
    );
  });

  it('provides every name the sources import from undici', async () => {
    const wanted = new Set<string>();
    for (const file of await sources(path.join(root, 'src'))) {
      for (const name of bundle.undiciImports(await fs.readFile(file, 'utf8'))) wanted.add(name);
    }
    assert.ok(wanted.has('Agent'), 'the scan finds the client’s imports');
    const missing = [...wanted].filter((name) => !(name in bundle.UNDICI_EXPORTS));
    assert.deepEqual(missing, [], `add ${missing.join(', ')} to UNDICI_EXPORTS in scripts/undici-bundle.mjs`);
  });

  describe('built as dist/undici-lib.js is', () => {
    const lab = useEmulatorSuite({ token: 'bundle-token', tempPrefix: 'ubiops-undici-lib-' });
    let undici: BundledUndici;

    before(async function () {
      this.timeout(60_000);
      const outfile = path.join(lab.dir, 'undici-lib.js');
      await esbuild.build({
        stdin: { contents: bundle.UNDICI_LIB, resolveDir: root, sourcefile: 'undici-lib.js' },
        bundle: true,
        format: 'cjs',
        platform: 'node',
        target: 'node20',
        outfile,
        logLevel: 'silent',
        plugins: [bundle.undiciDiet],
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the bundle just built, as the extension does
      undici = require(outfile) as BundledUndici;
    });

    it('exports what the client uses, and the plain HTTP parser only', async () => {
      for (const name of Object.keys(bundle.UNDICI_EXPORTS)) {
        assert.equal(typeof undici[name as keyof BundledUndici], 'function', `the bundle exports ${name}`);
      }
      for (const method of ['request', 'compose', 'dispatch']) {
        assert.equal(typeof undici.Dispatcher.prototype[method], 'function', `Dispatcher#${method}`);
      }
      const text = await fs.readFile(path.join(lab.dir, 'undici-lib.js'), 'utf8');
      assert.ok(!text.includes('llhttp_simd-wasm'), 'the SIMD parser is left out');
    });

    it('answers a request through a composed dispatcher, as the client sends them', async () => {
      const agent = new undici.Agent();
      try {
        const response = await agent
          .compose((dispatch: unknown) => dispatch)
          .request({
            origin: new URL(lab.emulator.url).origin,
            path: '/v2.1/status',
            method: 'GET',
          });
        assert.equal(response.statusCode, 200);
        assert.deepEqual(await response.body.json(), { status: 'ok' });
      } finally {
        await agent.close();
      }
    });
  });
});
