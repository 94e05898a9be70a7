// What the endurance benchmark reads after the run: the upstream's reflog of main (when
// each update landed), the claims on main and when they came and went, the commits
// reachable from main and wip/, the sim's commit log, main's pass count at every landed
// tip, and processes left behind. Plain git plumbing against the bare upstream.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CommitRecord } from '../../demo/sim/commits.js';
import type { LoggedEvent } from '../../harness/events/log.js';
import type { ClaimSpan, Tip } from './checks.js';

const run = promisify(execFile);
const BUF = 512 << 20;

function git(gitDir: string, args: string[], input?: string): string {
  return execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', maxBuffer: BUF, ...(input !== undefined ? { input } : {}) });
}

export interface Landed {
  sha: string;
  at: number;
}

/** Every update of main, oldest first (the upstream keeps a reflog: core.logAllRefUpdates=always). */
export function reflogMain(upstream: string): Landed[] {
  const out = git(upstream, ['reflog', 'show', '--date=unix', '--format=%H %gd', 'refs/heads/main']);
  return out
    .split('\n')
    .map((l) => /^([0-9a-f]{40}) .*@\{(\d+)\}$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ sha: m[1]!, at: Number(m[2]) * 1000 }))
    .reverse();
}

/** For each commit on main's first-parent chain, when it landed: the first reflog entry at or past it. */
export function landingTimes(upstream: string, reflog: Landed[]): Map<string, number> {
  const chain = git(upstream, ['rev-list', '--first-parent', '--reverse', 'main']).split('\n').filter(Boolean);
  const pos = new Map(chain.map((c, i) => [c, i]));
  const marks = reflog.map((r) => ({ pos: pos.get(r.sha), at: r.at })).filter((m): m is { pos: number; at: number } => m.pos !== undefined);
  const out = new Map<string, number>();
  let best = Infinity; // the earliest landing of any later tip (tips are never rewound)
  const by = new Array<number>(chain.length).fill(Infinity);
  for (const x of marks) by[x.pos] = Math.min(by[x.pos]!, x.at);
  for (let i = chain.length - 1; i >= 0; i--) {
    best = Math.min(best, by[i]!);
    out.set(chain[i]!, best);
  }
  return out;
}

/** Lock files added to and removed from main, with their owners from the lock headers. */
export function claimSpans(upstream: string, landed: Map<string, number>): { spans: ClaimSpan[]; unowned: number } {
  const log = git(upstream, ['log', '--first-parent', '--reverse', '--no-renames', '--no-abbrev', '--raw', '--format=C %H %ct', 'main', '--', 'current_tasks/']);
  type Change = { commit: string; at: number; status: string; blob: string; file: string };
  const changes: Change[] = [];
  let commit = '';
  let at = 0;
  for (const l of log.split('\n')) {
    const c = /^C ([0-9a-f]{40}) (\d+)$/.exec(l);
    if (c) {
      commit = c[1]!;
      at = landed.get(commit) ?? Number(c[2]) * 1000;
      continue;
    }
    const r = /^:\d+ \d+ ([0-9a-f]{40}) ([0-9a-f]{40}) ([ADM])\t(current_tasks\/.+\.txt)$/.exec(l);
    if (r) changes.push({ commit, at, status: r[3]!, blob: r[3] === 'D' ? r[1]! : r[2]!, file: r[4]! });
  }
  const blobs = [...new Set(changes.filter((c) => c.status !== 'D').map((c) => c.blob))];
  const content = catBlobs(upstream, blobs);
  const open = new Map<string, ClaimSpan | null>();
  const spans: ClaimSpan[] = [];
  let unowned = 0;
  for (const ch of changes) {
    const task = path.basename(ch.file, '.txt');
    const cur = open.get(task);
    if (ch.status !== 'A' && cur) cur.to = ch.at;
    open.delete(task);
    if (ch.status === 'D') continue;
    const text = content.get(ch.blob) ?? '';
    const agent = /^Agent: *(.+)$/m.exec(text)?.[1]?.trim();
    const session = /^Session: *(.+)$/m.exec(text)?.[1]?.trim();
    if (!agent || !session) {
      unowned++;
      open.set(task, null);
      continue;
    }
    const span: ClaimSpan = { task, agent, session, from: ch.at, to: null };
    spans.push(span);
    open.set(task, span);
  }
  return { spans, unowned };
}

