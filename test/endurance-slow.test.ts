// The short endurance run (`npm run test:slow`, so CI): `npm run bench -- endurance` at 16 agents
// and 200 sessions with every fault of the full run, durations scaled by 0.25 (30 s outages,
// a 15 s rate-limit reset, the 90 s floor under the session timeout). Every check the
// benchmark makes must hold, and the faults must really have happened.
// It runs alone, after the rest (`npm run test:slow`, CI): about 12–20 minutes on 2 cores,
// and sharing the cores with other suites would measure them, not the harness. Named on
// the command line with HARNESS_ENDURANCE_TESTS=1, which `test:slow` does.
import { describe, expect, it } from 'vitest';
import { endurance, figureLines, parseArgs } from '../bench/endurance.js';

describe.skipIf(!process.env.HARNESS_ENDURANCE_TESTS)('endurance (slow)', () => {
  it('16 sim agents, 200 sessions, crashes, regressions, hangs, a rate limit, 3 SIGKILLs, a SIGTERM and 2 outages: nothing lost, nothing left', async () => {
    const lines: string[] = [];
    const r = await endurance(parseArgs(['--agents', '16', '--sessions', '200', '--scale', '0.25', '--seed', process.env.HARNESS_ENDURANCE_SEED ?? '1']), (l) => lines.push(l));
    const report = [...lines, ...figureLines(r.figures), ...r.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`)].join('\n');
    console.log(report);
    for (const c of r.checks) expect(c.ok, `${c.name}: ${c.detail}\n\n${report}`).toBe(true);
    const o = r.figures.observed;
    expect(o.crash, report).toBeGreaterThan(0);
    expect(o.hang, report).toBeGreaterThan(0);
    expect(o['rate limit'], report).toBe(1);
    expect(o['regression pushed'], report).toBeGreaterThan(0);
    expect(o['refused by the gate'], report).toBeGreaterThan(0);
  }, 3 * 3_600_000);
});
