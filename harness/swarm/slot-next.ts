// A slot's next step, decided from plain data: the slot loop (slot-loop.ts) asks, carries
// the action out, and asks again, so every wait ends in a fresh look at the run (a Ctrl-C,
// a cap or --until during a backoff is seen before anything starts). Time is passed in:
// a test walks a slot through a night of backoffs and resets without waiting for any.
import type { RateLimit } from '../events/log.js';
import { backoffDelay, nextStreak, type BackoffPolicy } from './backoff.js';
import { agentCapHit, swarmCapHit, type Caps, type CapHit, type Tally } from './budget.js';
import { decideNext, type Decision } from './schedule.js';
import type { Until } from './until.js';

export interface SlotState {
  agent: string;
  /** fast failures in a row */
  streak: number;
  /** sessions in a row that found nothing to do (no commit landed, no claim made) */
  idle: number;
  /** the backoff or idle wait its last session earned is behind it */
  rested: boolean;
}

export interface RunState {
  /** a second Ctrl-C: nothing more happens, not even a save */
  immediate: boolean;
  stopping: boolean;
  /** sessions started so far, over all slots */
  started: number;
  /** for `--until done`: the work is finished */
  done: boolean;
  /** a usage limit is per account and every slot shares the credentials: no slot starts before this */
  pausedUntil: number;
  tally: Tally;
  /** the swarm-wide cap that ended the run, once reached */
  capHit: CapHit | null;
}

export interface SlotPolicy extends Caps {
  until: Until;
  backoff: BackoffPolicy;
  idle: Pick<BackoffPolicy, 'baseMs' | 'capMs'>;
}

export type SlotAction =
  | { do: 'exit' }
  /** the run starts no more sessions */
  | { do: 'end'; why: Extract<Decision, { start: false }>['why'] }
  /** this slot reached a per-agent cap: it starts no more sessions */
  | { do: 'cap'; hit: CapHit }
  | { do: 'backoff'; delayMs: number; streak: number }
  /** wait, waking early when upstream main moves */
  | { do: 'idle'; delayMs: number; streak: number }
  /** hold until a usage limit's reset */
  | { do: 'wait'; ms: number }
  | { do: 'start' };

export function nextAction(slot: SlotState, run: RunState, p: SlotPolicy, now: number): SlotAction {
  if (run.immediate) return { do: 'exit' };
  const d = decideNext({ stopping: run.stopping, started: run.started, maxSessions: p.maxSessions, until: p.until, now, done: run.done });
  if (!d.start) return { do: 'end', why: d.why };
  const hit = agentCapHit(run.tally, p, slot.agent);
  if (hit) return { do: 'cap', hit };
  if (!slot.rested) {
    const delayMs = backoffDelay(slot.streak, p.backoff);
    if (delayMs > 0) return { do: 'backoff', delayMs, streak: slot.streak };
    // no paid empty loops: after sessions that found nothing to do, wait, doubling to a cap
    if (slot.idle > 0) return { do: 'idle', delayMs: backoffDelay(slot.idle, p.idle), streak: slot.idle };
  }
  if (run.pausedUntil > now) return { do: 'wait', ms: run.pausedUntil - now };
  return { do: 'start' };
}

/** How a session went, as the slot counts it; null: it could not run at all. */
export interface Ended {
  code: number | null;
  durationMs: number;
  rateLimit: RateLimit | null;
  idle: boolean;
}

/** What a session's end changes: the slot, a usage-limit pause, a swarm-wide cap reached, whether to ask if the work is done. */
export interface Settled {
  slot: SlotState;
  pause: { until: number; reported: boolean; message: string } | null;
  /** a swarm-wide cost or token cap, newly reached: the run stops (sessions are nextAction's) */
  cap: CapHit | null;
  /** `--until done`: ask now whether the work is finished */
  judgeDone: boolean;
}

/**
 * After a session (its usage already in the tally). A usage limit pauses every slot until
 * the agent's reported reset, or when it gave none, for the backoff of its streak; a
 * reported reset replaces the backoff, so after it the slot starts afresh.
 */
export function settle(slot: SlotState, r: Ended | null, run: RunState, p: SlotPolicy, now: number): Settled {
  let streak = nextStreak(slot.streak, r ?? { code: null, durationMs: 0 }, p.backoff);
  const idle = r?.idle && streak === 0 ? slot.idle + 1 : 0;
  let pause = null;
  if (r?.rateLimit) {
    const reported = r.rateLimit.until !== null && r.rateLimit.until > now;
    pause = { until: reported ? r.rateLimit.until! : now + backoffDelay(Math.max(1, streak), p.backoff), reported, message: r.rateLimit.message };
    if (reported) streak = 0;
  }
  const hit = run.capHit || run.stopping ? null : swarmCapHit(run.tally, { ...p, maxSessions: null });
  return { slot: { ...slot, streak, idle, rested: false }, pause, cap: hit, judgeDone: p.until.kind === 'done' && !run.done && !run.stopping && !hit };
}