function catBlobs(upstream: string, shas: string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (!shas.length) return out;
  const buf = execFileSync('git', ['--git-dir', upstream, 'cat-file', '--batch'], { input: shas.join('\n') + '\n', maxBuffer: BUF });
  let i = 0;
  while (i < buf.length) {
    const nl = buf.indexOf(10, i);
    const [sha, , size] = buf.subarray(i, nl).toString().split(' ');
    const n = Number(size);
    out.set(sha!, buf.subarray(nl + 1, nl + 1 + n).toString('utf8'));
    i = nl + 1 + n + 1;
  }
  return out;
}

/** Commits reachable from main or any wip/ ref. */
export function reachable(upstream: string): Set<string> {
  const wips = git(upstream, ['for-each-ref', '--format=%(objectname)', 'refs/heads/wip/']).split('\n').filter(Boolean);
  return new Set(git(upstream, ['rev-list', '--stdin'], ['refs/heads/main', ...wips].join('\n') + '\n').split('\n').filter(Boolean));
}

/** Commits on main that were not there at `first` (the upstream as seeded). */
export function commitsSince(upstream: string, first: string | undefined): number {
  return Number(git(upstream, ['rev-list', '--count', 'refs/heads/main', ...(first ? [`^${first}`] : [])]).trim());
}

export function wipRefs(upstream: string): number {
  return git(upstream, ['for-each-ref', '--format=%(refname)', 'refs/heads/wip/']).split('\n').filter(Boolean).length;
}

export function readCommitLog(file: string): CommitRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as CommitRecord];
      } catch {
        return []; // a line torn by a kill
      }
    });
}

/** `agent/session` -> when it ended: its session_end, else the first supervisor death after its start. */
export function sessionEnds(events: LoggedEvent[], deaths: number[]): Map<string, number> {
  const out = new Map<string, number>();
  const started = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'session_start') started.set(`${e.agent}/${e.session}`, Date.parse(e.ts));
    if (e.type === 'session_end') out.set(`${e.agent}/${e.session}`, Date.parse(e.ts));
  }
  for (const [k, t] of started) {
    if (out.has(k)) continue;
    const d = deaths.filter((x) => x >= t).sort((a, b) => a - b)[0];
    if (d !== undefined) out.set(k, d);
  }
  return out;
}

/**
 * main's pass count at every landed tip, oldest first. Only src/ changes from tip to tip
 * (tests and tools are the project's and protected), so each distinct src/ tree is judged
 * once, by the project's own tools/status.mjs on a checkout, two at a time.
 */
