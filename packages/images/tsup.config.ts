import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts', 'schema/index': 'src/schema/index.ts' },
    format: ['esm'],
    dts: true,
    // the two builds run side by side: each cleans only its own files
    clean: ['**/*', '!crit/**'],
    sourcemap: true,
    target: 'node20',
  },
  {
    // crit-ts starts once per image: one CommonJS file loads faster than a tree of ES modules,
    // and protobufjs (only encode and x need it) is required when they run
    entry: { 'crit/bin': 'src/crit/bin.ts' },
    format: ['cjs'],
    clean: ['crit/**'],
    outExtension: () => ({ js: '.cjs' }),
    sourcemap: true,
    target: 'node20',
  },
]);
