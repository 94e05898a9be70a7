// `--until`: when a run stops starting sessions. Pure: `now` and the time zone offset are
// passed in, so a clock time means the same thing in a test as on the user's machine.
import { parseDuration } from '../kit/duration.js';
import { UsageError } from '../kit/errors.js';

export type Until = { kind: 'forever' } | { kind: 'done' } | { kind: 'time'; at: number };

const WANT = 'done, forever, a duration (8h), a clock time (07:30) or a date (2026-01-05T09:00)';

/**
 * `done` | `forever` | a duration from now (`8h`, `1h30m`) | a clock time (`07:30`,
 * `7:30:15`: its next occurrence, so `07:30` typed in the evening means tomorrow morning)
 * | anything Date.parse reads (`2026-01-05T09:00`, local time unless it says otherwise).
 * `tzOffsetMin(t)` is Date#getTimezoneOffset for the instant t (it changes with DST).
 */
export function parseUntil(v: unknown, from: string, now: number, tzOffsetMin: (t: number) => number = (t) => new Date(t).getTimezoneOffset()): Until {
  if (typeof v !== 'string' || !v.trim()) throw bad(from, v);
  const s = v.trim();
  if (s === 'done' || s === 'forever') return { kind: s };
  if (/^\d+(\.\d+)?(ms|s|m|h|d)/.test(s)) return { kind: 'time', at: now + parseDuration(s, from) };
  const clock = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (clock) {
    const [h, m, sec] = [Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0)];
    if (h > 23 || m > 59 || sec > 59) throw bad(from, v);
    return { kind: 'time', at: nextClockTime(now, h * 3600 + m * 60 + sec, tzOffsetMin) };
  }
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw bad(from, v);
  return { kind: 'time', at: t };
}

const DAY = 86_400_000;

/** The first instant after `now` whose local time of day is `secOfDay`. */
export function nextClockTime(now: number, secOfDay: number, tzOffsetMin: (t: number) => number): number {
  const local = (t: number) => t - tzOffsetMin(t) * 60_000; // local wall-clock ms since the epoch
  const midnight = Math.floor(local(now) / DAY) * DAY;
  for (const day of [0, 1, 2]) {
    const wall = midnight + day * DAY + secOfDay * 1000;
    // back to UTC with the offset in force at that wall time (a DST change may sit between)
    let at = wall + tzOffsetMin(wall) * 60_000;
    at = wall + tzOffsetMin(at) * 60_000;
    if (at > now) return at;
  }
  throw new Error('unreachable: a clock time recurs within two days');
}

function bad(from: string, v: unknown): UsageError {
  return new UsageError('BAD_CONFIG', `${from}: ${JSON.stringify(v)} is not ${WANT}`);
}
