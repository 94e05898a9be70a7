// Inline SVG charts, written by hand: the report must open with no network and no
// script, so no chart library. Each chart is one <svg class="chart" data-chart=NAME>, and
// each plotted thing carries a class (series, bar, session, reap) so tests can count them.

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const r1 = (x: number) => Math.round(x * 10) / 10;

const W = 960;
const PAD = { l: 56, r: 16, t: 12, b: 28 };

interface Axis {
  min: number;
  max: number;
  fmt: (v: number) => string;
}

function frame(name: string, h: number, x: Axis, y: Axis, body: string, ticks = 5): string {
  const iw = W - PAD.l - PAD.r;
  const ih = h - PAD.t - PAD.b;
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = y.min + ((y.max - y.min) * i) / 4;
    const py = r1(PAD.t + ih - (ih * i) / 4);
    parts.push(`<line class="grid" x1="${PAD.l}" x2="${W - PAD.r}" y1="${py}" y2="${py}"/><text class="tick" x="${PAD.l - 6}" y="${py + 4}" text-anchor="end">${esc(y.fmt(v))}</text>`);
  }
  for (let i = 0; i <= ticks; i++) {
    const v = x.min + ((x.max - x.min) * i) / ticks;
    parts.push(`<text class="tick" x="${r1(PAD.l + (iw * i) / ticks)}" y="${h - 8}" text-anchor="middle">${esc(x.fmt(v))}</text>`);
  }
  return `<svg class="chart" data-chart="${name}" viewBox="0 0 ${W} ${h}" width="100%" role="img">${parts.join('')}${body}</svg>`;
}

function scale(a: Axis, lo: number, hi: number): (v: number) => number {
  const span = a.max - a.min || 1;
  return (v) => r1(lo + ((v - a.min) / span) * (hi - lo));
}

/**
 * A line over (x, y) points; a lone point is also drawn as a dot so it is visible. Points
 * with `s` belong to series number `s` (named in `series`, drawn as a legend): one line each.
 */
export function lineChart(name: string, pts: { x: number; y: number; s?: number }[], x: Axis, y: Axis, h = 220, series: string[] = []): string {
  if (pts.length === 0) return `<p class="empty" data-chart="${name}">nothing recorded</p>`;
  const sx = scale(x, PAD.l, W - PAD.r);
  const sy = scale(y, h - PAD.b, PAD.t);
  const groups = new Map<number, { x: number; y: number }[]>();
  for (const p of pts) groups.set(p.s ?? 0, [...(groups.get(p.s ?? 0) ?? []), p]);
  const many = series.length > 1;
  const body = [...groups].map(([i, g]) => {
    const cls = many ? `series s${i}` : 'series';
    const coords = g.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ');
    const dot = g.length === 1 ? `<circle class="dot${many ? ` s${i}` : ''}" cx="${sx(g[0]!.x)}" cy="${sy(g[0]!.y)}" r="3"/>` : '';
    const line = `<polyline class="${cls}" data-points="${g.length}" points="${coords}"`;
    return (many ? `${line}><title>${esc(series[i] ?? '')}</title></polyline>` : `${line}/>`) + dot;
  });
  const legend = many ? series.map((s, i) => `<rect class="bar s${i}" x="${W - PAD.r - 150}" y="${PAD.t + i * 16}" width="10" height="10"/><text class="tick" x="${W - PAD.r - 135}" y="${PAD.t + 9 + i * 16}">${esc(s)}</text>`).join('') : '';
  return frame(name, h, x, y, body.join('') + legend);
}

