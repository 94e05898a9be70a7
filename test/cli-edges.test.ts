// Rough edges both CLIs share through harness/kit/cli-kit.ts: a single-value flag given twice
// is a usage error in one line (not an internal error from deep inside), and a reader
// that leaves the pipe early (`| head`) ends the program quietly.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { main as harnessMain } from '../harness/cli.js';
import { main as oracleMain } from '../test-oracle/cli.js';
import { captureIo } from './helpers/io.js';

const ROOT = resolve(__dirname, '..');

async function run(main: typeof oracleMain, args: string[]) {
  const { io, out, err } = captureIo({ PATH: process.env.PATH, HOME: process.env.HOME }, ROOT);
  return { code: await main(args, io), out, err };
}

describe('repeated single-value flags', () => {
  it('are exit 2 with one line in test-oracle', async () => {
    const r = await run(oracleMain, ['bisect', '--units', 'a.json', '--units', 'b.json', '--candidate', 'x', '--link', 'l', '--test', 't']);
    expect(r.code).toBe(2);
    expect(r.err).toEqual(['test-oracle: --units was given 2 times (a.json, b.json); give it once [REPEATED_FLAG]']);
    const j = await run(oracleMain, ['run', '-j', '1', '-j', '2']);
    expect(j.code).toBe(2);
    expect(j.err).toEqual(['test-oracle: -j was given 2 times (1, 2); give it once [REPEATED_FLAG]']);
    const f = await run(oracleMain, ['run', '--fast', '--fast=20']);
    expect(f.code).toBe(2);
    expect(f.err).toEqual(['test-oracle: --fast was given 2 times (no value, 20); give it once [REPEATED_FLAG]']);
  });

  it('are exit 2 with one line in harness, while list flags still repeat', async () => {
    const r = await run(harnessMain, ['status', '--dir', '/a', '--dir', '/b']);
    expect(r.code).toBe(2);
    expect(r.err).toEqual(['harness: --dir was given 2 times (/a, /b); give it once [REPEATED_FLAG]']);
    const m = await run(oracleMain, ['run', '--match', '*.c', '--match', '*.h', '--cmd', 'true {test}', '--tests', 'no-such-folder']);
    expect(m.err.join('\n')).not.toMatch(/REPEATED_FLAG/);
  });
});

describe('a closed pipe', () => {
  // The run goes on unheard and exits with its real code, so `set -o pipefail` sees failures.
  it('keeps the real exit code: `test-oracle run | head -1` and `| true` exit 1 when a test fails', async () => {
    const d = mkdtempSync(join(tmpdir(), 'cli-edges-'));
    try {
      mkdirSync(join(d, 't'));
      // slow enough that the reader has left before the report is written
      writeFileSync(join(d, 't', 'a.sh'), 'sleep 1; echo ran >> "$TEST_ORACLE_ROOT/ran"; exit 1\n');
      writeFileSync(join(d, 't', 'b.sh'), 'sleep 1; echo ran >> "$TEST_ORACLE_ROOT/ran"\n');
      writeFileSync(join(d, 'test-oracle.json'), JSON.stringify({ tests: 't', match: '*.sh', command: 'sh {test}' }));
      const bin = resolve(ROOT, 'bin', 'test-oracle.js');
      for (const reader of ['head -1', 'true']) {
        rmSync(join(d, 'ran'), { force: true });
        const r = await execa('bash', ['-c', `set -o pipefail; node ${bin} run -j2 | ${reader}; echo "status $? \${PIPESTATUS[*]}" >&2`], { reject: false, cwd: d });
        expect(r.stderr, reader).toBe('status 1 1 0');
        expect(r.stdout.split('\n').filter(Boolean).length, reader).toBeLessThanOrEqual(1);
        // every test ran: the command was not cut short by the reader leaving
        expect(readFileSync(join(d, 'ran'), 'utf8'), reader).toBe('ran\nran\n');
      }
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  }, 60_000);


  it('ends the program quietly, exit 0, no stack trace (`test-oracle history | head -3`)', async () => {
    // History of 30 recorded commits: 31 lines written one by one, so `head` leaves early.
    const d = mkdtempSync(join(tmpdir(), 'cli-edges-'));
    try {
      const g = (...a: string[]) => execa('git', a, { cwd: d });
      await g('init', '-q', '-b', 'main');
      await g('config', 'user.name', 't');
      await g('config', 'user.email', 't@t.invalid');
      const rec = (c: string) => JSON.stringify({ at: '2026-01-01T00:00:00.000Z', v: 1, commit: c, seed: 's', pct: 100, mode: 'full', total: 1, selected: 1, counts: { pass: 1 }, tests: [['a', 'pass', 1]] });
      for (let i = 0; i < 30; i++) {
        await g('commit', '-q', '--allow-empty', '-m', `c${i}`);
        await g('notes', '--ref=test-oracle', 'add', '-m', rec((await g('rev-parse', 'HEAD')).stdout));
      }
      const r = await execa('bash', ['-c', `set -o pipefail; node ${resolve(ROOT, 'bin', 'test-oracle.js')} history -n 30 | head -3; echo "status $?" >&2`], { reject: false, cwd: d });
      expect(r.stdout.split('\n')).toHaveLength(3);
      expect(r.stderr).toBe('status 0');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  }, 60_000);
});
