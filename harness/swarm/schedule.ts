// Whether a slot may start another session. Pure: the loop passes in what it knows.
import type { Until } from './config.js';

export interface ScheduleState {
  stopping: boolean;
  /** sessions started so far in this run, over all slots */
  started: number;
  maxSessions: number | null;
  until: Until;
  now: number;
  /** for `until: done`: the work is finished */
  done: boolean;
}

export type Decision = { start: true } | { start: false; why: 'stopping' | 'max-sessions' | 'until-time' | 'done' };

export function decideNext(s: ScheduleState): Decision {
  if (s.stopping) return { start: false, why: 'stopping' };
  if (s.maxSessions !== null && s.started >= s.maxSessions) return { start: false, why: 'max-sessions' };
  if (s.until.kind === 'time' && s.now >= s.until.at) return { start: false, why: 'until-time' };
  if (s.until.kind === 'done' && s.done) return { start: false, why: 'done' };
  return { start: true };
}

/** How often to look for stale claims: often enough to free a dead claim soon after its TTL, at most every minute. */
export function reapIntervalMs(lockTtlMs: number): number {
  return Math.max(1000, Math.min(60_000, Math.floor(lockTtlMs / 4)));
}
