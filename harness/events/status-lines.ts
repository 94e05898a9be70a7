// `harness status` as text: a table of agents and a few lines of totals. The same lines
// serve a terminal (redrawn in place by --watch) and a pipe (printed once per tick).
import { formatAge } from '../kit/duration.js';
import type { SwarmStatus } from './status.js';
import { toolLabel } from '../../test-oracle/index.js';

const pct = (p: { pass: number; total: number } | null) => (p && p.total ? `${((100 * p.pass) / p.total).toFixed(1)}% (${p.pass}/${p.total})` : 'no recorded results');
const usd = (x: number) => `$${x.toFixed(2)}`;
const kTokens = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));

export function statusLines(s: SwarmStatus, dir: string): string[] {
  const roles = s.agents.some((a) => a.role);
  const hosts = s.agents.some((a) => a.host); // sessions on ssh hosts or Slurm nodes
  const head = [...(roles ? ['role'] : []), 'agent', ...(hosts ? ['host'] : []), 'state', 'sessions', 'claim', 'last commit', 'last exit', 'tokens', 'cost'];
  const rows = s.agents.map((a) => [
    ...(roles ? [a.role ?? '-'] : []),
    a.agent,
    ...(hosts ? [a.host ?? '-'] : []),
    (a.state === 'backing off' || a.state === 'idle' || a.state === 'rate-limited') && a.until ? `${a.state} ${formatAge(a.until - s.now)}` : a.state,
    String(a.sessions),
    a.claim ?? '-',
    a.lastCommit ? `${a.lastCommit.sha.slice(0, 7)} ${formatAge(s.now - a.lastCommit.t)} ago` : '-',
    a.lastExit ?? '-',
    kTokens(a.tokens),
    usd(a.costUsd),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd();
  const t = s.totals;
  const since = s.startedAt ? `started ${formatAge(s.now - s.startedAt)} ago` : 'never started';
  const b = s.spend.budget;
  const budget =
    b.maxCostUsd === null && b.maxTokens === null
      ? 'no budget'
      : [b.maxCostUsd !== null ? `${usd(s.spend.costUsd)} of ${usd(b.maxCostUsd)}` : null, b.maxTokens !== null ? `${kTokens(s.spend.tokens)} of ${kTokens(b.maxTokens)} tokens` : null].filter(Boolean).join(', ');
  const exhausted = s.spend.exhaustedInMs === null ? '' : `; budget exhausted in ${formatAge(s.spend.exhaustedInMs)} at ${usd(s.spend.costPerHour)}/h`;
  return [
    `swarm ${dir}: ${s.live ? 'running' : 'not running'}, ${since}`,
    fmt(head),
    ...rows.map(fmt),
    // Open work is what the oracle last saw failing: outside the demo there is no other backlog.
    `sessions ${t.sessions} (${t.crashed} crashed); commits landed ${t.commits}; tasks done ${t.tasksDone}, open (failing tests) ${s.passByTool.length ? s.passByTool.reduce((n, p) => n + p.now.total - p.now.pass, 0) : '?'}, claimed now ${t.claimedNow}, reaped ${t.reaped}, released ${t.released}`,
    `merge conflicts resolved ${t.conflicts}, claims lost to another agent ${t.lostRaces}; wip branches saved ${t.wipSaved} (${t.wipBranches} on upstream)`,
    // One line per tool: a tcc failure is no gcc regression, and pooled they would read as one.
    ...(s.passByTool.length
      ? s.passByTool.map((p) => `pass rate ${pct(p.now)} now, ${pct(p.start)} at start${p.tool ? ` (${toolLabel(p.tool)})` : ''}`)
      : [`pass rate ${pct(null)} now, ${pct(null)} at start`]),
    ...(s.pending.count ? [`lock removals pending ${s.pending.count} (oldest ${formatAge(s.pending.oldestMs ?? 0)}): retried until they land (${dir}/pending)`] : []),
    ...(s.pending.remoteWips ? [`wip pushes pending on remote hosts ${s.pending.remoteWips} (oldest ${formatAge(s.pending.remoteWipOldestMs ?? 0)}): the work waits in the slot's remote workspace, which is not reset; its next session pushes it (${dir}/pending)`] : []),
    ...(s.pending.wips ? [`wip pushes pending ${s.pending.wips} (oldest ${formatAge(s.pending.wipOldestMs ?? 0)}): leftover work held in ${dir}/supervisor/clone, retried until it is on upstream`] : []),
    `spend ${usd(s.spend.costUsd)}, ${kTokens(s.spend.tokens)} tokens; ${budget}${exhausted}`,
    ...coordinationLines(s),
  ];
}

/** Messages, backlog, hot tasks, reverts and duplicates: only what there is. */
export function coordinationLines(s: SwarmStatus): string[] {
  const c = s.coordination;
  const out: string[] = [];
  if (c.messagesOpen) {
    const waiting = s.agents.filter((a) => a.unread).map((a) => `${a.agent} ${a.unread}`);
    out.push(`messages ${c.messagesOpen} open on main; unread: ${waiting.join(', ') || 'none'} (harness msg inbox)`);
  }
  const b = c.backlog;
  if (b.ready + b.blocked + b.held + b.done) {
    const problems = b.cycles + b.unknown ? `; problems: ${b.cycles} cycles, ${b.unknown} unknown dependencies (harness task backlog)` : '';
    out.push(`backlog ${b.ready} ready, ${b.blocked} blocked, ${b.held} held, ${b.done} done${problems}`);
  }
  for (const h of c.hot) out.push(hotLine(h));
  for (const f of c.flags) out.push(`flag ${f}`);
  return out;
}

export function hotLine(h: SwarmStatus['coordination']['hot'][number]): string {
  const tries = h.attempts.filter((a) => a.end === 'abandoned' || a.end === 'reaped').map((a) => `${a.agent ?? '?'}${a.session ? `/${a.session}` : ''} ${a.end}${a.wip ? ` (${a.wip})` : ''}`);
  return `hot task ${h.task}: given up ${h.givenUp} times: ${tries.join('; ')} (harness task show ${h.task})`;
}

/** --json: the model as is, with times as ISO strings for readers in other languages. */
export function statusJson(s: SwarmStatus, dir: string): string {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return JSON.stringify(
    {
      dir,
      now: iso(s.now),
      live: s.live,
      startedAt: iso(s.startedAt),
      agents: s.agents.map((a) => ({ ...a, until: iso(a.until), lastCommit: a.lastCommit && { sha: a.lastCommit.sha, at: iso(a.lastCommit.t) } })),
      totals: s.totals,
      passStart: s.passStart,
      passNow: s.passNow,
      passByTool: s.passByTool,
      spend: s.spend,
      pending: s.pending,
      coordination: s.coordination,
    },
    null,
    2,
  );
}
