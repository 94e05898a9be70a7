// bubblewrap, for real: the contract, the isolation an agent cannot get around, and a
// clear exit-4 error when bwrap is missing. Skipped only where bwrap is not installed.
import { describe, expect, it } from 'vitest';
import { EnvError, EXIT } from '../harness/kit/errors.js';
import { bwrapSandbox } from '../harness/sandbox/bwrap.js';
import { runTool } from '../harness/sandbox/common.js';
import { sandboxFor } from '../harness/sandbox/index.js';
import { contractTests, niceTests } from './helpers/sandbox-contract.js';
import { makeFixture } from './helpers/sandbox-fixture.js';
import { isolationTests } from './helpers/sandbox-isolation.js';

const installed = !(await runTool('bwrap', ['--version'])).missing;

describe.skipIf(!installed)(installed ? 'bwrap sandbox' : 'bwrap sandbox: SKIPPED, bwrap is not installed (apt-get install bubblewrap)', () => {
  it('check() passes', async () => {
    await sandboxFor('bwrap').check();
  });
  describe('contract', () => contractTests(() => sandboxFor('bwrap')));
  describe('isolation', () => isolationTests(() => sandboxFor('bwrap')));
  describe('CPU priority', () => niceTests(() => sandboxFor('bwrap')));

  it('ignores limits (no cgroup): a session with limits still runs', async () => {
    const f = makeFixture();
    try {
      const s = await sandboxFor('bwrap').start(f.spec({ argv: ['true'], limits: { cpus: 1, memoryMb: 64, pids: 8 } }));
      expect((await s.exited).code).toBe(0);
    } finally {
      f.cleanup();
    }
  });
});

describe('bwrap missing', () => {
  it('check() is an EnvError (exit 4) naming the install command', async () => {
    const err = await bwrapSandbox({ binary: '/nonexistent/bwrap' }).check().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvError);
    expect((err as EnvError).exitCode).toBe(EXIT.env);
    expect((err as EnvError).code).toBe('SANDBOX_MISSING');
    expect((err as EnvError).message).toContain('apt-get install bubblewrap');
  });
  it('start() says the same', async () => {
    const f = makeFixture();
    try {
      const err = await bwrapSandbox({ binary: '/nonexistent/bwrap' }).start(f.spec()).catch((e: unknown) => e);
      expect((err as EnvError).message).toContain('apt-get install bubblewrap');
    } finally {
      f.cleanup();
    }
  });
});
