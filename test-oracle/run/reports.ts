// Files for machines: --json for scripts and agents that parse, --junit for CI systems.
import { writeFileSync } from 'node:fs';
import type { TestOutcome } from '../core/types.js';
import { countResults } from '../core/records.js';

export interface RunFacts {
  commit: string | null;
  seed: string;
  pct: number;
  mode: string;
  tool?: string;
  total: number;
  wallMs: number;
}

/** Skipped tests are listed too: a report that drops them reads as if they never existed. */
export function writeJson(path: string, f: RunFacts, outcomes: readonly TestOutcome[], skipped: readonly string[] = [], extra: Record<string, unknown> = {}): void {
  const counts = countResults(outcomes);
  const doc = {
    version: 1,
    ...f,
    ...extra,
    selected: outcomes.length,
    counts: { ...counts, skipped: skipped.length },
    passRate: outcomes.length ? counts.pass / outcomes.length : null,
    tests: [
      ...outcomes.map((o) => ({ id: o.id, result: o.result, reason: o.reason, ms: Math.round(o.ms), log: o.log })),
      ...skipped.map((id) => ({ id, result: 'skipped', reason: f.tool ? `skipped for ${f.tool}` : 'skipped', ms: 0 })),
    ],
  };
  writeFileSync(path, JSON.stringify(doc, null, 1) + '\n');
}

/**
 * JUnit as CI systems read it (the Jenkins/Surefire schema): counts on both levels,
 * `<skipped/>` per skipped test, and the suite's time is the run's wall time (tests ran
 * in parallel, so the sum of their times would overstate it).
 */
export function junitXml(name: string, outcomes: readonly TestOutcome[], wallMs: number, skipped: readonly string[] = []): string {
  const c = countResults(outcomes);
  const failures = c.fail + c.crash + c.timeout;
  const n = outcomes.length + skipped.length;
  const counts = `tests="${n}" failures="${failures}" errors="${c.error}" skipped="${skipped.length}" time="${secs(wallMs)}"`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${esc(name)}" ${counts}>`,
    `  <testsuite name="${esc(name)}" ${counts}>`,
  ];
  const attrs = (id: string, ms: number) => {
    const slash = id.lastIndexOf('/');
    return `classname="${esc(slash > 0 ? id.slice(0, slash).replace(/\//g, '.') : name)}" name="${esc(id)}" time="${secs(ms)}"`;
  };
  for (const o of outcomes) {
    if (o.result === 'pass') {
      lines.push(`    <testcase ${attrs(o.id, o.ms)}/>`);
      continue;
    }
    const tag = o.result === 'error' ? 'error' : 'failure';
    lines.push(`    <testcase ${attrs(o.id, o.ms)}>`);
    lines.push(`      <${tag} type="${o.result}" message="${esc(o.reason)}">${esc(o.log ? `log: ${o.log}` : o.reason)}</${tag}>`);
    lines.push('    </testcase>');
  }
  for (const id of skipped) {
    lines.push(`    <testcase ${attrs(id, 0)}>`, '      <skipped/>', '    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

export function writeJunit(path: string, name: string, outcomes: readonly TestOutcome[], wallMs: number, skipped: readonly string[] = []): void {
  writeFileSync(path, junitXml(name, outcomes, wallMs, skipped));
}

function secs(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** XML 1.0 text: escape markup, drop characters XML cannot carry at all. */
export function esc(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
