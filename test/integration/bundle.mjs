// Bundles the integration suite (index.ts and every *.test.ts under test/integration/) into out/integration/,
// one CommonJS file per entry with `vscode` left to the extension host. mocha is bundled into each file that
// needs it, so the folder runs wherever it is copied (the code-server driver copies it into an extension).
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { ROOT } from '../../scripts/vscode-server.mjs';

export const SOURCE_DIR = join(ROOT, 'test', 'integration');
export const OUT_DIR = join(ROOT, 'out', 'integration');

export async function bundleIntegrationTests() {
  const tests = readdirSync(SOURCE_DIR, { recursive: true })
    .filter((file) => file.endsWith('.test.ts'))
    .map((file) => join(SOURCE_DIR, file));
  await rm(OUT_DIR, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [join(SOURCE_DIR, 'index.ts'), ...tests],
    outbase: SOURCE_DIR,
    outdir: OUT_DIR,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['vscode'],
    sourcemap: 'inline',
    sourcesContent: false,
    keepNames: true,
    logLevel: 'warning',
    // mocha requires test files by path at run time, and its parallel mode (unused) resolves worker files:
    // those calls are meant to stay as they are.
    logOverride: { 'unsupported-require-call': 'silent', 'require-resolve-not-external': 'silent' },
  });
  return { outDir: OUT_DIR, tests: tests.length };
}
