// `harness run` on a terminal: a compact live view (one line per agent slot and a totals
// line, redrawn in place) with only the notable lines (crashes, releases, reaps, wip,
// notes) scrolling above it. On a pipe the plain printer's sparse lines are used instead.
import { formatAge } from '../kit/duration.js';
import type { Printer } from './printer.js';
import { plainPrinter } from './printer.js';
import { formatCost } from './summary.js';
import { crashed, exitText } from '../events/outcome.js';

interface Slot {
  state: 'idle' | 'running' | 'backing off';
  session: string;
  since: number;
  until: number;
  sessions: number;
  last: string;
  cost: number;
}

export interface LivePrinter extends Printer {
  /** stops the clock; the last view stays on screen above whatever comes next */
  close(): void;
}

export function livePrinter(write: (s: string) => void, now: () => Date, columns: () => number, tickMs = 1000, roleOf: (agent: string) => string | null = () => null): LivePrinter {
  const slots = new Map<string, Slot>();
  const totals = { sessions: 0, crashed: 0, cost: 0 };
  let drawn = 0;
  const slot = (a: string) => {
    let s = slots.get(a);
    if (!s) slots.set(a, (s = { state: 'idle', session: '-', since: now().getTime(), until: 0, sessions: 0, last: '-', cost: 0 }));
    return s;
  };
  const fit = (l: string) => l.slice(0, Math.max(20, columns() - 1));
  const block = (): string[] => {
    const t = now().getTime();
    // grouped by role (slots without one last), as in harness status
    const role = (a: string) => roleOf(a) ?? '\uffff';
    const rows = [...slots.entries()].sort(([a], [b]) => role(a).localeCompare(role(b)) || a.localeCompare(b, 'en', { numeric: true }));
    const anyRole = rows.some(([a]) => roleOf(a));
    return [
      ...rows.map(([a, s]) => {
        const r = anyRole ? `${(roleOf(a) ?? '-').slice(0, 12).padEnd(12)} ` : '';
        const st = s.state === 'running' ? `running #${s.session} ${formatAge(t - s.since)}` : s.state === 'backing off' ? `backing off ${formatAge(s.until - t)}` : 'idle';
        return `${r}${a.padEnd(10)} ${st.padEnd(22)} sessions ${String(s.sessions).padStart(3)}  last ${s.last.padEnd(10)} ${formatCost(s.cost)}`;
      }),
      `${totals.sessions} sessions, ${totals.crashed} crashed, ${formatCost(totals.cost)} — harness status for more, Ctrl-C to stop`,
    ].map(fit);
  };
  // Cursor up to the block's first line; every line overwritten and cleared to its end,
  // the rest of the screen cleared: no blank frame, so no flicker.
  const home = () => (drawn > 0 ? `\x1b[${drawn}F` : '');
  const redraw = (above: string[] = []) => {
    const lines = [...above.map(fit), ...block()];
    write(home() + lines.map((l) => `${l}\x1b[K\n`).join('') + '\x1b[J');
    drawn = lines.length - above.length;
  };
  // Notable lines come from the plain printer, so both views word things the same.
  const plain = plainPrinter((l) => redraw([l]), now);
  const timer = setInterval(() => redraw(), tickMs);
  timer.unref();
  return {
    line: plain.line,
    sessionStarted: (a, s) => {
      const x = slot(a);
      Object.assign(x, { state: 'running', session: s, since: now().getTime() });
      x.sessions++;
      totals.sessions++;
      redraw();
    },
    sessionEnded: (a, s, r) => {
      const x = slot(a);
      x.state = 'idle';
      x.last = exitText(r);
      x.cost += r.usage?.costUsd ?? 0;
      totals.cost += r.usage?.costUsd ?? 0;
      if (crashed(r)) {
        totals.crashed++;
        plain.sessionEnded(a, s, r);
      } else redraw();
    },
    backoff: (a, ms, streak) => {
      Object.assign(slot(a), { state: 'backing off', until: now().getTime() + ms });
      plain.backoff(a, ms, streak);
    },
    released: plain.released,
    reaped: plain.reaped,
    wipSaved: plain.wipSaved,
    close: () => {
      clearInterval(timer);
      redraw();
    },
  };
}
