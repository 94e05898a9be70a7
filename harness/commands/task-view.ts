// How claims look to a person (a table) and to a program (JSON).
import { formatAge } from '../kit/duration.js';
import { ageMs, claimTime, holderText, ownerKnown, type Claim } from '../tasks/claims.js';

export function claimJson(c: Claim, now: Date) {
  const t = claimTime(c);
  const age = ageMs(c, now);
  return {
    task: c.task,
    path: c.path,
    readable: c.readable,
    ...(c.problem ? { problem: c.problem } : {}),
    ownerKnown: ownerKnown(c),
    agent: c.agent,
    session: c.session,
    host: c.host,
    claimedAt: t ? t.toISOString() : null,
    ageSeconds: age === null ? null : Math.round(age / 1000),
    note: c.note,
  };
}

export function claimTable(claims: Claim[], now: Date): string[] {
  if (claims.length === 0) return ['no tasks are claimed'];
  const rows = claims.map((c) => {
    const age = ageMs(c, now);
    const owner = !c.readable ? `UNREADABLE (${c.problem})` : ownerKnown(c) ? holderText(c) : 'unknown owner';
    return [c.task, owner, age === null ? '?' : formatAge(age), firstLine(c.note, 60)];
  });
  const head = ['TASK', 'OWNER', 'AGE', 'NOTE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  const unknown = claims.filter((c) => c.readable && !ownerKnown(c)).length;
  const unreadable = claims.filter((c) => !c.readable).length;
  const extra = [unknown ? `${unknown} owner unknown` : '', unreadable ? `${unreadable} unreadable` : ''].filter(Boolean);
  return [fmt(head), ...rows.map(fmt), `${claims.length} claimed${extra.length ? ` (${extra.join(', ')})` : ''}`];
}

function firstLine(s: string, max: number): string {
  const line = s.split('\n').find((l) => l.trim())?.trim() ?? '';
  return line.length > max ? line.slice(0, max - 1) + '…' : line;
}
