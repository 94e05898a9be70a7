// The process sandbox owes the same contract (minus isolation, which it does not claim).
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvError } from '../harness/kit/errors.js';
import { spawnSession } from '../harness/sandbox/process.js';
import { sandboxFor } from '../harness/sandbox/index.js';
import { contractTests, niceTests } from './helpers/sandbox-contract.js';

describe('process sandbox contract', () => contractTests(() => sandboxFor('process')));
describe('process sandbox: CPU priority', () => niceTests(() => sandboxFor('process')));

describe('process sandbox: starting the session', () => {
  it('a program being rewritten as it starts (a real ETXTBSY) is an environment error the slot backs off from, not a crash', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spawn-busy-'));
    const prog = path.join(dir, 'agent');
    writeFileSync(prog, '#!/bin/sh\nexit 0\n');
    chmodSync(prog, 0o755);
    const busy = openSync(prog, 'r+');
    const out = openSync('/dev/null', 'w');
    try {
      const err = await spawnSession([prog], dir, { PATH: process.env.PATH ?? '' }, { stdin: undefined, outputFd: out }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EnvError);
      expect((err as EnvError).code).toBe('SPAWN_FAILED');
      expect((err as EnvError).message).toMatch(/could not start the session's .*agent \(ETXTBSY/);
      closeSync(busy);
      const ok = await spawnSession([prog], dir, { PATH: process.env.PATH ?? '' }, { stdin: undefined, outputFd: out });
      expect(await ok.exited).toEqual({ code: 0, signal: null });
    } finally {
      closeSync(out);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
