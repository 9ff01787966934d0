// The undici parts of esbuild.mjs, in a module of their own so that test/unit/api/undiciBundle.test.ts can check
// them against the installed undici. They name files inside undici's package, which are not its public API: undici
// is pinned to the exact version they were written for (package.json), and the test fails, naming the file and
// the version, when an upgrade moves one.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** What the bundle's 'undici' provides: the client's imports. The build fails when a source wants more. */
export const UNDICI_EXPORTS = {
  Agent: 'undici/lib/dispatcher/agent.js',
  Dispatcher: 'undici/lib/dispatcher/dispatcher.js',
  EnvHttpProxyAgent: 'undici/lib/dispatcher/env-http-proxy-agent.js',
};

/** Every file inside undici the bundling relies on: the exports, the request API, and what undiciDiet replaces. */
export const UNDICI_INTERNALS = [
  ...Object.values(UNDICI_EXPORTS),
  'undici/lib/api/index.js',
  'undici/lib/web/fetch/body.js',
  'undici/lib/llhttp/llhttp_simd-wasm.js',
  'undici/lib/llhttp/llhttp-wasm.js',
];

/** dist/undici-lib.js: those modules and what they require, without what the client never uses. */
export const UNDICI_LIB = `
  module.exports = {
    ${Object.entries(UNDICI_EXPORTS)
      .map(([name, file]) => `${name}: require(${JSON.stringify(file)}),`)
      .join('\n    ')}
  };
  // As undici's index does: request(), stream(), pipeline(), upgrade(), connect() on every dispatcher.
  Object.assign(module.exports.Dispatcher.prototype, require('undici/lib/api/index.js'));
`;

/** @type {import('esbuild').Plugin} */
export const undiciDiet = {
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

/** The names a source imports from 'undici' as values (type imports left out). */
export function undiciImports(source) {
  const names = [];
  for (const [, list] of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'undici'/g)) {
    names.push(
      ...list
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name && !name.startsWith('type '))
        .map((name) => name.split(/\s+as\s+/)[0]),
    );
  }
  return names;
}

/**
 * In extension.js, 'undici' is a module of getters that loads dist/undici-lib.js when first used: the client makes
 * its connection pool on its first request, so activation neither parses nor runs undici.
 * @type {import('esbuild').Plugin}
 */
export const lazyUndici = {
  name: 'lazy-undici',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, async (args) => {
      const missing = undiciImports(await readFile(args.importer, 'utf8')).filter((name) => !(name in UNDICI_EXPORTS));
      if (missing.length) {
        return {
          errors: [
            {
              text: `${path.relative('.', args.importer)} imports ${missing.join(', ')} from undici: add them to UNDICI_EXPORTS in scripts/undici-bundle.mjs`,
            },
          ],
        };
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
