// How a session ended, said one way everywhere: the live lines, status, the live view, the
// run summary and the report all read a session_end through these.

interface Ended {
  exit: number | null;
  signal: string | null;
  timedOut: boolean;
  stopped?: boolean;
}

/** What happened to the process: 'timed out', 'killed by SIGTERM', 'exit 1'. */
export function howEnded(e: Omit<Ended, 'stopped'>): string {
  if (e.timedOut) return 'timed out';
  if (e.signal) return `killed by ${e.signal}`;
  return `exit ${e.exit}`;
}

/** The session's outcome for status: as howEnded, but a session the supervisor stopped says 'stopped'. */
export function exitText(e: Ended): string {
  if (e.stopped && !e.timedOut) return 'stopped';
  return howEnded(e);
}

/** Whether a session ended badly: a stop (Ctrl-C, end of run) is no crash; a timeout is. */
export function crashed(e: Omit<Ended, 'signal'>): boolean {
  return !e.stopped && (e.exit !== 0 || e.timedOut);
}
