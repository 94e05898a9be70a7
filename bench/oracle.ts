// `npm run bench -- oracle [--tests N] [--rounds R]`: the oracle's overhead against
// `xargs -P2` running the same commands in the same run, and selection time for 100,000
// ids. Targets: ratio <= 1.3x; sampling + ordering < 200 ms.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { orderTests, selectTests } from '../test-oracle/core/select.js';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(here, '..', 'bin', 'test-oracle.js');

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timed(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

export async function run(args: string[]): Promise<number> {
  const n = arg(args, '--tests', 2000);
  const rounds = arg(args, '--rounds', 5);
  const d = mkdtempSync(join(tmpdir(), 'oracle-bench-'));
  try {
    mkdirSync(join(d, 't'));
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = `t/t${String(i).padStart(5, '0')}.sh`;
      writeFileSync(join(d, id), 'exit 0\n');
      ids.push(id);
    }
    writeFileSync(join(d, 'test-oracle.json'), JSON.stringify({ tests: 't', command: 'sh {test}' }));
    // The same suite with each test started in its own scratch folder ("cwd": "tmp").
    writeFileSync(join(d, 'tmp.json'), JSON.stringify({ tests: 't', command: 'sh {test}', cwd: 'tmp' }));
    writeFileSync(join(d, 'list'), ids.join('\n') + '\n');
    const xargs = () => execFileSync('sh', ['-c', 'xargs -P2 -n1 sh < list'], { cwd: d, stdio: 'ignore' });
    const phases: number[] = [];
    const phasesTmp: number[] = [];
    const oracleWith = (extra: string[], into: number[]) => () => {
      const r = spawnSync(process.execPath, [BIN, 'run', '-j2', '--no-record', '--json', 'r.json', ...extra], { cwd: d, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`oracle run failed (${r.status}): ${r.stdout}${r.stderr}`);
      into.push((JSON.parse(readFileSync(join(d, 'r.json'), 'utf8')) as { wallMs: number }).wallMs);
    };
    const oracle = oracleWith([], phases);
    const oracleTmp = oracleWith(['--config', 'tmp.json'], phasesTmp);
    // Alternate the two so machine noise hits both alike.
    const tx: number[] = [];
    const to: number[] = [];
    // The first run creates a log file per test (slow on some disks); later runs reuse
    // them, as every run after an agent's first does.
    oracle();
    phases.length = 0;
    for (let r = 0; r < rounds; r++) {
      tx.push(timed(xargs));
      to.push(timed(oracle));
      oracleTmp();
    }
    const mx = median(tx);
    const mo = median(to);
    const mp = median(phases);
    process.stdout.write(
      `${n} trivial tests (median of ${rounds} alternating rounds, one machine, same commands):\n` +
        `  xargs -P2:                              ${mx.toFixed(0)} ms\n` +
        `  test-oracle run -j2, running the tests: ${mp.toFixed(0)} ms  ratio ${(mp / mx).toFixed(2)}x (target <= 1.3x)\n` +
        `  test-oracle run -j2, whole command:     ${mo.toFixed(0)} ms  ratio ${(mo / mx).toFixed(2)}x ` +
        `(adds node+tsx start, discovery, git, report: ${(mo - mp).toFixed(0)} ms)\n` +
        `  the same with "cwd": "tmp" (a scratch folder per test), running the tests: ${median(phasesTmp).toFixed(0)} ms  ` +
        `ratio ${(median(phasesTmp) / mx).toFixed(2)}x vs xargs, ${(median(phasesTmp) / mp).toFixed(2)}x vs "cwd": "root"\n`,
    );
  } finally {
    rmSync(d, { recursive: true, force: true });
  }

  const big = Array.from({ length: 100_000 }, (_, i) => `tests/dir${i % 100}/case-${String(i).padStart(6, '0')}.c`);
  const timings = new Map(big.map((id, i) => [id, (i * 7919) % 1000]));
  const failed = new Set(big.filter((_, i) => i % 97 === 0));
  const sel: number[] = [];
  for (let r = 0; r < 5; r++) {
    sel.push(
      timed(() => {
        const s = selectTests(big, { fastPct: 10, seed: `agent-${r}` });
        orderTests(s.selected, { failedBefore: failed, timings });
      }),
    );
  }
  const full = timed(() => orderTests(selectTests(big, { seed: 'x' }).selected, { failedBefore: failed, timings }));
  process.stdout.write(
    `selection of 100000 ids: sample 10% + order ${median(sel).toFixed(1)} ms (median of 5; target < 200 ms); ` +
      `full suite ordered ${full.toFixed(1)} ms\n`,
  );
  return 0;
}
