// Applying a known solution from the bank. Edits are single lines keyed by their start:
// an edit replaces the line of its anchor's block that starts with its key, or goes
// right below the anchor.
// That makes applying idempotent and lets the same code re-apply a task's edits on top
// of someone else's version of a shared file, which is how the sim resolves conflicts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../harness/kit/errors.js';
import type { Edit, TaskSpec } from './spec/types.js';

/** What the sim reads from bank/<task>.json. */
export type BankEntry = Pick<TaskSpec, 'name' | 'title' | 'edits' | 'files' | 'regress'> & { tests: string[] };

export type EditResult = { text: string; change: 'inserted' | 'replaced' | 'unchanged' };

/**
 * Pure: `text` with `edit` applied. The key is looked up only in the anchor's block (from
 * the anchor to the first blank line or closing bracket), because the same key can start
 * lines of two tables in one file ('-' is both a binary and a unary operator). Throws
 * when the anchor is missing: the file is not the one the edit was written for.
 */
export function applyEdit(text: string, edit: Edit): EditResult {
  const lines = text.split('\n');
  const anchor = lines.findIndex((l) => l.includes(edit.anchor));
  if (anchor < 0) throw new UsageError('NO_ANCHOR', `${edit.path} has no line with "${edit.anchor}"; cannot place: ${edit.line.trim()}`);
  const key = edit.key.trim();
  for (let i = anchor + 1; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === '' || l.startsWith('}') || l.startsWith(']')) break;
    if (!l.startsWith(key)) continue;
    if (lines[i] === edit.line) return { text, change: 'unchanged' };
    lines[i] = edit.line;
    return { text: lines.join('\n'), change: 'replaced' };
  }
  lines.splice(anchor + 1, 0, edit.line);
  return { text: lines.join('\n'), change: 'inserted' };
}

/** Pure: every edit for `file` applied in order. */
export function applyEditsTo(text: string, file: string, edits: readonly Edit[]): string {
  return edits.filter((e) => e.path === file).reduce((t, e) => applyEdit(t, e).text, text);
}

/** Writes a solution's files and edits into a checkout; returns the paths it changed. */
export function applySolution(root: string, sol: Pick<BankEntry, 'edits' | 'files'>): string[] {
  const changed = new Set<string>();
  for (const [rel, content] of Object.entries(sol.files ?? {})) {
    const abs = path.join(root, rel);
    if (existsSync(abs) && readFileSync(abs, 'utf8') === content) continue;
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, content);
    changed.add(rel);
  }
  for (const file of [...new Set(sol.edits.map((e) => e.path))]) {
    const abs = path.join(root, file);
    const before = readFileSync(abs, 'utf8');
    const after = applyEditsTo(before, file, sol.edits);
    if (after !== before) {
      writeFileSync(abs, after);
      changed.add(file);
    }
  }
  return [...changed];
}

export function readBankEntry(bank: string, task: string): BankEntry {
  const f = path.join(bank, `${task}.json`);
  if (!existsSync(f)) throw new UsageError('NOT_IN_BANK', `no known solution for "${task}" in ${bank}`);
  return JSON.parse(readFileSync(f, 'utf8')) as BankEntry;
}
