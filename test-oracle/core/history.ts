// One line per recorded commit and tool for `test-oracle history`: pass rate, how much
// was run, and whether that was the full suite or a sample (samples of different seeds on
// one commit are pooled, newest result per test). Runs under different tools are never
// pooled: gcc's failure must not hide behind tcc's pass.
import { latestPerTest, toolOf, type RunRecord } from './records.js';
import { formatPct } from './select.js';
import { passRate } from './summary.js';

export interface HistoryEntry {
  short: string;
  date: string;
  subject: string;
  records: RunRecord[];
}

export const HISTORY_HEADER = `${'commit'.padEnd(7)} ${'date'.padEnd(10)} ${'tool'.padEnd(10)} ${'pass'.padStart(6)} ${'tests'.padStart(11)} ${'run'.padEnd(24)} subject`;

/** One line per tool that has runs on this commit (all tools, or only `tool`). */
export function historyLines(e: HistoryEntry, tool?: string): string[] {
  const kinds = new Map<string, RunRecord[]>();
  for (const r of e.records) {
    const k = toolOf(r);
    if (tool !== undefined && k !== tool) continue;
    kinds.set(k, [...(kinds.get(k) ?? []), r]);
  }
  return [...kinds.keys()].sort().map((k) => historyLine({ ...e, records: kinds.get(k)! }));
}

/** The line for one commit's runs (of one tool). */
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
  const tool = (toolOf(e.records[0]!) || '-').padEnd(10);
  return `${e.short} ${e.date} ${tool} ${rate} ${counted} ${(kind + of).padEnd(24)} ${subject}`;
}
