// The slot loop: the I/O shell around nextAction (slot-next.ts). It asks what to do, does it
// (waits, starts a session, records how it went), and asks again, until the answer is to
// stop; then it leaves nothing unsaved. Waits are cut short by a stop (slot.wake).
import { HarnessError } from '../kit/errors.js';
import { GitFailure } from '../kit/git.js';
import { addStart } from './budget.js';
import type { RunBus } from './bus.js';
import type { FullSuiteRun } from './done.js';
import type { LockGit, RunFlags, Slot, StopMode, StopReason, SupervisorDeps } from './run-deps.js';
import { nextAction, settle, type Ended } from './slot-next.js';

export interface LoopDeps {
  d: SupervisorDeps;
  bus: RunBus;
  flags: RunFlags;
  lock: LockGit;
  launch: (slot: Slot) => Promise<Ended>;
  /** saves leftover work and resets the workspace (the janitor's) */
  save: (slot: Slot) => Promise<unknown>;
  stop: (mode: StopMode, reason: StopReason) => void;
  fullRun: FullSuiteRun;
}

export async function runSlot(x: LoopDeps, slot: Slot): Promise<void> {
  const { d, bus, flags } = x;
  const c = d.config;
  const now = () => d.now().getTime();
  for (;;) {
    const a = nextAction(slot, flags, c, now());
    if (a.do === 'exit') break;
    if (a.do === 'end') {
      flags.reason ??= a.why;
      if (a.why === 'until-time') x.stop('graceful', 'until-time');
      break;
    }
    if (a.do === 'cap') {
      slot.capped = a.hit;
      bus.emit({ type: 'budget_reached', run: d.runId, agent: slot.agent, cap: a.hit.cap, limit: a.hit.limit, used: a.hit.used });
      break;
    }
    if (a.do === 'backoff') {
      bus.emit({ type: 'backoff', run: d.runId, agent: slot.agent, streak: a.streak, delayMs: a.delayMs });
      await sleep(slot, a.delayMs);
      slot.rested = true;
    } else if (a.do === 'idle') {
      bus.emit({ type: 'idle', run: d.runId, agent: slot.agent, streak: a.streak, delayMs: a.delayMs });
      await idleWait(x, slot, a.delayMs);
      slot.rested = true;
    } else if (a.do === 'wait') await sleep(slot, a.ms);
    else await oneSession(x, slot);
  }
  if (!flags.immediate) await x.save(slot).catch(() => {}); // Ctrl-C or the end: leave nothing unsaved
}

async function oneSession(x: LoopDeps, slot: Slot): Promise<void> {
  const { d, bus, flags } = x;
  const c = d.config;
  flags.started++;
  addStart(flags.tally, slot.agent);
  const r = await x.launch(slot).catch((e: Error) => {
    // The supervisor's own fault (its files, a bug) stops the run; a session that could not run (upstream down, a timeout) backs off.
    if (!(e instanceof HarnessError) && !(e instanceof GitFailure)) throw e;
    bus.emit({ type: 'session_error', run: d.runId, agent: slot.agent, session: slot.session?.id ?? null, error: e.message });
    return null;
  });
  slot.session = null;
  const next = settle(slot, r, flags, c, d.now().getTime());
  ({ streak: slot.streak, idle: slot.idle, rested: slot.rested } = next.slot);
  if (next.pause) {
    const { until, reported, message } = next.pause;
    flags.pausedUntil = Math.max(flags.pausedUntil, until);
    bus.emit({ type: 'rate_limited', run: d.runId, agent: slot.agent, until: new Date(until).toISOString(), reported, message });
  }
  if (next.cap) {
    flags.capHit = next.cap;
    bus.emit({ type: 'budget_reached', run: d.runId, agent: null, cap: next.cap.cap, limit: next.cap.limit, used: next.cap.used });
    x.stop(c.hard ? 'graceful' : 'drain', 'budget');
  }
  if (next.judgeDone && d.isDone) {
    flags.done = await d.isDone(x.fullRun).catch((e: Error) => {
      bus.note(`until done: could not judge: ${e.message}`);
      return false;
    });
    if (flags.done) x.stop('graceful', 'done');
  }
}

function sleep(slot: Slot, ms: number): Promise<void> {
  return new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    slot.wake = () => (clearTimeout(t), r());
  }).finally(() => (slot.wake = null));
}

/** The idle wait ends early when upstream main moves: new work may be there. */
async function idleWait(x: LoopDeps, slot: Slot, delayMs: number): Promise<void> {
  const now = () => x.d.now().getTime();
  const start = await mainHead(x.lock).catch(() => null);
  const end = now() + delayMs;
  while (!x.flags.stopping && now() < end) {
    await sleep(slot, Math.min(2000, end - now()));
    const head = await mainHead(x.lock).catch(() => null);
    if (start !== null && head !== null && head !== start) return;
  }
}

async function mainHead(lg: LockGit): Promise<string | null> {
  if (lg.inPlace) return lg.git.revParse('refs/heads/main');
  const r = await lg.git.run(['ls-remote', 'origin', 'refs/heads/main']);
  return r.code === 0 ? r.stdout.split('\t')[0] || null : null;
}