export async function judgeTips(upstream: string, reflog: Landed[], work: string, progress: (done: number, all: number) => void): Promise<Tip[]> {
  const tips = reflog.filter((r, i) => i === 0 || r.sha !== reflog[i - 1]!.sha);
  const trees: string[] = [];
  for (let i = 0; i < tips.length; i += 400) {
    trees.push(...git(upstream, ['rev-parse', ...tips.slice(i, i + 400).map((t) => `${t.sha}:src`)]).split('\n').filter(Boolean));
  }
  const distinct = [...new Set(trees)];
  const result = new Map<string, { passed: number; total: number }>();
  const base = tips[0]!.sha;
  const workers = [0, 1].map((w) => {
    const dir = path.join(work, `judge-${w}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    checkout(upstream, base, dir, path.join(work, `judge-${w}.index`));
    return dir;
  });
  let next = 0;
  let done = 0;
  await Promise.all(
    workers.map(async (dir, w) => {
      while (next < distinct.length) {
        const tree = distinct[next++]!;
        rmSync(path.join(dir, 'src'), { recursive: true, force: true });
        const idx = path.join(work, `judge-${w}.src-index`);
        rmSync(idx, { force: true });
        await run('git', ['--git-dir', upstream, '--work-tree', dir, 'read-tree', '--prefix=src/', tree], { env: { ...process.env, GIT_INDEX_FILE: idx } });
        await run('git', ['--git-dir', upstream, '--work-tree', dir, 'checkout-index', '--all', '--force'], { env: { ...process.env, GIT_INDEX_FILE: idx } });
        const { stdout } = await run(process.execPath, ['tools/status.mjs', '--json'], { cwd: dir, maxBuffer: BUF });
        const s = JSON.parse(stdout) as { passed: number; total: number };
        result.set(tree, { passed: s.passed, total: s.total });
        progress(++done, distinct.length);
      }
    }),
  );
  return tips.map((t, i) => ({ sha: t.sha, at: t.at, ...result.get(trees[i]!)! }));
}

function checkout(upstream: string, commit: string, dir: string, index: string): void {
  rmSync(index, { force: true });
  execFileSync('git', ['--git-dir', upstream, '--work-tree', dir, 'read-tree', commit], { env: { ...process.env, GIT_INDEX_FILE: index } });
  execFileSync('git', ['--git-dir', upstream, '--work-tree', dir, 'checkout-index', '--all', '--force'], { env: { ...process.env, GIT_INDEX_FILE: index } });
}

/** This process and its ancestors (npm, a shell): they name the run folder in their command lines but are not left behind. */
export function selfAndAncestors(): Set<number> {
  const out = new Set<number>();
  let pid = process.pid;
  while (pid > 1 && !out.has(pid)) {
    out.add(pid);
    try {
      pid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      break;
    }
  }
  return out;
}

/** Processes whose working folder or command line is inside `root` (`except`: the bench's own). */
export function processesUnder(root: string, except: ReadonlySet<number>): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || except.has(Number(p))) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${p}/cwd`);
      } catch {
        /* gone or not ours to read */
      }
      if (cwd === root || cwd.startsWith(root + '/') || cmd.includes(root)) out.push(`pid ${p}: ${cmd.slice(0, 120)}`);
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

export function dirBytes(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

/**
 * For logged commits that are nowhere upstream: the reachable commit (main or wip/) that is
 * the same change rebased: same author, author date and subject, and every line the
 * original added is added there too. The original is read from its agent's workspace,
 * where a rebase leaves it. A commit found in no workspace stays unmatched (lost).
 */
export function findRewrites(upstream: string, swarm: string, lost: { sha: string; agent: string }[]): Map<string, string> {
  const out = new Map<string, string>();
  if (!lost.length) return out;
  const wips = git(upstream, ['for-each-ref', '--format=%(objectname)', 'refs/heads/wip/']).split('\n').filter(Boolean);
  const index = new Map<string, string[]>();
  const log = git(upstream, ['log', '--format=%H%x00%an%x00%at%x00%s', '--stdin'], ['refs/heads/main', ...wips].join('\n') + '\n');
  for (const l of log.split('\n')) {
    const [h, ...key] = l.split('\0');
    if (h && key.length === 3) index.set(key.join('\0'), [...(index.get(key.join('\0')) ?? []), h]);
  }
  const added = (where: string[], commit: string) =>
    execFileSync('git', [...where, 'show', '--format=', '--no-color', commit], { encoding: 'utf8', maxBuffer: BUF, stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter((l) => l.startsWith('+') && !l.startsWith('+++'));
  for (const { sha, agent } of lost) {
    const ws = path.join(swarm, 'agents', agent, 'workspace');
    if (!existsSync(ws)) continue;
    let key: string;
    let mine: string[];
    try {
      key = execFileSync('git', ['-C', ws, 'log', '-1', '--format=%an%x00%at%x00%s', sha], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).replace(/\n$/, '');
      mine = added(['-C', ws], sha);
    } catch {
      continue; // not in this workspace (pruned, or never there)
    }
    for (const cand of index.get(key) ?? []) {
      const theirs = new Set(added(['--git-dir', upstream], cand));
      if (mine.every((l) => theirs.has(l))) {
        out.set(sha, cand);
        break;
      }
    }
  }
  return out;
}
