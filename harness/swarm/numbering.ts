// Session numbers and log names. A session's log is `<n>-<shortsha>.log`; n grows per agent
// across runs and resumes, so a new session never overwrites an old log even when HEAD has
// not moved (the flaw of the original bash loop, which named logs by commit only).

const LOG_RE = /^(\d+)-[0-9a-f]*\.log$/;

/** The number after the highest one among an agent's existing log files (1 for none). */
export function nextSessionNumber(logNames: Iterable<string>, atLeast = 1): number {
  let max = 0;
  for (const name of logNames) {
    const m = LOG_RE.exec(name);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return Math.max(max + 1, atLeast);
}

export function logName(n: number, headSha: string | null): string {
  return `${n}-${(headSha ?? '').slice(0, 7) || 'empty'}.log`;
}

/** Slot i's agent id (1-based): agent-1, agent-2, ... */
export function agentId(i: number): string {
  return `agent-${i}`;
}

/** Where a session's leftover work goes on upstream; `attempt` > 1 when that ref exists. */
export function wipRef(agent: string, session: string, attempt = 1): string {
  return `refs/heads/wip/${agent}/${session}${attempt > 1 ? `-${attempt}` : ''}`;
}
