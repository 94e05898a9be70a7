// The lock file format: optional `Key: value` header lines, a blank line, then prose for
// the next reader. Agents also write prose-only files by hand; those are valid claims
// whose owner is unknown. Anything that cannot be text is "unreadable", never a crash.

export const HEADER_KEYS = ['Task', 'Agent', 'Session', 'Run', 'Claimed', 'Host'] as const;
const MAX_LOCK_BYTES = 64 * 1024;
const HEADER_RE = /^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$/;

export type ParsedLock =
  | { readable: true; headers: Record<string, string>; note: string }
  | { readable: false; problem: string };

export function parseLock(data: Uint8Array | string): ParsedLock {
  let text: string;
  if (typeof data === 'string') text = data;
  else {
    if (data.length > MAX_LOCK_BYTES) return { readable: false, problem: `${data.length} bytes, more than a lock file holds` };
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch {
      return { readable: false, problem: 'not UTF-8 text' };
    }
  }
  if (text.includes('\0')) return { readable: false, problem: 'binary content (NUL bytes)' };
  if (text.length > MAX_LOCK_BYTES) return { readable: false, problem: 'too large for a lock file' };

  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const headers: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') break;
    const m = HEADER_RE.exec(line);
    if (!m) return { readable: true, headers: {}, note: text.trim() }; // prose from the first line on
    headers[canonicalKey(m[1]!)] = m[2]!.trim();
  }
  const note = lines.slice(i + 1).join('\n').trim();
  return { readable: true, headers, note };
}

function canonicalKey(k: string): string {
  const known = HEADER_KEYS.find((h) => h.toLowerCase() === k.toLowerCase());
  return known ?? k;
}

export interface LockFields {
  task: string;
  agent: string;
  session: string | null;
  /** the supervisor's run that started the session, when there is one */
  run?: string | null;
  claimed: Date;
  host: string;
}

export function formatLock(f: LockFields, note: string): string {
  const lines = [`Task: ${f.task}`, `Agent: ${oneLine(f.agent)}`];
  if (f.session) lines.push(`Session: ${oneLine(f.session)}`);
  if (f.run) lines.push(`Run: ${oneLine(f.run)}`);
  lines.push(`Claimed: ${f.claimed.toISOString()}`, `Host: ${oneLine(f.host)}`, '');
  const body = note.trim() || `Claimed with \`harness task claim ${f.task}\`. Release it with \`harness task release ${f.task}\` if you stop.`;
  lines.push(body, '');
  return lines.join('\n');
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').trim();
}
