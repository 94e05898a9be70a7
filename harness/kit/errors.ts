// One error model for both executables. Every failure a user can cause or meet is one of
// these classes: a stable `code` (for scripts and tests to match), an exit code from the
// documented set, and a message that says what is wrong and how to fix it. Anything else
// that reaches the exit point is a bug and is reported as such.

export const EXIT = {
  ok: 0,
  /** the checked thing failed (a test, a gate, a conflict that needs a human) */
  failed: 1,
  /** bad usage or bad input */
  usage: 2,
  /** lost a race / held by someone else */
  held: 3,
  /** environment problem: git missing, upstream unreachable, sandbox unavailable */
  env: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0  ok',
  '  1  the checked thing failed (tests, gate, a conflict that needs a human)',
  '  2  bad usage or bad input (nothing was written)',
  '  3  lost a race / held by someone else',
  '  4  environment problem (git missing, upstream unreachable, sandbox unavailable)',
].join('\n');

export abstract class HarnessError extends Error {
  abstract readonly exitCode: ExitCode;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Exit 1: the thing being checked failed. */
export class CheckFailedError extends HarnessError {
  readonly exitCode = EXIT.failed;
}

/** Exit 2: the user asked for something malformed; nothing was written. */
export class UsageError extends HarnessError {
  readonly exitCode = EXIT.usage;
}

/** Exit 3: someone else holds it, or won the race for it. */
export class HeldError extends HarnessError {
  readonly exitCode = EXIT.held;
}

/** Exit 4: the machine or the network is not as needed. */
export class EnvError extends HarnessError {
  readonly exitCode = EXIT.env;
}

export function isHarnessError(e: unknown): e is HarnessError {
  return e instanceof HarnessError;
}
