// Waiting in tests: poll for the condition itself, never sleep for a guessed time (on two
// loaded cores every guess is wrong sometimes). One loop for every test file.
import { readFileSync } from 'node:fs';

const STEP_MS = 50;

/** Polls `f` until it returns something truthy and returns that; throws `timed out waiting for <what>` past the limit. */
export async function waitFor<T>(what: string, f: () => T | undefined | null | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, STEP_MS));
  }
}

/** waitFor as a yes/no, for an assertion that reads `expect(await waitUntil(...)).toBe(true)`. */
export async function waitUntil(cond: () => boolean, timeoutMs = 5000): Promise<boolean> {
  return waitFor('', cond, timeoutMs).then(
    () => true,
    () => false,
  );
}

/** Running, not a zombie (a killed orphan stays one while nobody reaps it, e.g. a container's init). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
