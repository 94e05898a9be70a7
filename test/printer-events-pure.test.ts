// The printer hears the run through the bus: each event prints the line it printed when it
// was called beside every emit (the wording is pinned here), and the log holds every event
// before a line about it appears.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLog, type SwarmEvent } from '../harness/events/log.js';
import { RunBus } from '../harness/swarm/bus.js';
import { plainPrinter, printEvents } from '../harness/swarm/printer.js';

const now = () => new Date('2026-01-05T09:08:07Z');
const heard = (events: SwarmEvent[], run = { hard: false, graceMs: 30_000 }) => {
  const lines: string[] = [];
  const hear = printEvents(plainPrinter((l) => lines.push(l), now), run);
  for (const event of events) hear({ event });
  return lines;
};
const R = { run: 'r1' };
const usage = { costUsd: 0.125, inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheCreationTokens: 0, numTurns: 1, isError: false, subtype: 'success' };

describe('printEvents', () => {
  const rows: [SwarmEvent, string | null][] = [
    [{ type: 'run_start', ...R, agents: 2, agent: 'sim', sandbox: 'process', upstream: '/u', takeover: false }, null],
    [{ type: 'run_end', ...R, reason: 'done', sessions: 3 }, null],
    [{ type: 'session_placed', ...R, agent: 'agent-1', session: '1', host: 'h', job: null }, null],
    [{ type: 'session_start', ...R, agent: 'agent-1', session: '4', log: 'agent_logs/agent-1/4-abc.log', head: 'abc' }, '09:08:07 agent-1 session 4 started (log agent_logs/agent-1/4-abc.log)'],
    [{ type: 'session_end', ...R, agent: 'agent-1', session: '4', exit: 0, signal: null, durationMs: 65_000, timedOut: false, stopped: false, usage }, '09:08:07 agent-1 session 4 ended: exit 0 after 1m, $0.13'],
    [{ type: 'session_error', ...R, agent: 'agent-2', session: '7', error: 'spawn bwrap ENOENT', phase: 'start' }, '09:08:07 agent-2 session 7 could not start: spawn bwrap ENOENT'],
    [{ type: 'session_error', ...R, agent: 'agent-2', session: null, error: 'cannot fetch upstream' }, '09:08:07 agent-2: cannot fetch upstream'],
    [{ type: 'backoff', ...R, agent: 'agent-1', streak: 1, delayMs: 500 }, '09:08:07 agent-1: 1 fast failure in a row; waiting 500ms before the next session'],
    [{ type: 'backoff', ...R, agent: 'agent-1', streak: 3, delayMs: 40_000 }, '09:08:07 agent-1: 3 fast failures in a row; waiting 40s before the next session'],
    [{ type: 'idle', ...R, agent: 'agent-3', streak: 1, delayMs: 30_000 }, '09:08:07 agent-3: idle (1 session with nothing to do); next session in 30s or when main moves'],
    [{ type: 'idle', ...R, agent: 'agent-3', streak: 2, delayMs: 60_400 }, '09:08:07 agent-3: idle (2 sessions with nothing to do); next session in 60s or when main moves'],
    [{ type: 'rate_limited', ...R, agent: 'agent-1', until: '2026-01-05T10:00:00.000Z', reported: true, message: 'x' }, '09:08:07 agent-1: hit a usage/rate limit; no session starts before 2026-01-05T10:00:00.000Z (its reported reset)'],
    [{ type: 'rate_limited', ...R, agent: 'agent-1', until: '2026-01-05T09:09:00.000Z', reported: false, message: 'x' }, '09:08:07 agent-1: hit a usage/rate limit; no session starts before 2026-01-05T09:09:00.000Z (backing off; it gave no reset time)'],
    [{ type: 'budget_reached', ...R, agent: 'agent-2', cap: 'max-sessions-per-agent', limit: 2, used: 2 }, '09:08:07 agent-2: reached --max-sessions-per-agent (2 of 2); this slot starts no more sessions'],
    [{ type: 'budget_reached', ...R, agent: null, cap: 'max-cost', limit: 1, used: 1.2 }, '09:08:07 reached --max-cost: no new sessions; running ones finish'],
    [{ type: 'stalled', ...R, sinceMs: 600_400, action: 'warn' }, '09:08:07 warning: no task done and the pass rate not rising for 600s (--stall-after)'],
    [{ type: 'stalled', ...R, sinceMs: 600_400, action: 'stop' }, '09:08:07 stalled: no task done and the pass rate not rising for 600s (--stall-after); no new sessions'],
    [{ type: 'claims_released', ...R, agent: 'agent-1', session: '4', tasks: ['a', 'b'] }, '09:08:07 agent-1: released a, b (abandoned by its session)'],
    [{ type: 'claims_reaped', ...R, tasks: ['a'], why: 'ttl' }, '09:08:07 reaped a (older than the lock TTL, owner not running)'],
    [{ type: 'claims_reaped', ...R, tasks: ['a'], why: 'heartbeat' }, "09:08:07 reaped a (its run's heartbeat stopped)"],
    [{ type: 'claims_reaped', ...R, tasks: ['a', 'b'], why: 'takeover' }, "09:08:07 reaped a, b (the previous run's)"],
    [{ type: 'wip_saved', ...R, agent: 'agent-1', session: '4', ref: 'refs/heads/wip/agent-1/4', commit: 'c', files: 1, commits: 2 }, '09:08:07 agent-1: saved leftover work (1 file, 2 commits) to wip/agent-1/4'],
    [{ type: 'wip_error', ...R, agent: 'agent-1', error: 'disk full' }, '09:08:07 agent-1: disk full'],
    [{ type: 'wip_error', ...R, agent: 'agent-1', session: '4', error: 'disk full' }, '09:08:07 agent-1: its session could not save its work where it ran: disk full'],
    [{ type: 'orphan_removed', ...R, agent: 'agent-1', container: 'harness-x' }, '09:08:07 agent-1: removed container harness-x, left running by a previous run'],
  ];
  it.each(rows.map(([e, line], i) => [`${e.type} #${i}`, e, line] as const))('%s', (_name, e, line) => {
    expect(heard([e])).toEqual(line === null ? [] : [line]);
  });
  it('a swarm-wide cap with --hard says how long running sessions get', () => {
    expect(heard([{ type: 'budget_reached', ...R, agent: null, cap: 'max-tokens', limit: 10, used: 12 }], { hard: true, graceMs: 45_000 })).toEqual(['09:08:07 reached --max-tokens: no new sessions; running ones get 45s, then are stopped (--hard)']);
  });
});

describe('RunBus', () => {
  it('appends each event before any subscriber hears it; notes reach subscribers, not the log', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'bus-')), 'events.jsonl');
    const bus = new RunBus(new EventLog(file, now));
    const seen: string[] = [];
    bus.subscribe((m) => seen.push('note' in m ? `note ${m.note} (log has ${readFileSync(file, 'utf8').split('\n').length - 1})` : `${m.event.type} (log has ${readFileSync(file, 'utf8').split('\n').length - 1})`));
    bus.emit({ type: 'run_start', ...R, agents: 1, agent: 'sim', sandbox: 'process', upstream: '/u', takeover: false });
    bus.note('hello');
    bus.emit({ type: 'run_end', ...R, reason: 'done', sessions: 0 });
    expect(seen).toEqual(['run_start (log has 1)', 'note hello (log has 1)', 'run_end (log has 2)']);
  });
});
