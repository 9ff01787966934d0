// npm run package: the production bundles, then `vsce package` into ubiops-environments.vsix.
//
// VS Code shows the packaged README (the extension's details page) in a webview that loads images only over https,
// so a relative link to docs/*.png shows broken even when the image is in the .vsix. vsce turns relative links into
// absolute ones from the manifest's `repository` (GitHub and GitLab URLs; for another host it stops and says so).
// That field is the ONE place the repository's URL comes from:
//
// - `repository.url` set (e.g. "https://github.com/<owner>/<name>"): the README is packaged as it is and vsce
//   rewrites its images to https://github.com/<owner>/<name>/raw/HEAD/docs/... and its links to .../blob/HEAD/...;
// - `repository.url` empty (as long as the project has no public URL): the README is packaged without its images
//   and with its links to files of the repository as plain text, rather than with links that cannot load. No URL
//   is ever made up.
//
// The packaged README is written to out/package/README.md (ignored) and handed to vsce with --readme-path. vsce
// builds the production bundles first (the manifest's vscode:prepublish script).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const VSIX = 'ubiops-environments.vsix';
export const PACKAGED_README = join('out', 'package', 'README.md');

/** The repository URL from package.json (`repository` as a string or `repository.url`), or '' when unset. */
export function repositoryUrl(manifest) {
  const repository = manifest.repository;
  const url = typeof repository === 'string' ? repository : repository?.url;
  return typeof url === 'string' ? url.trim() : '';
}

const IMAGE_LINE = /^[ \t]*!\[[^\]]*\]\([^)]*\)[ \t]*\n(?:[ \t]*\n)?/gm;
const IMAGE = /!\[[^\]]*\]\([^)]*\)/g;
const HTML_IMAGE = /<img\b[^>]*>/gi;
/** [text](target) where target is not a URL with a scheme, a mailto: or an #anchor: a file of the repository. */
const RELATIVE_LINK = /\[([^\]]*)\]\((?![a-z][a-z0-9+.-]*:|#)[^)]*\)/gi;

/** Code blocks and code spans, which show their text as it is. */
const CODE = /(```[\s\S]*?```|`[^`\n]*`)/;

/** The README without images, and with links to files of the repository as their text only (code is left as is). */
export function readmeWithoutRepositoryLinks(markdown) {
  return markdown
    .split(CODE)
    .map((part, i) =>
      i % 2
        ? part
        : part.replace(IMAGE_LINE, '').replace(IMAGE, '').replace(HTML_IMAGE, '').replace(RELATIVE_LINK, '$1'),
    )
    .join('');
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const url = repositoryUrl(manifest);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  mkdirSync(dirname(join(ROOT, PACKAGED_README)), { recursive: true });
  writeFileSync(join(ROOT, PACKAGED_README), url ? readme : readmeWithoutRepositoryLinks(readme));
  if (!url) {
    process.stdout.write(
      '[package] package.json has no repository.url: the packaged README leaves out its images and links to ' +
        'repository files (see CONTRIBUTING.md, "Publishing").\n',
    );
  }

  const vsce = join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  run(process.execPath, [
    vsce,
    'package',
    '--no-dependencies',
    '--readme-path',
    PACKAGED_README,
    '--out',
    VSIX,
    // Unset: the links vsce would rewrite are gone already; it must not stop at a `command:` link in a code span.
    ...(url ? [] : ['--allow-missing-repository', '--no-rewrite-relative-links']),
  ]);
}
