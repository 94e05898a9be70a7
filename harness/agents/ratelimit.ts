// Recognising "you hit a usage or rate limit" in an agent's JSON stream, and when it said the
// limit resets. Pure: one event in, a verdict out; the adapters feed their logs through it.
// A slot that hit a limit waits for the reset instead of starting sessions that would fail
// at once (and, on a paid key, cost money each time).
import type { RateLimit } from '../events/log.js';

/** Unix seconds or milliseconds -> ms; anything else null. */
function epochMs(v: unknown): number | null {
  const n = typeof v === 'string' && /^\d{9,13}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) return null;
  return n < 1e12 ? n * 1000 : n;
}

const LIMIT_TEXT = /usage limit|rate limit|rate_limit|hit your (\S+ )?limit|out of (extra )?usage|429|too many requests|quota/i;

/**
 * A reset time written in a message, if the message gives one we can read without guessing
 * a time zone: `...limit reached|1762952400` (Claude Code's usage-limit result), `try again
 * in 20s` / `in 1.5 seconds` / `in 3m` (OpenAI), `resets_at: N`, or `try again at <a date
 * Date.parse reads>`, or a wall-clock time in a named zone, `resets 1:51am (UTC)` /
 * `resets 1pm (America/Los_Angeles)` (Claude Code's subscriber limit): its next occurrence;
 * or Codex's `try again at 2:55 AM.` in the local zone (Codex formats it in the session's).
 */
export function resetFromText(text: string, now: number, localZone = Intl.DateTimeFormat().resolvedOptions().timeZone): number | null {
  const pipe = /limit reached\|(\d{9,13})/i.exec(text);
  if (pipe) return epochMs(pipe[1]);
  const field = /"?resets_at"?\s*[:=]\s*(\d{9,13})/.exec(text);
  if (field) return epochMs(field[1]);
  const inSecs = /"?resets_in_seconds"?\s*[:=]\s*(\d+)/.exec(text);
  if (inSecs) return now + Number(inSecs[1]) * 1000;
  const rel = /try again in\s+(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?)\b/i.exec(text);
  if (rel) {
    const unit = rel[2]!.toLowerCase();
    const ms = unit === 'ms' ? 1 : unit.startsWith('h') ? 3_600_000 : unit.startsWith('m') ? 60_000 : 1000;
    return now + Math.ceil(Number(rel[1]) * ms);
  }
  const wall = /\bresets\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)\s*\(([^)]+)\)/i.exec(text);
  if (wall) {
    const h = Number(wall[1]) % 12 + (wall[3]!.toLowerCase() === 'pm' ? 12 : 0);
    const m = Number(wall[2] ?? 0);
    if (Number(wall[1]) <= 12 && m < 60) {
      const t = nextWallClock(h, m, wall[4]!.trim(), now);
      if (t !== null) return t;
    }
  }
  // Codex: `try again at 2:55 AM.`, a time of day in the session's zone, which is ours
  const bare = /try again at\s+(\d{1,2}):(\d{2})\s*(AM|PM)\.?\s*$/im.exec(text);
  if (bare && Number(bare[1]) <= 12 && Number(bare[2]) < 60) {
    return nextWallClock(Number(bare[1]) % 12 + (bare[3]!.toUpperCase() === 'PM' ? 12 : 0), Number(bare[2]), localZone, now);
  }
  const at = /try again at\s+(.+?)\.?\s*$/im.exec(text);
  if (at) {
    const t = Date.parse(at[1]!.replace(/(\d+)(st|nd|rd|th)\b/g, '$1').replace(/\.$/, '').trim());
    if (!Number.isNaN(t)) return t;
  }
  return null;
}

/** Minutes east of UTC of a time zone at an instant; null for a zone Intl does not know. */
function zoneOffsetMin(zone: string, at: number): number | null {
  let f: Intl.DateTimeFormat;
  try {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  } catch {
    return null;
  }
  const p = Object.fromEntries(f.formatToParts(new Date(at)).map((x) => [x.type, Number(x.value)]));
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return Math.round((wall - Math.floor(at / 1000) * 1000) / 60_000);
}

/**
 * The next instant whose wall-clock time in `zone` is h:m. A time within the last minute
 * is now, not tomorrow: the texts give minutes, so a reset at 1:51:40 reads `1:51am`.
 */
export function nextWallClock(h: number, m: number, zone: string, now: number): number | null {
  const off = zoneOffsetMin(zone, now);
  if (off === null) return null;
  const local = new Date(now + off * 60_000); // now, as the zone's wall clock (read with UTC getters)
  for (let day = 0; day <= 2; day++) {
    const wall = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + day, h, m);
    // the zone's offset at the candidate itself (a DST change may lie between)
    const t = wall - (zoneOffsetMin(zone, wall - off * 60_000) ?? off) * 60_000;
    if (t > now - 60_000) return t;
  }
  return null;
}

function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') return JSON.stringify(v);
  return '';
}

/** Claude Code stream-json: a rejected `rate_limit_event`, or a result/assistant text saying a limit was hit. */
export function claudeRateLimit(o: Record<string, unknown>, now: number): RateLimit | null {
  if (o.type === 'rate_limit_event') {
    const info = (o.rate_limit_info ?? {}) as Record<string, unknown>;
    if (info.status !== 'rejected') return null; // "allowed" and "allowed_warning" are reports, not stops
    return { until: epochMs(info.resetsAt), message: `rate limit rejected (${String(info.rateLimitType ?? 'unknown window')})` };
  }
  let text = '';
  if (o.type === 'result' && o.is_error === true) text = textOf(o.result) || textOf(o.error);
  else if (o.type === 'assistant') {
    const content = ((o.message as Record<string, unknown> | undefined)?.content ?? []) as unknown[];
    text = Array.isArray(content) ? content.map((c) => textOf((c as Record<string, unknown>)?.text)).join('\n') : '';
    // an ordinary answer can mention rate limits; Claude Code's own notice is short and starts with it
    if (!/^(Claude AI usage limit reached|API Error: 429|You['’]ve hit your (\S+ )?limit|Claude usage limit reached)/.test(text.trim())) return null;
  } else return null;
  if (!LIMIT_TEXT.test(text)) return null;
  return { until: resetFromText(text, now), message: text.slice(0, 200) };
}

/** Codex `exec --json`: an `error` or `turn.failed` event whose message is a usage or rate limit. */
export function codexRateLimit(o: Record<string, unknown>, now: number): RateLimit | null {
  let text = '';
  if (o.type === 'error') text = textOf(o.message) || textOf(o.error);
  else if (o.type === 'turn.failed') text = textOf((o.error as Record<string, unknown> | undefined)?.message) || textOf(o.error);
  else return null;
  if (!LIMIT_TEXT.test(text)) return null;
  return { until: resetFromText(text, now), message: text.slice(0, 200) };
}

/** The last limit in a stream wins: an earlier one may have been retried past. */
export function lastRateLimit(found: RateLimit | null, next: RateLimit | null): RateLimit | null {
  return next ?? found;
}
