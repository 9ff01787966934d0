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
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as esbuild from 'esbuild';

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

/** What the bundle's 'undici' provides: the client's imports. The build fails when a source wants more. */
const UNDICI_EXPORTS = {
  Agent: 'undici/lib/dispatcher/agent.js',
  Dispatcher: 'undici/lib/dispatcher/dispatcher.js',
  EnvHttpProxyAgent: 'undici/lib/dispatcher/env-http-proxy-agent.js',
};

/** dist/undici-lib.js: those modules and what they require, without what the client never uses. */
const UNDICI_LIB = `
  module.exports = {
    ${Object.entries(UNDICI_EXPORTS)
      .map(([name, file]) => `${name}: require(${JSON.stringify(file)}),`)
      .join('\n    ')}
  };
  // As undici's index does: request(), stream(), pipeline(), upgrade(), connect() on every dispatcher.
  Object.assign(module.exports.Dispatcher.prototype, require('undici/lib/api/index.js'));
`;

/** @type {import('esbuild').Plugin} */
const undiciDiet = {
  name: 'undici-diet',
  setup(build) {
    // fetch's body extraction (with WHATWG FormData, WebIDL and more) is required only to send a FormData body;
    // the client sends strings and streams, and builds its multipart bodies itself.
    build.onResolve({ filter: /\/web\/fetch\/body\.js$/ }, () => ({ path: 'fetch-body', namespace: 'undici-diet' }));
    build.onLoad({ filter: /^fetch-body$/, namespace: 'undici-diet' }, () => ({
      loader: 'js',
      contents: `exports.extractBody = () => { throw new TypeError('FormData request bodies are not in this bundle of undici'); };`,
    }));
    build.onResolve({ filter: /llhttp_simd-wasm\.js$/ }, (args) => ({
      path: path.join(args.resolveDir, path.dirname(args.path), 'llhttp-wasm.js'),
    }));
  },
};

/**
 * In extension.js, 'undici' is a module of getters that loads dist/undici-lib.js when first used: the client makes
 * its connection pool on its first request, so activation neither parses nor runs undici.
 * @type {import('esbuild').Plugin}
 */
const lazyUndici = {
  name: 'lazy-undici',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, async (args) => {
      const source = await readFile(args.importer, 'utf8');
      for (const [, names] of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'undici'/g)) {
        const values = names
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name && !name.startsWith('type '));
        const missing = values.map((name) => name.split(/\s+as\s+/)[0]).filter((name) => !(name in UNDICI_EXPORTS));
        if (missing.length) {
          return {
            errors: [
              {
                text: `${path.relative('.', args.importer)} imports ${missing.join(', ')} from undici: add them to UNDICI_EXPORTS in esbuild.mjs`,
              },
            ],
          };
        }
      }
      return { path: 'undici', namespace: 'lazy-undici' };
    });
    build.onLoad({ filter: /^undici$/, namespace: 'lazy-undici' }, () => ({
      loader: 'js',
      contents: `
        let undici;
        const load = () => (undici ??= require(require('node:path').join(__dirname, 'undici-lib.js')));
        module.exports = {
          ${Object.keys(UNDICI_EXPORTS)
            .map((name) => `get ${name}() { return load().${name}; },`)
            .join('\n          ')}
        };
      `,
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
