// Everything `harness run` prints while it runs: sparse plain lines, one per thing that
// happened. One module, so a live view can replace it later without touching the loop.
import { formatAge } from '../kit/duration.js';
import type { Usage } from '../events/log.js';
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
