// Plain data shared by the pure core and the I/O shell.

/** How one test ended. `crash` = killed by a signal; `error` = could not be judged. */
export const RESULTS = ['pass', 'fail', 'crash', 'timeout', 'error'] as const;
export type Result = (typeof RESULTS)[number];

export interface TestOutcome {
  /** path relative to the suite root, with `/` separators */
  id: string;
  result: Result;
  /** short and specific for anything but a pass: `exit 139 (SIGSEGV)` */
  reason: string;
  ms: number;
  /** log file, relative to where the run was started */
  log?: string;
}

export function isResult(x: unknown): x is Result {
  return typeof x === 'string' && (RESULTS as readonly string[]).includes(x);
}
