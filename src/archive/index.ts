// The archive's heavy half: the packer and the dependency-file validators, with the YAML parser (a third of what
// the extension would otherwise parse at activation). The extension reaches it only through `loadArchive()`
// (./lazy.ts), which esbuild.mjs turns into a require of dist/archive-lib.js, this entry's own bundle.
export * from './pack';
export * from './requirements';
export * from './storedZip';
export * from './ubiopsYaml';
export * from './validate';
