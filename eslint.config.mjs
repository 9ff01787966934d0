// ESLint: correctness rules with type information for the TypeScript (src, test, bench), plain rules for the .mjs /
// .cjs scripts, and the architecture's rules (which layer may import what, file and function sizes). Style is
// Prettier's alone (eslint-config-prettier, last). `npm run lint`; the reasons are in CONTRIBUTING.md, "Lint and
// format"; test/unit/lint.test.ts proves the layer rules fire.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The layers (docs/ARCHITECTURE.md). The core never imports `vscode` nor UI code; everything it needs is passed in.
const CORE = ['src/api/**/*.ts', 'src/archive/**/*.ts', 'src/emulator/**/*.ts'];
const UI_FOLDERS = ['commands', 'explorer', 'connection', 'documents', 'authoring', 'firstRun', 'builds', 'ui'];
const UI_FILES = ['log', 'extension'];
// Modules of the UI layer that are tested in plain Node, so they too stay free of `vscode`.
const NO_VSCODE_UI = [
  'src/builds/buildTracker.ts',
  'src/builds/followBuilds.ts',
  'src/builds/logFollower.ts',
  'src/model/environmentsModel.ts',
  'src/ui/text.ts',
  'src/util/lifecycle.ts',
];

const noVscode = {
  name: 'vscode',
  message: 'The core and the plain-Node modules never import vscode: take what is needed as a parameter.',
};
// Regular expressions over the import string (gitignore-style globs cannot re-allow a file inside a folder they
// exclude), one set per depth below src/, so that `../builds` from src/emulator/handlers/ (src/emulator/builds.ts)
// is not src/builds. `toSrc(depth)` is the relative prefix that leads from a file at that depth back to src/.
const DEPTHS = [0, 1, 2, 3, 4];
const toSrc = (depth) => (depth === 0 ? '\\./' : `(\\.\\./){${depth}}`);
const atDepth = (folder, depth) => `${folder}/${'*/'.repeat(depth)}*.ts`;
const depthOf = (file) => file.split('/').length - 2;
const noUiFromCore = (depth) => ({
  regex: `^${toSrc(depth)}((${UI_FOLDERS.join('|')})(/.*)?|(${UI_FILES.join('|')})(\\.js)?)$`,
  message: 'src/api, src/archive and src/emulator never import UI code (docs/ARCHITECTURE.md, layers).',
});
// The archive's heavy half (src/archive/index.ts: the packer, the validators, the YAML parser) and the emulator are
// bundles of their own, loaded on first use; a value import from UI code would pull them into dist/extension.js.
// Still allowed from UI code: the lazy loader and the small modules activation needs.
const ARCHIVE_LIGHT = ['lazy', 'dependencyFiles', 'extract', 'format', 'problems', 'streams'];
const lazyOnly = (depth) => [
  {
    regex: `^${toSrc(depth)}archive(/(?!(${ARCHIVE_LIGHT.join('|')})(\\.js)?$)[^/]+)?$`,
    allowTypeImports: true,
    message: "UI code reaches the packer and the validators through loadArchive() of 'src/archive/lazy.ts'.",
  },
  {
    regex: `^${toSrc(depth)}emulator(/.*)?$`,
    allowTypeImports: true,
    message: "UI code starts the emulator through the dynamic import in 'src/connection/connectionManager.ts'.",
  },
];
const restrict = (options) => ({ '@typescript-eslint/no-restricted-imports': ['error', options] });
const layers = [
  ...DEPTHS.filter((depth) => depth > 0).map((depth) => ({
    files: [atDepth('src/{api,archive,emulator}', depth - 1)],
    rules: restrict({ paths: [noVscode], patterns: [noUiFromCore(depth)] }),
  })),
  ...DEPTHS.map((depth) => ({
    files: [atDepth('src', depth)],
    ignores: [...CORE, ...NO_VSCODE_UI],
    rules: restrict({ patterns: lazyOnly(depth) }),
  })),
  ...NO_VSCODE_UI.map((file) => ({
    files: [file],
    rules: restrict({ paths: [noVscode], patterns: lazyOnly(depthOf(file)) }),
  })),
];

export default defineConfig(
  {
    ignores: ['node_modules/', 'dist/', 'out/', '.vscode-test/', 'test-results/', 'bench/results/', '.emulator-data/'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // The existing `void x()` markers are the deliberate way to drop a promise.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // `_name` is how a deliberately unused parameter or binding is marked (tsc's noUnused* already apply).
      // An async function without await is how a handler keeps the uniform async signature of its table.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // Tests and benchmarks read parsed JSON and workbench state (`any`) to assert on it: that is their point.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Durations and deadlines run on the monotonic clock: a step of the wall clock (NTP at a machine's boot, a laptop
    // waking up) must not end a wait at once or stretch it forever. A wall-clock read says why, in its disable comment.
    files: ['**/*.ts', '**/*.mjs', '**/*.cjs', '**/*.js'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'Date',
          property: 'now',
          message:
            'Measure durations and deadlines with performance.now(); for a date, say why in an eslint-disable comment (the emulator: wallClockMs() of src/emulator/clock.ts).',
        },
      ],
    },
  },
  ...layers,
  {
    // The lazy loaders are the only dynamic loads in src: esbuild.mjs (LAZY) makes each its own bundle.
    files: ['src/**/*.ts'],
    ignores: ['src/connection/connectionManager.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression',
          message:
            "Lazy loading goes through loadArchive() or ConnectionManager's emulator import (esbuild.mjs, LAZY).",
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 500, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: false, skipComments: false, IIFEs: true }],
    },
  },
  prettier,
);
