// The gate's verdict in words: one ERROR line (what a pushing agent sees in `git push`),
// then a few indented details. Pure.
import type { Comparison } from './records.js';
import type { TestOutcome } from './types.js';

const MAX_ERROR_LINE = 400;

export function formatGateReport(
  cmp: Comparison,
  now: readonly TestOutcome[],
  at: { commit: string; baseline: string },
  maxDetails = 10,
): string[] {
  const failing = now.filter((o) => o.result !== 'pass').length;
  const stillFailing = failing - cmp.regressions.length;
  const tail = stillFailing > 0 ? [`${stillFailing} other test${stillFailing === 1 ? '' : 's'} did not pass (new, or not passing at ${at.baseline} either): not regressions`] : [];
  if (cmp.regressions.length === 0) {
    return [`gate: ok, no test that passed at ${at.baseline} fails at ${at.commit} (${cmp.common} compared)`, ...tail];
  }
  const n = cmp.regressions.length;
  let line = `ERROR gate: ${n} test${n === 1 ? '' : 's'} passed at ${at.baseline} and fail${n === 1 ? 's' : ''} at ${at.commit}: `;
  const items = cmp.regressions.map((r) => `${r.id} (${r.now.reason || r.now.result})`);
  let shown = 0;
  for (const it of items) {
    const sep = shown ? ', ' : '';
    const rest = n - shown - 1;
    const more = rest > 0 ? ` … and ${rest} more` : '';
    if (shown > 0 && line.length + sep.length + it.length + more.length > MAX_ERROR_LINE) break;
    line += sep + it;
    shown++;
  }
  if (shown < n) line += ` … and ${n - shown} more`;
  const logs = new Map(now.map((o) => [o.id, o.log]));
  const details = cmp.regressions.slice(0, maxDetails).map((r) => `  ${r.id}: ${r.now.reason || r.now.result}${logs.get(r.id) ? ` (log: ${logs.get(r.id)})` : ''}`);
  if (n > maxDetails) details.push(`  … and ${n - maxDetails} more`);
  return [line, ...details, ...tail];
}
