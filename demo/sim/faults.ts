// Faults planned for particular sessions (the endurance benchmark draws them from its seed
// and writes them to a file the sim reads with --sim-faults). A planned fault replaces the
// sim's own dice for that session, so a run's faults are exactly the plan's.
import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from '../../harness/kit/errors.js';

export type SessionFault =
  /** dies mid-task with dirty work and a live claim (as --sim-crash) */
  | { kind: 'crash' }
  /** also breaks a finished task's line (as --sim-regress) */
  | { kind: 'regress' }
  /** claims a task, then never returns: the session timeout has to end it */
  | { kind: 'hang' }
  /** reports a usage limit that resets `resetInMs` from now, the way Claude Code does, and exits */
  | { kind: 'ratelimit'; resetInMs: number };

export interface FaultFile {
  v: 1;
  /** by `<agent>/<session>`, e.g. `agent-3/17` */
  sessions: Record<string, SessionFault>;
}

const KINDS = ['crash', 'regress', 'hang', 'ratelimit'];

/** Pure: the file's JSON checked; one UsageError naming the first bad entry. */
export function parseFaultFile(json: unknown, file: string): FaultFile {
  const bad = (why: string) => new UsageError('SIM_FAULTS', `sim: ${file}: ${why}; expected {"v":1,"sessions":{"agent-1/3":{"kind":"crash"}}}`);
  if (!json || typeof json !== 'object' || (json as FaultFile).v !== 1) throw bad('not a version 1 fault file');
  const sessions = (json as FaultFile).sessions;
  if (!sessions || typeof sessions !== 'object') throw bad('no "sessions" object');
  for (const [key, f] of Object.entries(sessions)) {
    if (!/^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/.test(key)) throw bad(`"${key}" is not AGENT/SESSION`);
    if (!f || !KINDS.includes(f.kind)) throw bad(`${key}: kind must be one of ${KINDS.join(', ')}`);
    if (f.kind === 'ratelimit' && !(Number.isFinite(f.resetInMs) && f.resetInMs > 0)) throw bad(`${key}: a ratelimit needs resetInMs > 0`);
  }
  return json as FaultFile;
}

export function readFaultFile(file: string): FaultFile {
  if (!existsSync(file)) throw new UsageError('SIM_FAULTS', `sim: --sim-faults ${file}: no such file`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError('SIM_FAULTS', `sim: --sim-faults ${file}: not JSON (${(e as Error).message})`);
  }
  return parseFaultFile(json, file);
}

export function faultFor(plan: FaultFile | null, agent: string, session: string): SessionFault | null {
  return plan?.sessions[`${agent}/${session}`] ?? null;
}
