// npm run bench:bundle — what activation has to load and what users download.
//   dist/extension.js   goal under 400 KB minified (VS Code parses it whole when the extension activates);
//   the .vsix           goal under 500 KB and under 20 files.
// Runs `npm run package` (production build and vsce), then reads the .vsix's central directory. The reference, built
// in the same run, is the same entry point bundled the plain way (esbuild, minified, no lazy bundles, undici's
// index): what the levers in esbuild.mjs save. Also lists the largest parts of extension.js (from esbuild's
// metafile) and checks that the parts loaded on demand are not in it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import JSZip from 'jszip';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KB = 1024;
const GOALS = { bundleKB: 400, vsixKB: 500, vsixFiles: 20 };
const ON_DEMAND = [
  'node_modules/yaml/',
  'node_modules/jszip/',
  'node_modules/busboy/',
  'node_modules/undici/',
  'src/emulator/',
  // The packer (src/archive/pack.ts and the modules it is made of) and the streamed upload.
  'src/archive/pack',
  'src/archive/scan',
  'src/archive/storedZip.ts',
  'src/archive/upload',
];

const kb = (bytes) => `${(bytes / KB).toFixed(1)} KB`;
const verdict = (ok) => (ok ? 'PASS' : 'MISS');

const work = mkdtempSync(path.join(os.tmpdir(), 'ubiops-bench-bundle-'));
try {
  // The reference: plain esbuild of the same entry, as esbuild.mjs did before the levers.
  const plain = path.join(work, 'plain.js');
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ['src/extension.ts'],
    outfile: plain,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minify: true,
    keepNames: true,
    external: ['vscode'],
    logLevel: 'error',
  });
  const plainBytes = statSync(plain).size;

  execFileSync('npm', ['run', 'package', '--silent'], {
    cwd: ROOT,
    stdio: 'pipe',
    env: { ...process.env, CI: 'true' },
  });
  // The same production build again, with its metafile, to say what extension.js is made of.
  execFileSync(process.execPath, ['esbuild.mjs', '--production', '--metafile', work], { cwd: ROOT, stdio: 'inherit' });

  const bundleBytes = statSync(path.join(ROOT, 'dist', 'extension.js')).size;
  const vsixPath = path.join(ROOT, 'ubiops-environments.vsix');
  const vsixBytes = statSync(vsixPath).size;
  const zip = await JSZip.loadAsync(readFileSync(vsixPath));
  const files = Object.values(zip.files)
    .filter((entry) => !entry.dir)
    .map((entry) => entry.name);
  const meta = JSON.parse(readFileSync(path.join(work, 'extension.meta.json'), 'utf8'));
  const inputs = Object.values(meta.outputs).find((output) => output.entryPoint === 'src/extension.ts').inputs;

  const parts = new Map();
  for (const [file, { bytesInOutput }] of Object.entries(inputs)) {
    const part = file.startsWith('node_modules/')
      ? file
          .split('/')
          .slice(0, file.includes('/undici/') ? 4 : 2)
          .join('/')
      : file.split('/').slice(0, 2).join('/');
    parts.set(part, (parts.get(part) ?? 0) + bytesInOutput);
  }
  const onDemandInBundle = Object.keys(inputs).filter((file) => ON_DEMAND.some((prefix) => file.startsWith(prefix)));

  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, esbuild ${esbuild.version}`,
  );
  console.log(
    `largest parts of extension.js: ${[...parts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([part, bytes]) => `${part} ${kb(bytes)}`)
      .join(', ')}`,
  );
  console.log(
    `on demand, not in extension.js: ${ON_DEMAND.join(', ')}: ${onDemandInBundle.length ? `FOUND ${onDemandInBundle.join(', ')}` : 'none found'}`,
  );
  const lazy = files.filter((name) => /^extension\/dist\/.*-lib\.js$/.test(name));
  for (const name of lazy)
    console.log(
      `loaded on demand: ${name.replace('extension/', '')} ${kb(statSync(path.join(ROOT, name.replace('extension/', ''))).size)}`,
    );
  console.log(
    `bundle: dist/extension.js ${kb(bundleBytes)}; reference, the same entry bundled plainly ${kb(plainBytes)}; ` +
      `ratio ${(bundleBytes / plainBytes).toFixed(2)}; goal < ${GOALS.bundleKB} KB: ${verdict(bundleBytes < GOALS.bundleKB * KB && onDemandInBundle.length === 0)}`,
  );
  console.log(
    `vsix: ${kb(vsixBytes)}, ${files.length} files (goal < ${GOALS.vsixKB} KB and < ${GOALS.vsixFiles} files): ` +
      `${verdict(vsixBytes < GOALS.vsixKB * KB && files.length < GOALS.vsixFiles)}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
