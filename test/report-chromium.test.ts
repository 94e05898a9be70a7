// `harness status` and `harness report` on a recorded swarm (real git upstream, written
// events), and the report opened in headless Chromium: the charts must render with one
// point, bar or mark per recorded thing. The screenshot is kept for a person to look at.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, tempDir } from './helpers/repos.js';
import { synthSwarm, type SynthSwarm } from './helpers/recorded-swarm.js';

const T0 = Date.UTC(2026, 0, 10, 20, 0, 0);
export const SCREENSHOT = path.join(os.tmpdir(), 'harness-report-screenshot.png');

function findChromium(): string | null {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

const chromium = findChromium();
if (!chromium) console.warn('report-chromium: skipping the browser test: no chromium on PATH (apt-get install -y chromium; .ci/run installs it)');

function browse(bin: string, args: string[]): string {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  const base = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`];
  return execFileSync(bin, [...base, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000, maxBuffer: 64 << 20 });
}

describe('status and report on a recorded swarm', () => {
  const t = tempDir('harness-report-');
  let s: SynthSwarm;
  let html: string;
  const out = path.join(t.dir, 'report.html');

  beforeAll(async () => {
    s = synthSwarm(t.dir, { agents: 3, sessions: 12, commitsPerSession: 5, notesEvery: 4, crashEvery: 4, reapEvery: 2, sessionMs: 20 * 60_000, tests: 20, t0: T0, maxCostUsd: 50 });
    const r = await harness(t.dir, ['report', '--out', out]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    html = readFileSync(out, 'utf8');
  });
  afterAll(() => t.cleanup());

  it('status --json counts what the recording holds', async () => {
    const r = await harness(t.dir, ['status', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out.join('\n'));
    expect(j.totals).toMatchObject({ sessions: 12, crashed: 3, commits: 60, tasksDone: 9, reaped: 1, released: 2, claimedNow: 0 });
    expect(j.passStart).toMatchObject({ pass: 1, total: 20 });
    expect(j.passNow).toMatchObject({ pass: 8, total: 20 });
    expect(j.spend.budget).toEqual({ maxCostUsd: 50, maxTokens: null });
    expect(j.agents.map((a: { state: string }) => a.state)).toEqual(['stopped', 'stopped', 'stopped']);
  });

  it('says what is wrong when the folder is no swarm', async () => {
    const r = await harness(t.dir, ['status', '--dir', 'nowhere']);
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(/is not a swarm folder .*\[NO_SWARM\]/);
  });

  it('the report is one file that fetches nothing', () => {
    expect(html).not.toMatch(/\b(src|href)\s*=|<script|url\(|@import/i);
    expect(html).toContain('data-chart="pass-by-commit"');
  });

  it.skipIf(!chromium)('renders in headless Chromium with a point, bar or mark per recorded thing', () => {
    const dom = browse(chromium!, ['--dump-dom', `file://${out}`]);
    const count = (re: RegExp) => dom.match(re)?.length ?? 0;
    expect(count(/<svg\b/g)).toBe(5);
    const series = [...dom.matchAll(/<polyline class="series" data-points="(\d+)" points="([^"]*)"/g)];
    expect(series.map((m) => Number(m[1]))).toEqual([s.notes, s.notes]);
    expect(series.map((m) => m[2]!.trim().split(/\s+/).length)).toEqual([s.notes, s.notes]);
    expect(count(/<rect class="session (ok|crash|stopped|running)"/g)).toBe(s.sessions);
    expect(count(/<rect class="session crash"/g)).toBe(s.crashed);
    expect(count(/<line class="reap"/g)).toBe(s.reaps);
    const perHour = /<svg[^>]*data-chart="per-hour"[^>]*data-buckets="(\d+)"[\s\S]*?<\/svg>/.exec(dom);
    const buckets = Number(perHour?.[1]);
    expect(buckets).toBe(2); // 12 sessions of 15-25 min on 3 agents: under two hours
    // two series per bucket, plus the legend's two swatches
    expect(perHour![0].match(/<rect class="bar s[01]"/g)?.length).toBe(2 * buckets + 2);
    const costBars = /<svg[^>]*data-chart="cost-per-agent"[\s\S]*?<\/svg>/.exec(dom)![0];
    expect(costBars.match(/<rect class="bar s0"/g)?.length).toBe(3);

    browse(chromium!, [`--screenshot=${SCREENSHOT}`, '--window-size=1280,2000', '--hide-scrollbars', `file://${out}`]);
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(20_000);
  });
});
