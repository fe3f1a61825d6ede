import { defineConfig } from 'vitest/config';

// One run over every package: tests talk to real processes and the kernel, so
// files run one at a time (the machine has two cores and tests time-share ptrace).
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
