import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI-level tests run the built executables: build them first, every time.
    globalSetup: ['test/global-setup.ts'],
    // Integration tests spawn real git and real processes; 2-core machines are slow.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
