import type * as Archive from './index';

/**
 * The packer and the validators (./index.ts), loaded on first call instead of at activation. In dist/extension.js
 * this require becomes one of dist/archive-lib.js, next to it (esbuild.mjs, LAZY); in tests it is a plain require.
 * Synchronous, so that a validator can be called where a result is needed at once (diagnostics).
 */
export function loadArchive(): typeof Archive {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the lazy loader: esbuild.mjs turns this require into dist/archive-lib.js
  return require('./index.js') as typeof Archive;
}
