// Turning a finished process into a result and a reason an agent can act on without
// opening the log: `expected "42" got "41" at line 3`, `exit 139 (SIGSEGV)`,
// `timeout after 10s`. Pure: the shell reads the files and hands over strings.
import { constants } from 'node:os';
import type { Result } from './types.js';

export type JudgeKind = 'exit' | 'stdout' | 'output';

// First name wins: SIGABRT is listed before its alias SIGIOT, SIGIO before SIGPOLL.
const SIGNAL_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(constants.signals)) if (!SIGNAL_NAMES.has(n as number)) SIGNAL_NAMES.set(n as number, name);

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | string | null;
}

/** `exit 139 (SIGSEGV)`, whether the signal reached us directly or through `sh -c`. */
export function describeExit(e: ExitInfo): { code: number; crashed: boolean; text: string } {
  if (e.signal) {
    const n = (constants.signals as Record<string, number>)[e.signal] ?? 0;
    return { code: 128 + n, crashed: true, text: `exit ${128 + n} (${e.signal})` };
  }
  const code = e.code ?? 0;
  // A shell reports a child killed by signal N as 128+N.
  const name = code > 128 && code < 160 ? SIGNAL_NAMES.get(code - 128) : undefined;
  if (name) return { code, crashed: true, text: `exit ${code} (${name})` };
  return { code, crashed: false, text: `exit ${code}` };
}

export interface Difference {
  /** 1-based */
  line: number;
  /** 1-based; 1 when the lines differ from the start */
  col: number;
  /** null = that side ended */
  expected: string | null;
  actual: string | null;
}

/** The first differing line, ignoring only a missing or extra final newline. */
export function firstDifference(expected: string, actual: string): Difference | null {
  const e = stripFinalNewline(expected);
  const a = stripFinalNewline(actual);
  if (e === a) return null;
  const el = e === '' ? [] : e.split('\n');
  const al = a === '' ? [] : a.split('\n');
  const n = Math.max(el.length, al.length);
  for (let i = 0; i < n; i++) {
    const x = el[i];
    const y = al[i];
    if (x === y) continue;
    let col = 0;
    if (x !== undefined && y !== undefined) while (col < x.length && x[col] === y[col]) col++;
    return { line: i + 1, col: col + 1, expected: x ?? null, actual: y ?? null };
  }
  return null;
}

function stripFinalNewline(s: string): string {
  return s.endsWith('\r\n') ? s.slice(0, -2) : s.endsWith('\n') ? s.slice(0, -1) : s;
}

const SNIPPET = 40;

/** `expected "42" got "41" at line 3`, windowed around the first differing column. */
export function describeDifference(d: Difference): string {
  const from = d.col > SNIPPET / 2 ? d.col - 11 : 0;
  const show = (s: string | null) => (s === null ? 'end of output' : quote(s, from));
  const where = from > 0 ? `at line ${d.line} col ${d.col}` : `at line ${d.line}`;
  return `expected ${show(d.expected)} got ${show(d.actual)} ${where}`;
}

/** A JSON-quoted excerpt, so tabs, CRs and NULs are visible. */
export function quote(s: string, from = 0): string {
  let t = s.slice(from, from + SNIPPET);
  const more = s.length > from + SNIPPET;
  t = JSON.stringify(t).slice(1, -1);
  return `"${from > 0 ? '…' : ''}${t}${more ? '…' : ''}"`;
}

/** The last non-empty line of a log tail, for reasons that have nothing better. */
export function lastLine(tail: string): string | undefined {
  const lines = tail.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!.trim();
    if (l) return l;
  }
  return undefined;
}

export interface JudgeInput {
  judge: JudgeKind;
  /** null = the exit code is not judged */
  expectExit: number | null;
  exit: ExitInfo;
  timedOut: boolean;
  timeoutSec: number;
  /** could not start at all */
  spawnError?: string;
  /** for stdout/output judges; null = the expected file is missing */
  expected?: string | null;
  expectedPath?: string;
  /** what the test printed (possibly cut after expected.length + a margin) */
  actual?: string;
  /** the end of the log, for the last line of a failing test */
  tail?: string;
}

export function judge(i: JudgeInput): { result: Result; reason: string } {
  if (i.spawnError) return { result: 'error', reason: `could not start: ${i.spawnError}` };
  if (i.timedOut) return { result: 'timeout', reason: `timeout after ${formatSeconds(i.timeoutSec)}` };
  const ex = describeExit(i.exit);
  const said = i.tail !== undefined ? lastLine(i.tail) : undefined;
  const withLast = (s: string) => (said ? `${s}: ${quote(said)}` : s);
  if (ex.crashed) return { result: 'crash', reason: withLast(ex.text) };
  const exitOk = i.expectExit === null || ex.code === i.expectExit;
  if (i.judge !== 'exit') {
    if (i.expected === null || i.expected === undefined) {
      return { result: 'error', reason: `no expected output (create ${i.expectedPath ?? 'the expected file'})` };
    }
    const d = firstDifference(i.expected, i.actual ?? '');
    if (d) {
      const reason = describeDifference(d);
      return { result: 'fail', reason: exitOk ? reason : `${reason}; ${ex.text}` };
    }
  }
  if (!exitOk) {
    const want = i.expectExit === 0 ? '' : ` (expected exit ${i.expectExit})`;
    return { result: 'fail', reason: withLast(`${ex.text}${want}`) };
  }
  return { result: 'pass', reason: '' };
}

export function formatSeconds(s: number): string {
  return `${Number.isInteger(s) ? s : Number(s.toFixed(2))}s`;
}
