// What the bisector prints, in the oracle's style: a line per round, then one line per
// result that says which probe proves it and how to reproduce it, then the costs.
import type { Answer, Anomaly, Finding, Purpose } from './search.js';
import type { ProbeRun } from './probe.js';
import type { RoundReport } from './schedule.js';
import type { Unit } from './units.js';

const PURPOSE: Record<Purpose, string> = {
  'baseline-reference': 'all-reference',
  'baseline-candidate': 'all-candidate',
  split: 'split',
  alone: 'alone',
  minimal: 'minimality',
  rest: 'rest',
};

export function outcomeWord(o: string): string {
  return o.toUpperCase();
}

export function roundLine(r: RoundReport, runs: Map<number, ProbeRun>, found: number): string {
  const ps = r.probes;
  const tail = found > 0 ? `; ${found} found` : '';
  if (ps.length === 1) {
    const p = ps[0]!;
    const k = runs.get(p.id);
    const why = p.outcome !== 'pass' && k?.reasons[0] ? ` (${k.reasons[0]})` : '';
    return `round ${r.round}: #${p.id} ${PURPOSE[p.query.purpose]}, ${count(p.query)} by candidate -> ${outcomeWord(p.outcome)}${why}${tail}`;
  }
  const by = (o: string) => ps.filter((p) => p.outcome === o).length;
  const parts = [`${by('fail')} FAIL`, `${by('pass')} PASS`];
  if (by('flaky')) parts.push(`${by('flaky')} FLAKY`);
  return `round ${r.round}: #${ps[0]!.id}-#${ps[ps.length - 1]!.id} (${ps.length} probes) -> ${parts.join(', ')}${tail}`;
}

function count(q: { bits: Uint32Array }): string {
  let c = 0;
  for (const w of q.bits) for (let x = w; x; x &= x - 1) c++;
  return `${c} unit${c === 1 ? '' : 's'}`;
}

export function findingKind(f: Finding): 'CULPRIT' | 'CULPRIT-SET' | 'FLAKY' {
  return f.flaky ? 'FLAKY' : f.units.length === 1 ? 'CULPRIT' : 'CULPRIT-SET';
}

/** Units of a finding in the project's order (compile_commands order). */
export function findingNames(f: Finding, units: readonly Unit[]): string[] {
  return [...f.units].sort((a, b) => a - b).map((i) => units[i]!.name);
}

export function findingLine(f: Finding, units: readonly Unit[], byId: Map<number, Answer>, runs: Map<number, ProbeRun>): string {
  const names = findingNames(f, units);
  const kind = findingKind(f);
  const proofRun = runs.get(f.proof);
  const what =
    f.units.length === 1 ? 'it alone by the candidate' : 'only these by the candidate';
  const verdict = kind === 'FLAKY' && proofRun ? `-> runs ${proofRun.outcomes.join(', ')}` : '-> FAIL';
  const proofs =
    f.units.length === 1
      ? `all-reference #${f.minimal[0]?.probe} -> PASS`
      : f.minimal
          .map((m) => {
            const exact = byId.get(m.probe)?.bits.reduce((n, w) => n + popcount(w), 0) === f.units.length - 1;
            return `without ${units[m.dropped]!.name} #${m.probe}${exact ? '' : ' (a superset)'} -> PASS`;
          })
          .join('; ');
  return `${kind} ${names.join(' + ')}  (probe #${f.proof}: ${what} ${verdict}; ${proofs})`;
}

function popcount(w: number): number {
  let c = 0;
  for (let x = w; x; x &= x - 1) c++;
  return c;
}

export function anomalyLine(a: Anomaly, units: readonly Unit[], runs: Map<number, ProbeRun>): string {
  if (a.kind === 'FLAKY') {
    const r = runs.get(a.probe);
    return `FLAKY probe #${a.probe} (${PURPOSE[a.purpose]}): runs ${r?.outcomes.join(', ') ?? '?'}; counted as a failure (log: ${r?.dir ?? '?'})`;
  }
  const names = a.extra.slice(0, 4).map((i) => units[i]!.name);
  const more = a.extra.length > 4 ? ` and ${a.extra.length - 4} more` : '';
  return (
    `NONMONOTONE probe #${a.failProbe} FAILS but #${a.passProbe} PASSES with more candidate units ` +
    `(${names.join(', ')}${more}); candidate and reference code likely disagree on an ABI between them`
  );
}
