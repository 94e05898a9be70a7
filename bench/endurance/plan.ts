// The endurance run's fault schedule, drawn from the seed: which sessions crash, push a
// regression, hang or report a rate limit (the sim reads them from a file), and at which
// points of the run the supervisor is killed or the upstream goes away. Pure: the same
// options give the same plan. Durations are the full run's times multiplied by `scale`.
import type { FaultFile, SessionFault } from '../../demo/sim/faults.js';
import { mulberry32, sampleHash32 } from '../../harness/kit/hash.js';

export interface PlanOptions {
  seed: string;
  agents: number;
  sessions: number;
  /** multiplies every duration below; 1 is the full run */
  scale: number;
}

/** The full run's durations (scale 1). */
export const FULL = {
  outageMs: 120_000,
  sessionTimeoutMs: 180_000,
  rateLimitResetMs: 60_000,
  graceMs: 10_000,
  /** how long a killed supervisor stays down before it is started again */
  restartDelayMs: 2_000,
};

export const MIN_SESSION_TIMEOUT_MS = 90_000;

export const FRACTIONS = { crash: 0.1, regress: 0.05, hang: 0.01 };

export type RunEvent =
  | { kind: 'sigkill'; atSession: number }
  | { kind: 'sigterm'; atSession: number }
  | { kind: 'outage'; atSession: number; durationMs: number };

export interface Plan {
  faults: FaultFile;
  events: RunEvent[];
  durations: typeof FULL;
  /** how many sessions of each kind were planned */
  counts: Record<SessionFault['kind'], number>;
}

/** Pure: the whole plan. */
export function makePlan(o: PlanOptions): Plan {
  const rnd = mulberry32(sampleHash32('endurance-plan', `${o.seed}/${o.agents}/${o.sessions}`));
  const durations = Object.fromEntries(Object.entries(FULL).map(([k, v]) => [k, Math.max(1, Math.round(v * o.scale))])) as typeof FULL;
  // A short timeout kills healthy sessions on a loaded machine (a push waits for the gate), so it never goes below this.
  durations.sessionTimeoutMs = Math.max(MIN_SESSION_TIMEOUT_MS, durations.sessionTimeoutMs);
  // Sessions are numbered per agent from 1; each agent gets about sessions/agents of them.
  const perAgent = Math.ceil(o.sessions / o.agents);
  const keys: string[] = [];
  for (let n = 1; n <= perAgent; n++) for (let a = 1; a <= o.agents; a++) keys.push(`agent-${a}/${n}`);
  shuffle(keys, rnd);
  const sessions: Record<string, SessionFault> = {};
  const counts = { crash: 0, regress: 0, hang: 0, ratelimit: 0 };
  const take = (kind: 'crash' | 'regress' | 'hang', n: number) => {
    for (let i = 0; i < n && keys.length; i++) {
      sessions[keys.pop()!] = { kind };
      counts[kind]++;
    }
  };
  take('crash', Math.round(o.sessions * FRACTIONS.crash));
  take('regress', Math.round(o.sessions * FRACTIONS.regress));
  take('hang', Math.max(2, Math.round(o.sessions * FRACTIONS.hang)));
  // one rate limit, in the middle third of some agent's sessions
  const mid = keys.filter((k) => {
    const n = Number(k.split('/')[1]);
    return n > perAgent / 3 && n <= (2 * perAgent) / 3;
  });
  const rl = mid[Math.floor(rnd() * mid.length)] ?? keys[0];
  if (rl) {
    sessions[rl] = { kind: 'ratelimit', resetInMs: durations.rateLimitResetMs };
    counts.ratelimit = 1;
  }
  // Six run events, one per band of the run's sessions (10%..90%), in an order from the seed.
  const kinds: RunEvent['kind'][] = ['sigkill', 'sigkill', 'sigkill', 'sigterm', 'outage', 'outage'];
  shuffle(kinds, rnd);
  const band = 0.8 / kinds.length;
  const events = kinds.map((kind, i) => {
    const atSession = Math.max(1, Math.round(o.sessions * (0.1 + band * (i + 0.2 + 0.6 * rnd()))));
    return kind === 'outage' ? { kind, atSession, durationMs: durations.outageMs } : { kind, atSession };
  });
  return { faults: { v: 1, sessions }, events, durations, counts };
}

function shuffle<T>(xs: T[], rnd: () => number): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
}