/** Side-by-side bars per bucket, one colour per series. */
export function barChart(name: string, buckets: { label: string; values: number[] }[], series: string[], h = 220): string {
  if (buckets.length === 0) return `<p class="empty" data-chart="${name}">nothing recorded</p>`;
  const max = Math.max(1, ...buckets.flatMap((b) => b.values));
  const y: Axis = { min: 0, max, fmt: (v) => String(Math.round(v)) };
  const iw = W - PAD.l - PAD.r;
  const ih = h - PAD.t - PAD.b;
  const bw = iw / buckets.length;
  const w = Math.max(0.5, (bw * 0.8) / series.length);
  const every = Math.ceil(buckets.length / 12);
  const bars: string[] = [];
  buckets.forEach((b, i) => {
    b.values.forEach((v, s) => {
      const bh = (v / max) * ih;
      bars.push(`<rect class="bar s${s}" x="${r1(PAD.l + i * bw + bw * 0.1 + s * w)}" y="${r1(PAD.t + ih - bh)}" width="${r1(w)}" height="${r1(bh)}"><title>${esc(`${b.label}: ${v} ${series[s]}`)}</title></rect>`);
    });
    if (i % every === 0) bars.push(`<text class="tick" x="${r1(PAD.l + i * bw + bw / 2)}" y="${h - 8}" text-anchor="middle">${esc(b.label)}</text>`);
  });
  const legend = series.map((s, i) => `<rect class="bar s${i}" x="${W - PAD.r - 150}" y="${PAD.t + i * 16}" width="10" height="10"/><text class="tick" x="${W - PAD.r - 135}" y="${PAD.t + 9 + i * 16}">${esc(s)}</text>`).join('');
  return frame(name, h, { min: 0, max: 0, fmt: () => '' }, y, bars.join('') + legend, 0).replace(`data-chart="${name}"`, `data-chart="${name}" data-buckets="${buckets.length}"`);
}

export interface Lane {
  label: string;
  items: { from: number; to: number; kind: 'ok' | 'crash' | 'running' | 'stopped'; title: string }[];
}

/** One row per agent, a bar per session; reaps as red marks across every row. */
export function timeline(name: string, lanes: Lane[], marks: { t: number; title: string }[], x: Axis): string {
  const row = 18;
  const h = PAD.t + PAD.b + Math.max(1, lanes.length) * row;
  const sx = scale(x, PAD.l, W - PAD.r);
  const body: string[] = [];
  lanes.forEach((lane, i) => {
    const y = PAD.t + i * row;
    body.push(`<text class="tick" x="${PAD.l - 6}" y="${y + 13}" text-anchor="end">${esc(lane.label)}</text>`);
    for (const it of lane.items) {
      const x0 = sx(it.from);
      body.push(`<rect class="session ${it.kind}" x="${x0}" y="${y + 3}" width="${Math.max(1, r1(sx(it.to) - x0))}" height="${row - 6}"><title>${esc(it.title)}</title></rect>`);
    }
  });
  for (const m of marks) body.push(`<line class="reap" x1="${sx(m.t)}" x2="${sx(m.t)}" y1="${PAD.t}" y2="${h - PAD.b}"><title>${esc(m.title)}</title></line>`);
  const parts: string[] = [];
  for (let i = 0; i <= 6; i++) {
    const v = x.min + ((x.max - x.min) * i) / 6;
    parts.push(`<text class="tick" x="${r1(PAD.l + ((W - PAD.l - PAD.r) * i) / 6)}" y="${h - 8}" text-anchor="middle">${esc(x.fmt(v))}</text>`);
  }
  return `<svg class="chart" data-chart="${name}" viewBox="0 0 ${W} ${h}" width="100%" role="img">${parts.join('')}${body.join('')}</svg>`;
}

/** Horizontal bars with their values written beside them. */
export function hbarChart(name: string, rows: { label: string; value: number; text: string }[]): string {
  if (rows.length === 0) return `<p class="empty" data-chart="${name}">nothing recorded</p>`;
  const row = 20;
  const h = PAD.t * 2 + rows.length * row;
  const max = Math.max(...rows.map((r) => r.value), 1e-9);
  const iw = W - PAD.l - 320 - PAD.r; // room for the value text after the longest bar
  const body = rows.map((r, i) => {
    const y = PAD.t + i * row;
    const w = r1((r.value / max) * iw);
    return `<text class="tick" x="${PAD.l + 40}" y="${y + 14}" text-anchor="end">${esc(r.label)}</text><rect class="bar s0" x="${PAD.l + 46}" y="${y + 3}" width="${Math.max(0, w)}" height="${row - 6}"/><text class="tick" x="${PAD.l + 52 + w}" y="${y + 14}">${esc(r.text)}</text>`;
  });
  return `<svg class="chart" data-chart="${name}" viewBox="0 0 ${W} ${h}" width="100%" role="img">${body.join('')}</svg>`;
}
