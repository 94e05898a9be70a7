// The morning report as one self-contained HTML file: inline CSS, inline SVG, no script,
// no fonts or images from anywhere, so it opens the same offline, from a mail, years on.
import { formatAge } from '../kit/duration.js';
import type { ReportData } from './model.js';
import { barChart, esc, hbarChart, lineChart, timeline, type Lane } from './svg.js';
import { toolLabel } from '../../test-oracle/index.js';

const pctFmt = (v: number) => `${Math.round(v * 100)}%`;
const usd = (x: number | null) => (x === null ? '-' : x < 0.1 && x > 0 ? `$${x.toFixed(3)}` : `$${x.toFixed(2)}`);
const clock = (t: number) => new Date(t).toISOString().slice(5, 16).replace('T', ' ');
const hm = (t: number) => new Date(t).toISOString().slice(11, 16);
const hms = (t: number) => new Date(t).toISOString().slice(11, 19);

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1000px;padding:16px 24px;color:#1d232a;background:#fff}
h1{font-size:22px;margin:8px 0}h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #dde;padding-bottom:3px}
.kpis{display:flex;flex-wrap:wrap;gap:8px}.kpi{border:1px solid #dde;border-radius:6px;padding:6px 10px;min-width:120px}
.kpi b{display:block;font-size:18px}.kpi span{color:#5a6470;font-size:12px}
table{border-collapse:collapse;margin:6px 0}td,th{padding:2px 10px;border-bottom:1px solid #eef;text-align:left}td.n,th.n{text-align:right}
.chart{display:block;margin:4px 0}.grid{stroke:#e6e9ee}.tick{font-size:11px;fill:#5a6470}
.series{fill:none;stroke:#2563eb;stroke-width:2}.dot{fill:#2563eb}.series.s1{stroke:#16a34a}.series.s2{stroke:#f59e0b}.dot.s1{fill:#16a34a}.dot.s2{fill:#f59e0b}
.bar.s0{fill:#2563eb}.bar.s1{fill:#16a34a}.bar.s2{fill:#f59e0b}
.session{stroke:#fff;stroke-width:1}.session.ok{fill:#16a34a}.session.crash{fill:#dc2626}.session.running{fill:#2563eb}.session.stopped{fill:#9ca3af}
.reap{stroke:#dc2626;stroke-width:1.5;stroke-dasharray:3 2}.note,.empty{color:#5a6470}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}`;

function kpi(value: string, label: string): string {
  return `<div class="kpi"><b>${esc(value)}</b><span>${esc(label)}</span></div>`;
}

function table(head: string[], rows: string[][], numeric: number[] = []): string {
  if (rows.length === 0) return '<p class="empty">none</p>';
  const cell = (tag: string, c: string, i: number) => `<${tag}${numeric.includes(i) ? ' class="n"' : ''}>${esc(c)}</${tag}>`;
  return `<table><tr>${head.map((h, i) => cell('th', h, i)).join('')}</tr>${rows.map((r) => `<tr>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`).join('')}</table>`;
}

export function renderReport(d: ReportData): string {
  const s = d.status;
  const t = s.totals;
  const rateOf = (p: { pass: number; total: number } | null) => (p ? `${((100 * p.pass) / p.total).toFixed(1)}%` : 'n/a');
  const t0 = Math.min(s.startedAt ?? d.end, ...d.sessions.map((x) => x.start));
  const t1 = Math.max(d.end, ...d.sessions.map((x) => x.end ?? d.end));
  // Tick labels as fine as the span needs: seconds for a short run, dates for a long one.
  const timeAxis = { min: t0, max: t1, fmt: t1 - t0 > 2 * 86_400_000 ? clock : t1 - t0 < 3_600_000 ? hms : hm };

  const lanes = new Map<string, Lane>();
  // s.agents comes grouped by role; a lane says its role
  for (const a of s.agents) lanes.set(a.agent, { label: a.role ? `${a.role}: ${a.agent}` : a.agent, items: [] });
  for (const x of d.sessions) {
    const lane = lanes.get(x.agent) ?? { label: x.agent, items: [] };
    lanes.set(x.agent, lane);
    const kind = x.end === null ? 'running' : x.crashed ? 'crash' : x.exit === 'exit 0' ? 'ok' : 'stopped';
    const to = x.end ?? d.end;
    lane.items.push({ from: x.start, to, kind, title: `${x.agent} session ${x.session}${x.host ? ` on ${x.host}` : ''}: ${x.exit} after ${formatAge(to - x.start)}${x.costUsd ? `, ${usd(x.costUsd)}` : ''}` });
  }
  const crashes = d.sessions.filter((x) => x.crashed).length;
  const b = s.spend.budget;
  const budget = b.maxCostUsd === null && b.maxTokens === null ? 'no budget' : [b.maxCostUsd !== null ? `of ${usd(b.maxCostUsd)}` : '', b.maxTokens !== null ? `of ${b.maxTokens} tokens` : ''].join(' ').trim();

  const maxIndex = Math.max(1, ...d.passByCommit.map((p) => p.index));
  // one line per tool: runs of different tools never pool
  const toolNames = d.passTools.map(toolLabel);
  const passT0 = Math.min(...d.passByTime.map((p) => p.t), t0);
  const sections = [
    `<h1>${esc(d.title)}</h1>`,
    `<p class="note">Report written ${esc(new Date(d.now).toISOString().replace('T', ' ').slice(0, 19))} UTC; swarm ${s.live ? 'still running' : 'not running'}${s.startedAt ? `; it ran from ${esc(clock(s.startedAt))} to ${s.live ? 'now' : esc(clock(d.end))} (${esc(formatAge(d.end - s.startedAt))})` : ''}.</p>`,
    `<div class="kpis">${[
      ...(s.passByTool.length > 1
        ? s.passByTool.map((p) => kpi(`${rateOf(p.start)} → ${rateOf(p.now)}`, `pass rate (${toolLabel(p.tool)}), start → now`))
        : [kpi(`${rateOf(s.passStart)} → ${rateOf(s.passNow)}`, 'pass rate, start → now')]),
      kpi(String(t.sessions), `sessions (${t.crashed} crashed)`),
      kpi(String(t.commits), 'commits landed'),
      kpi(String(t.tasksDone), `tasks done (${t.claimedNow} claimed now)`),
      kpi(usd(s.spend.costUsd), `spent, ${budget}`),
      kpi(String(t.conflicts), 'merge conflicts resolved'),
      kpi(String(t.lostRaces), 'claims lost to another agent'),
      kpi(String(t.wipSaved), 'wip branches saved'),
    ].join('')}</div>`,
    `<h2>Pass rate over commits</h2>`,
    lineChart('pass-by-commit', d.passByCommit.map((p) => ({ x: p.index, y: p.rate, s: p.tool })), { min: 0, max: maxIndex, fmt: (v) => `#${Math.round(v)}` }, { min: 0, max: 1, fmt: pctFmt }, undefined, toolNames),
    `<p class="note">x: commit number on main (first parent); ${d.passByCommit.length} commits with recorded results.</p>`,
    `<h2>Pass rate over time</h2>`,
    lineChart('pass-by-time', d.passByTime.map((p) => ({ x: p.t, y: p.rate, s: p.tool })), { min: passT0, max: Math.max(t1, ...d.passByTime.map((p) => p.t)), fmt: timeAxis.fmt }, { min: 0, max: 1, fmt: pctFmt }, undefined, toolNames),
    `<h2>Commits and tasks done per hour</h2>`,
    barChart('per-hour', d.perHour.map((h) => ({ label: hm(h.t), values: [h.commits, h.tasksDone] })), ['commits', 'tasks done']),
    `<h2>Sessions</h2>`,
    `<p class="note legend">One row per agent, one bar per session:<span style="background:#16a34a"></span>exit 0<span style="background:#dc2626"></span>crashed or timed out (${crashes})<span style="background:#9ca3af"></span>stopped<span style="background:#2563eb"></span>running; dashed red lines: claims reaped (${d.reaps.length}).</p>`,
    timeline('sessions', [...lanes.values()], d.reaps.map((r) => ({ t: r.t, title: `reaped ${r.tasks.join(', ')}` })), timeAxis),
    `<h2>Cost</h2>`,
    `<p>Spent ${usd(s.spend.costUsd)} (${s.spend.tokens} tokens), ${budget}; ${usd(d.costPerTask)} per task done, ${usd(d.costPerCommit)} per landed commit${s.live ? `; ${usd(s.spend.costPerHour)}/h over the last hour${s.spend.exhaustedInMs !== null ? `, budget exhausted in ${formatAge(s.spend.exhaustedInMs)} at that rate` : ''}` : ''}.</p>`,
    hbarChart('cost-per-agent', d.agents.map((a) => ({ label: a.agent, value: a.costUsd, text: `${usd(a.costUsd)} · ${a.sessions} sessions · ${a.commits} commits` }))),
    `<h2>Slowest tasks</h2>`,
    `<p class="note">From the claim commit to the done commit on main.</p>`,
    table(['task', 'claim to done', 'claimed by'], d.slowest.map((x) => [x.task, formatAge(x.ms), x.agent ?? '?']), [1]),
    `<h2>Lock churn</h2>`,
    table(['claims', 'done', 'abandoned', 'released by the supervisor', 'reaped', 'lost races'], [[d.churn.claims, d.churn.done, d.churn.abandoned, d.churn.released, d.churn.reaped, d.churn.lostRaces].map(String)], [0, 1, 2, 3, 4, 5]),
    `<h2>Stalls</h2>`,
    `<p class="note">Stretches where the recorded pass rate did not move, longest first.</p>`,
    table(['from', 'to', 'for', 'records', 'pass rate'], d.stalls.map((x) => [clock(x.from), clock(x.to), formatAge(x.to - x.from), String(x.points), pctFmt(x.rate)]), [2, 3, 4]),
    `<h2>Hot tasks</h2>`,
    `<p class="note">Tasks given up (abandoned or reaped) twice or more and not done: the next agent should start from the earlier attempts.</p>`,
    table(['task', 'given up', 'attempts (who, how it ended, why, wip branch)'], s.coordination.hot.map((h) => [h.task, String(h.givenUp), h.attempts.map((a) => `${a.agent ?? '?'}${a.session ? `/${a.session}` : ''} ${a.end}${a.reason ? `: ${a.reason.split('\n')[0]}` : ''}${a.wip ? ` [${a.wip}]` : ''}`).join(' · ')]), [1]),
    `<h2>Reverts and duplicate work</h2>`,
    `<p class="note">A landed commit that removes lines another task landed within hours, and two sessions' changes (landed or in wip/) that add nearly the same lines.</p>`,
    s.coordination.flags.length ? `<ul class="flags">${s.coordination.flags.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : '<p class="empty">none</p>',
  ];
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(d.title)}</title><style>${CSS}</style></head><body>\n${sections.join('\n')}\n</body></html>\n`;
}
