import { defineConfig } from 'vitest/config';

// Three projects, so `npm test` runs the same set on every machine:
//  - unit: pure code, no processes; a hung test fails in seconds, not minutes.
//  - integration: real git, real processes, real CLIs (the bulk).
//  - sandbox: the isolation engines (bwrap, docker, podman) and headless Chromium. Their
//    cost depends on what the machine has installed, so they run only with
//    HARNESS_SLOW_TESTS=1 (CI, `npm run test:slow`) or HARNESS_SANDBOX_TESTS=1, or when a
//    test file is named on the command line.
const UNIT = ['test/*-pure.test.ts', 'test/bisect-core.test.ts', 'test/cli-cwd.test.ts', 'test/oracle-sampling-readme.test.ts', 'test/sandbox-args.test.ts', 'test/swarm-limits.test.ts'];
const SANDBOX = ['test/sandbox-{bwrap,docker,podman}*.test.ts', 'test/swarm-sandbox.test.ts', 'test/serve-vectors*.test.ts', 'test/serve-network.test.ts', 'test/real-docker.test.ts', 'test/report-chromium.test.ts', 'test/executor-{ssh,slurm}*.test.ts'];
const named = process.argv.some((a) => /\.test\.ts$/.test(a) || /^test\//.test(a));
const withSandbox = !!(process.env.HARNESS_SLOW_TESTS || process.env.HARNESS_SANDBOX_TESTS) || named;

export default defineConfig({
  test: {
    // The CLI-level tests run the built executables: build them first, every time.
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, testTimeout: 15_000 } },
      // Integration tests spawn real git and real processes; 2-core machines are slow.
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: [...UNIT, ...SANDBOX], testTimeout: 120_000 } },
      ...(withSandbox ? [{ extends: true, test: { name: 'sandbox', include: SANDBOX, testTimeout: 300_000 } }] : []),
    ],
  },
});
