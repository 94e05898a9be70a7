// The run's timers: --until's deadline, the stall guard, the heartbeat, the reaper's sweep.
// Timers, so that the run ends on time and stays visible to others even while every slot
// sits in a long session. Each returns its cancel; what a timer decides is the caller's.
import type { RunBus } from './bus.js';
import type { Heartbeat } from './heartbeat.js';
import { armStallGuard, type Progress } from './stall.js';
import type { Until } from './until.js';

export interface Timer {
  cancel: () => void;
}

/** `--until TIME`: calls `onTime` at that time (at once when it has passed). */
export function armUntil(until: Until, now: () => number, onTime: () => void): Timer {
  let t: NodeJS.Timeout | undefined;
  const arm = () => {
    if (until.kind !== 'time') return;
    const left = until.at - now();
    if (left <= 0) return onTime();
    t = setTimeout(arm, Math.min(left, 2 ** 31 - 1)); // setTimeout's longest wait is ~24.8 days
  };
  arm();
  return { cancel: () => clearTimeout(t) };
}

/**
 * --stall-after: no task done and the pass rate not risen for that long. The `stalled`
 * event says whether the run only warns; with `stop`, `onStop` ends the run. Once the run
 * is stopping anyway, a stall is not news.
 */
export function armStall(o: { afterMs: number | null; action: 'stop' | 'warn'; read?: () => Promise<Progress>; now: () => number; bus: RunBus; runId: string; stopping: () => boolean; onStop: () => void }): Timer {
  const { afterMs, read } = o;
  if (afterMs === null || !read) return { cancel: () => {} };
  return armStallGuard({
    afterMs,
    now: o.now,
    read,
    onError: (e) => o.bus.note(`stall guard: could not read progress: ${e.message}`),
    onStall: (sinceMs) => {
      if (o.stopping()) return 'stop';
      o.bus.emit({ type: 'stalled', run: o.runId, sinceMs, action: o.action });
      if (o.action === 'warn') return 'warn';
      o.onStop();
      return 'stop';
    },
  });
}

/**
 * The run's heartbeat on the upstream, now and every `everyMs`; a failure is reported,
 * never fatal (other runs then fall back to the TTL). `stopped` resolves once cancelled and
 * the beat in flight has landed: removing the ref before it lands would bring it back.
 */
export function beatEvery(hb: Heartbeat, everyMs: number, now: () => Date, bus: RunBus): Timer & { stopped: Promise<void> } {
  let inFlight: Promise<void> | null = null;
  const beat = () => {
    inFlight ??= hb
      .beat(now())
      .catch((e: Error) => bus.note(`heartbeat: ${e.message}`))
      .finally(() => (inFlight = null));
  };
  beat();
  const timer = setInterval(beat, everyMs);
  let done: () => void = () => {};
  const stopped = new Promise<void>((r) => (done = r));
  return { cancel: () => (clearInterval(timer), void (inFlight ?? Promise.resolve()).then(() => done())), stopped };
}

export function every(ms: number, f: () => void): Timer {
  const t = setInterval(f, ms);
  return { cancel: () => clearInterval(t) };
}
