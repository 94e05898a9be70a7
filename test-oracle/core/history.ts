// One line per recorded commit for `test-oracle history`: pass rate, how much was run,
// and whether that was the full suite or a sample (samples of different seeds on one
// commit are pooled, newest result per test).
import { latestPerTest, type RunRecord } from './records.js';
import { formatPct } from './select.js';
import { passRate } from './summary.js';

export interface HistoryEntry {
  short: string;
  date: string;
  subject: string;
  records: RunRecord[];
}

export function historyLine(e: HistoryEntry): string {
  const full = e.records.filter((r) => r.mode === 'full');
  const samples = e.records.filter((r) => r.mode === 'sample');
  let runs: RunRecord[];
  let kind: string;
  if (full.length) {
    runs = [full.at(-1)!];
    kind = 'full';
  } else if (samples.length) {
    runs = samples;
    const pcts = [...new Set(samples.map((r) => formatPct(r.pct)))].join('/');
    const seeds = new Set(samples.map((r) => r.seed)).size;
    kind = `sample ${pcts}${seeds > 1 ? ` x${seeds} seeds` : ''}`;
  } else {
    runs = e.records;
    kind = 'partial';
  }
  const tests = latestPerTest(runs);
  let pass = 0;
  for (const o of tests.values()) if (o.result === 'pass') pass++;
  const total = Math.max(...runs.map((r) => r.total));
  const rate = passRate(pass, tests.size).padStart(6);
  const counted = `${pass}/${tests.size}`.padStart(11);
  const of = tests.size < total ? ` of ${total}` : '';
  const subject = e.subject.length > 50 ? e.subject.slice(0, 49) + '…' : e.subject;
  return `${e.short} ${e.date} ${rate} ${counted} ${(kind + of).padEnd(24)} ${subject}`;
}
