// Bundles the extension and the emulator's command line. `tsc --noEmit` (npm run check-types) does the type
// checking; esbuild only strips types and bundles, as in vscode-extension-samples/esbuild-sample.
//
// Activation parses dist/extension.js whole, so it holds only what activation and the tree need (goal under
// 400 KB minified, `npm run bench:bundle`):
// - parts that only a command needs are bundles of their own, loaded on first use (LAZY below);
// - undici is its own bundle too, loaded with the client's first request (lazyUndici), made of the modules the
//   client uses (Agent, EnvHttpProxyAgent, Dispatcher#request) rather than its index, which brings fetch,
//   WebSocket, mocks and caches; its HTTP parser, a WebAssembly module inlined as base64, exists in a SIMD and a
//   plain build: the bundle holds the plain one only (it runs everywhere; SIMD only speeds up header parsing).
//   Those parts are in scripts/undici-bundle.mjs, checked against the installed undici by a unit test.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { lazyUndici, UNDICI_LIB, undiciDiet } from './scripts/undici-bundle.mjs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const metafiles = process.argv.includes('--metafile')
  ? process.argv[process.argv.indexOf('--metafile') + 1]
  : undefined;

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: production,
  // Error classes are told apart by name in messages and logs: keep names through minification.
  keepNames: true,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
};

/**
 * Bundles the extension loads on demand: a `require()` or `import()` of `entry` inside the extension becomes a
 * `require` of `outfile` from the folder of extension.js. Static imports of the same modules are bundled as usual.
 */
const LAZY = [
  // "Try the Local Emulator": the server, busboy, jszip.
  { entry: 'src/emulator/index.ts', outfile: 'dist/emulator-lib.js' },
  // Uploading a folder, checking a dependency file: the packer and the validators, with the YAML parser
  // (src/archive/lazy.ts).
  { entry: 'src/archive/index.ts', outfile: 'dist/archive-lib.js' },
];

/** @type {import('esbuild').Plugin} */
const lazyBundles = {
  name: 'lazy-bundles',
  setup(build) {
    const files = new Map(LAZY.map(({ entry, outfile }) => [path.resolve(entry), path.basename(outfile)]));
    build.onResolve({ filter: /.*/ }, async (args) => {
      if ((args.kind !== 'dynamic-import' && args.kind !== 'require-call') || args.pluginData === 'lazy-bundles')
        return undefined;
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'lazy-bundles',
      });
      const file = files.get(resolved.path);
      return file ? { path: file, namespace: 'lazy-bundle' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-bundle' }, (args) => ({
      contents: `module.exports = require(require('node:path').join(__dirname, ${JSON.stringify(args.path)}));`,
      loader: 'js',
    }));
  },
};

/**
 * `import * as vscode from 'vscode'` makes esbuild copy every property of VS Code's API object onto a fresh object
 * in each of the ~25 modules that import it (its ESM interop), which took about 8 ms of activation. The modules
 * import one ES module instead that takes each value of the API once; its names come from @types/vscode, so an
 * API the types do not declare cannot be used (TypeScript would refuse it anyway).
 * @type {import('esbuild').Plugin}
 */
const vscodeOnce = {
  name: 'vscode-once',
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, (args) =>
      args.namespace === 'vscode-once'
        ? { path: 'vscode', external: true }
        : { path: 'vscode', namespace: 'vscode-once' },
    );
    build.onLoad({ filter: /.*/, namespace: 'vscode-once' }, async () => {
      const types = await readFile(path.resolve('node_modules/@types/vscode/index.d.ts'), 'utf8');
      const names = [
        ...new Set(
          [...types.matchAll(/^\texport (?:class|enum|const|function|namespace|let|var) (\w+)/gm)].map(
            (match) => match[1],
          ),
        ),
      ];
      return { loader: 'js', contents: `export const { ${names.join(', ')} } = require('vscode');` };
    });
  },
};

const builds = [
  {
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
    plugins: [lazyBundles, lazyUndici, vscodeOnce],
  },
  ...LAZY.map(({ entry, outfile }) => ({ ...common, entryPoints: [entry], outfile })),
  {
    ...common,
    stdin: { contents: UNDICI_LIB, resolveDir: path.resolve('.'), sourcefile: 'undici-lib.js' },
    outfile: 'dist/undici-lib.js',
    plugins: [undiciDiet],
  },
  { ...common, entryPoints: ['src/emulator/cli.ts'], outfile: 'dist/emulator.js' },
];

if (watch) {
  for (const options of builds) {
    const context = await esbuild.context(options);
    await context.watch();
  }
} else {
  // A production build must not ship the source maps a development build left behind.
  rmSync('dist', { recursive: true, force: true });
  const results = await Promise.all(builds.map((options) => esbuild.build({ ...options, metafile: !!metafiles })));
  // --metafile <dir>: what each bundle is made of, for bench/bundle.mjs (kept out of dist/, which ships).
  if (metafiles) {
    mkdirSync(metafiles, { recursive: true });
    results.forEach((result, index) => {
      const name = path.basename(builds[index].outfile, '.js');
      writeFileSync(path.join(metafiles, `${name}.meta.json`), JSON.stringify(result.metafile));
    });
  }
}
