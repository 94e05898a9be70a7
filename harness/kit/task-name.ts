// Task names become file names inside current_tasks/, so they are checked before any I/O:
// nothing outside this alphabet can reach the file system or a commit.
import { UsageError } from './errors.js';

export const TASK_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,79}$/;
export const LOCK_DIR = 'current_tasks';

export function validateTaskName(name: unknown): string {
  const s = typeof name === 'string' ? name : String(name ?? '');
  if (TASK_NAME_RE.test(s)) return s;
  throw new UsageError('BAD_TASK_NAME', `invalid task name ${describe(s)}: ${whyInvalid(s)}; use 1-80 characters of a-z 0-9 . _ - starting with a letter or digit, e.g. "fix-parser-crash"`);
}

function describe(s: string): string {
  const shown = s.length > 40 ? s.slice(0, 40) + '…' : s;
  return JSON.stringify(shown);
}

function whyInvalid(s: string): string {
  if (s.length === 0) return 'it is empty';
  if (s.length > 80) return `it is ${s.length} characters long`;
  if (/[A-Z]/.test(s)) return 'it has upper-case letters';
  if (s.includes('/') || s.includes('\\')) return 'it contains a path separator';
  if (/\s/.test(s)) return 'it contains white space';
  if (!/^[a-z0-9]/.test(s)) return `it starts with "${s[0]}"`;
  return 'it contains characters outside a-z 0-9 . _ -';
}

export function lockPath(task: string): string {
  return `${LOCK_DIR}/${task}.txt`;
}

/** The task a path under current_tasks/ names, or null for README.md and other files. */
export function taskOfFile(fileName: string): string | null {
  if (!fileName.endsWith('.txt')) return null;
  const t = fileName.slice(0, -4);
  return TASK_NAME_RE.test(t) ? t : null;
}
