// `npm run bench -- demo [--runs 5] [--agents 16]`: the 16-agent demo end to end, several
// times in a row, each in a fresh folder: whether it finished, the time until every task
// was done, sessions, idle waits, crashes, and the release latency from a session's end to
// its locks gone from main (claims_released.latencyMs). Targets on 2 cores: every run
// finishes, median <= 90 s, release p95 <= 60 s.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { readEvents } from '../harness/events/log.js';
import { crashed } from '../harness/events/outcome.js';
import { median, parseList, percentile, table } from './_stats.js';

const ROOT = path.resolve(import.meta.dirname, '..');

export async function run(args: string[]): Promise<number> {
  const runs = parseList(args, '--runs', [5])[0]!;
  const agents = parseList(args, '--agents', [16])[0]!;
  const rows: string[][] = [];
  const times: number[] = [];
  const latencies: number[] = [];
  let finished = 0;
  for (let i = 1; i <= runs; i++) {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'bench-demo-'));
    try {
      const t0 = performance.now();
      const r = await execa('node', [path.join(ROOT, 'bin/harness.js'), '--agents', String(agents)], { cwd, env: { ...process.env, HARNESS_PLAIN: '1' }, reject: false, timeout: 900_000 });
      const s = (performance.now() - t0) / 1000;
      const ok = r.exitCode === 0 && /every task done/.test(r.stdout);
      const ev = readEvents(path.join(cwd, '.swarm-demo/events.jsonl'));
      const ends = ev.filter((e) => e.type === 'session_end');
      const lat = ev.flatMap((e) => (e.type === 'claims_released' && typeof e.latencyMs === 'number' ? [e.latencyMs / 1000] : []));
      latencies.push(...lat);
      if (ok) {
        finished++;
        times.push(s);
      }
      rows.push([String(i), ok ? 'yes' : `NO (exit ${r.exitCode})`, s.toFixed(0), String(ends.length), String(ev.filter((e) => e.type === 'idle').length), String(ends.filter((e) => e.type === 'session_end' && crashed(e)).length), String(lat.length), lat.length ? median(lat).toFixed(1) : '-', lat.length ? Math.max(...lat).toFixed(1) : '-']);
      process.stderr.write(`  run ${i}: ${ok ? 'finished' : 'did NOT finish'} in ${s.toFixed(0)} s\n`);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }
  process.stdout.write(table(['run', 'finished', 'seconds', 'sessions', 'idle waits', 'crashes', 'releases', 'release median s', 'release max s'], rows) + '\n');
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  process.stdout.write(`finished ${finished} of ${runs}; median time ${f(median(times))} s; release latency median ${f(median(latencies))} s, p95 ${f(percentile(latencies, 95))} s, max ${f(latencies.length ? Math.max(...latencies) : NaN)} s (${latencies.length} releases)\n`);
  process.stdout.write('targets on 2 cores: every run finishes, median <= 90 s, release p95 <= 60 s\n');
  return finished === runs ? 0 : 1;
}
