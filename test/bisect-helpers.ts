// Shared by the bisect tests: run `test-oracle` in-process with a captured Io.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Io } from '../harness/cli-kit.js';
import { main } from '../test-oracle/cli.js';

export async function oracle(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    env,
    cwd,
    now: () => new Date(),
    hostname: () => 'test-host',
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  };
  const code = await main(args, io);
  return { code, out, err, text: out.join('\n') };
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
