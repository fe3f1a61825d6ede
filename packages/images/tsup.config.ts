import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'schema/index': 'src/schema/index.ts', 'crit/bin': 'src/crit/bin.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', 'schema/index': 'src/schema/index.ts' } },
  clean: true,
  sourcemap: true,
  target: 'node20',
});
