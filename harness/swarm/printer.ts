// Everything `harness run` prints while it runs: sparse plain lines, one per thing that
// happened. One module, so a live view can replace it later without touching the loop.
import { formatAge } from '../kit/duration.js';
import type { Usage } from '../events/log.js';
import type { Heard } from './bus.js';
import { formatCost } from './summary.js';
import { howEnded } from '../events/outcome.js';

export interface Printer {
  line(text: string): void;
  sessionStarted(agent: string, session: string, log: string): void;
  sessionEnded(agent: string, session: string, r: { exit: number | null; signal: string | null; durationMs: number; timedOut: boolean; stopped?: boolean; usage: Usage | null }): void;
  backoff(agent: string, delayMs: number, streak: number): void;
  released(agent: string, tasks: string[]): void;
  reaped(tasks: string[], why: string): void;
  wipSaved(agent: string, ref: string, files: number, commits: number): void;
  /** the live view's last frame; plain lines need nothing */
  close?(): void;
}

export function plainPrinter(out: (l: string) => void, now: () => Date): Printer {
  const stamp = () => now().toISOString().slice(11, 19);
  const say = (t: string) => out(`${stamp()} ${t}`);
  return {
    line: say,
    sessionStarted: (a, s, log) => say(`${a} session ${s} started (log ${log})`),
    sessionEnded: (a, s, r) => {
      const how = howEnded(r);
      const cost = r.usage?.costUsd != null ? `, ${formatCost(r.usage.costUsd)}` : '';
      say(`${a} session ${s} ended: ${how} after ${formatAge(r.durationMs)}${cost}`);
    },
    backoff: (a, ms, streak) => say(`${a}: ${streak} fast failure${streak > 1 ? 's' : ''} in a row; waiting ${ms < 1000 ? `${ms}ms` : formatAge(ms)} before the next session`),
    released: (a, tasks) => say(`${a}: released ${tasks.join(', ')} (abandoned by its session)`),
    reaped: (tasks, why) => say(`reaped ${tasks.join(', ')} (${why === 'ttl' ? 'older than the lock TTL, owner not running' : why === 'heartbeat' ? "its run's heartbeat stopped" : "the previous run's"})`),
    wipSaved: (a, ref, files, commits) => say(`${a}: saved leftover work (${files} file${files === 1 ? '' : 's'}, ${commits} commit${commits === 1 ? '' : 's'}) to ${ref.replace(/^refs\/heads\//, '')}`),
  };
}

/**
 * The printer as a subscriber of the run's bus: each event becomes the printer's call or
 * line for it; events people need not see (run start and end, placement) print nothing.
 * `hard` and `graceMs` are the run's, for what a swarm-wide cap means for running sessions.
 */
export function printEvents(p: Printer, run: { hard: boolean; graceMs: number }): (m: Heard) => void {
  return (m) => {
    if ('note' in m) return p.line(m.note);
    const e = m.event;
    switch (e.type) {
      case 'session_start':
        return p.sessionStarted(e.agent, e.session, e.log);
      case 'session_end':
        return p.sessionEnded(e.agent, e.session, e);
      case 'session_error':
        return p.line(e.phase === 'start' ? `${e.agent} session ${e.session} could not start: ${e.error}` : `${e.agent}: ${e.error}`);
      case 'backoff':
        return p.backoff(e.agent, e.delayMs, e.streak);
      case 'idle':
        return p.line(`${e.agent}: idle (${e.streak} session${e.streak === 1 ? '' : 's'} with nothing to do); next session in ${Math.round(e.delayMs / 1000)}s or when main moves`);
      case 'rate_limited':
        return p.line(`${e.agent}: hit a usage/rate limit; no session starts before ${e.until}${e.reported ? ' (its reported reset)' : ' (backing off; it gave no reset time)'}`);
      case 'budget_reached':
        if (e.agent !== null) return p.line(`${e.agent}: reached --${e.cap} (${e.used} of ${e.limit}); this slot starts no more sessions`);
        return p.line(`reached --${e.cap}: no new sessions; ${run.hard ? `running ones get ${Math.round(run.graceMs / 1000)}s, then are stopped (--hard)` : 'running ones finish'}`);
      case 'stalled': {
        const what = `no task done and the pass rate not rising for ${Math.round(e.sinceMs / 1000)}s (--stall-after)`;
        return p.line(e.action === 'warn' ? `warning: ${what}` : `stalled: ${what}; no new sessions`);
      }
      case 'claims_released':
        return p.released(e.agent, e.tasks);
      case 'claims_reaped':
        return p.reaped(e.tasks, e.why);
      case 'wip_saved':
        return p.wipSaved(e.agent, e.ref, e.files, e.commits ?? 0);
      case 'wip_error':
        return p.line(e.session !== undefined ? `${e.agent}: its session could not save its work where it ran: ${e.error}` : `${e.agent}: ${e.error}`);
      case 'orphan_removed':
        return p.line(`${e.agent}: removed container ${e.container}, left running by a previous run`);
    }
  };
}
