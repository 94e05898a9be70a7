// The swarm's event log, `.swarm/events.jsonl`: one JSON object per line, appended, never
// rewritten, so a crash loses at most the line being written and a reader can tail it.
// Each append is one write(2) on an O_APPEND descriptor: lines never interleave.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

export interface Usage {
  costUsd: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheCreationTokens: number | null;
  numTurns: number | null;
  isError: boolean | null;
  /** the agent's own word on how it ended (claude: success, error_max_turns, ...) */
  subtype: string | null;
  /** the model the agent said it used (claude's init event, an assistant message), if any */
  model?: string | null;
  /** where costUsd came from: the agent's own report, or tokens priced from the price table */
  costSource?: 'agent' | 'table' | null;
  /** true when inputTokens already counts the cached ones (OpenAI); false/absent: Claude's split */
  inputIncludesCache?: boolean;
}

/** An agent's word that it hit a usage or rate limit; `until` is its reset time (ms), null when it gave none. */
export interface RateLimit {
  until: number | null;
  message: string;
}

/** How a session ended, as the supervisor saw it. */
export interface SessionResult {
  exit: number | null;
  signal: string | null;
  durationMs: number;
  timedOut: boolean;
  /** stopped by the supervisor (Ctrl-C, end of run), not by its own doing */
  stopped: boolean;
  usage: Usage | null;
  /** set when the agent reported a usage or rate limit */
  rateLimit?: RateLimit | null;
}

export type SwarmEvent =
  | { type: 'run_start'; run: string; agents: number; agent: string; sandbox: string; upstream: string; takeover: boolean }
  | { type: 'run_end'; run: string; reason: string; sessions: number }
  | { type: 'session_start'; run: string; agent: string; session: string; log: string; head: string | null; role?: string; messages?: number; host?: string }
  /** a remote session's entrypoint reported where it runs (the ssh host's or Slurm node's name, the job) */
  | { type: 'session_placed'; run: string; agent: string; session: string; host: string; job: string | null }
  | ({ type: 'session_end'; run: string; agent: string; session: string } & SessionResult)
  /** phase 'start': the session's sandbox or agent could not be started; absent: the slot failed around a session */
  | { type: 'session_error'; run: string; agent: string; session: string | null; error: string; phase?: 'start' }
  | { type: 'backoff'; run: string; agent: string; streak: number; delayMs: number }
  /** the slot's sessions found nothing to do (no commit landed, no claim made): it waits, waking early when main moves */
  | { type: 'idle'; run: string; agent: string; streak: number; delayMs: number }
  /** the agent hit a usage/rate limit; no session starts before `until` (ISO time) */
  | { type: 'rate_limited'; run: string; agent: string; until: string; reported: boolean; message: string }
  /** a --max-* cap was reached, for the whole swarm (agent null) or one slot */
  | { type: 'budget_reached'; run: string; agent: string | null; cap: string; limit: number; used: number }
  /** no task done and no rise in pass rate for --stall-after */
  | { type: 'stalled'; run: string; sinceMs: number; action: 'stop' | 'warn' }
  /** latencyMs: from when the removal was owed (the session's end) to the lock gone from main */
  | { type: 'claims_released'; run: string; agent: string; session: string; tasks: string[]; latencyMs?: number; attempts?: number }
  | { type: 'claims_reaped'; run: string; tasks: string[]; why: 'ttl' | 'takeover' | 'heartbeat'; latencyMs?: number; attempts?: number }
  /** leftover work landed on upstream; latencyMs from when it was saved (journaled); commits: those of the session not yet on upstream (absent in older logs) */
  | { type: 'wip_saved'; run: string; agent: string; session: string; ref: string; commit: string; files: number; commits?: number; latencyMs?: number }
  /** session: the session reported it from where it ran (a remote executor); absent: the supervisor's own salvage failed */
  | { type: 'wip_error'; run: string; agent: string; session?: string; error: string }
  /** a container a killed supervisor left running, removed by the run that took over */
  | { type: 'orphan_removed'; run: string; agent: string; container: string };

export type LoggedEvent = SwarmEvent & { ts: string };

export class EventLog {
  /** the first write that failed (disk full, read-only file); later failures are not reported again */
  failure: Error | null = null;

  constructor(
    readonly file: string,
    private readonly now: () => Date,
    /** told once when a line cannot be written: the supervisor stops the run; the event never crashes a slot */
    private readonly onError: (e: Error) => void = () => {},
  ) {}

  append(e: SwarmEvent): LoggedEvent {
    const logged = { ts: this.now().toISOString(), ...e } as LoggedEvent;
    try {
      appendFileSync(this.file, JSON.stringify(logged) + '\n');
    } catch (err) {
      if (!this.failure) {
        this.failure = err as Error;
        this.onError(err as Error);
      }
    }
    return logged;
  }
}

/** Every well-formed line of an event log; a torn last line (a crash mid-write) is skipped. */
export function readEvents(file: string): LoggedEvent[] {
  if (!existsSync(file)) return [];
  const out: LoggedEvent[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as LoggedEvent);
    } catch {
      /* torn line */
    }
  }
  return out;
}
