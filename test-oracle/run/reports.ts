// Files for machines: --json for scripts and agents that parse, --junit for CI systems.
import { writeFileSync } from 'node:fs';
import type { TestOutcome } from '../core/types.js';
import { countResults } from '../core/records.js';

export interface RunFacts {
  commit: string | null;
  seed: string;
  pct: number;
  mode: string;
  total: number;
  wallMs: number;
}

export function writeJson(path: string, f: RunFacts, outcomes: readonly TestOutcome[]): void {
  const counts = countResults(outcomes);
  const doc = {
    version: 1,
    ...f,
    selected: outcomes.length,
    counts,
    passRate: outcomes.length ? counts.pass / outcomes.length : null,
    tests: outcomes.map((o) => ({ id: o.id, result: o.result, reason: o.reason, ms: Math.round(o.ms), log: o.log })),
  };
  writeFileSync(path, JSON.stringify(doc, null, 1) + '\n');
}

export function junitXml(name: string, outcomes: readonly TestOutcome[], wallMs: number): string {
  const c = countResults(outcomes);
  const failures = c.fail + c.crash + c.timeout;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${esc(name)}" tests="${outcomes.length}" failures="${failures}" errors="${c.error}" time="${secs(wallMs)}">`,
    `  <testsuite name="${esc(name)}" tests="${outcomes.length}" failures="${failures}" errors="${c.error}" skipped="0" time="${secs(wallMs)}">`,
  ];
  for (const o of outcomes) {
    const slash = o.id.lastIndexOf('/');
    const attrs = `classname="${esc(slash > 0 ? o.id.slice(0, slash).replace(/\//g, '.') : name)}" name="${esc(o.id)}" time="${secs(o.ms)}"`;
    if (o.result === 'pass') {
      lines.push(`    <testcase ${attrs}/>`);
      continue;
    }
    const tag = o.result === 'error' ? 'error' : 'failure';
    lines.push(`    <testcase ${attrs}>`);
    lines.push(`      <${tag} type="${o.result}" message="${esc(o.reason)}">${esc(o.log ? `log: ${o.log}` : o.reason)}</${tag}>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

export function writeJunit(path: string, name: string, outcomes: readonly TestOutcome[], wallMs: number): void {
  writeFileSync(path, junitXml(name, outcomes, wallMs));
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
