// The coordination facts status and the report show beside the numbers: messages on main,
// the backlog, tasks given up again and again (with their earlier attempts), and reverts
// and duplicate work found in recent diffs. Reading only, through the git seam; the rules
// are pure (tasks/backlog.ts, tasks/history.ts, tasks/messages.ts, overlap.ts).
import type { Git } from '../kit/git.js';
import { backlogView } from '../tasks/backlog-ops.js';
import { hotTasks, readWipRefs, wipFor, type TaskStory } from '../tasks/history.js';
import { readMessages } from '../tasks/message-ops.js';
import type { Message } from '../tasks/messages.js';
import { findDuplicates, findReverts, flagLine, OVERLAP_DEFAULTS, type Change } from './overlap.js';

export interface HotTask {
  task: string;
  givenUp: number;
  attempts: { agent: string | null; session: string | null; claimedAt: number; end: string; reason: string; wip: string | null }[];
}

export interface Coordination {
  messages: Message[];
  backlog: { ready: number; blocked: number; held: number; done: number; cycles: number; unknown: number };
  hot: HotTask[];
  /** one line each, naming both commits */
  flags: string[];
}

export const emptyCoordination = (): Coordination => ({ messages: [], backlog: { ready: 0, blocked: 0, held: 0, done: 0, cycles: 0, unknown: 0 }, hot: [], flags: [] });

export function hotTask(s: TaskStory, wipRefs: readonly string[]): HotTask {
  return {
    task: s.task,
    givenUp: s.givenUp,
    attempts: s.attempts.map((a) => ({ agent: a.agent, session: a.session, claimedAt: a.claimedAt, end: a.end?.status ?? 'holding', reason: a.end?.reason ?? '', wip: wipFor(a, wipRefs) })),
  };
}

const HEADER_END = '\x1d';
/** Landed commits for the overlap rules: newest `limit` on main's first-parent line. */
const DIFF_FORMAT = `%x1e%H%x1f%ct%x1f%(trailers:key=Task,valueonly,separator=%x2c)%x1f%(trailers:key=Task-Agent,valueonly,separator=%x2c)%x1f%(trailers:key=Task-Session,valueonly,separator=%x2c)%x1f%an%x1f%b${HEADER_END}`;
const OUTSIDE_LOCKS = ['--', '.', ':(exclude)current_tasks'];

/** Parses `git log -p --unified=0` with DIFF_FORMAT (newest first) into Changes, oldest first. */
export function parseDiffLog(out: string): Change[] {
  const changes: Change[] = [];
  for (const chunk of out.split('\x1e')) {
    const end = chunk.indexOf(HEADER_END);
    if (end < 0) continue;
    const [sha, ct, task, agent, session, author, body] = chunk.slice(0, end).split('\x1f');
    const reverts = /This reverts commit ([0-9a-f]{7,40})/.exec(body ?? '');
    changes.push({
      sha: sha!.trim(),
      t: Number(ct) * 1000,
      kind: 'landed',
      ref: null,
      tasks: all(task),
      agent: first(agent) ?? (author?.trim().replace(/ \(.*\)$/, '') || null),
      session: first(session),
      revertsSha: reverts ? reverts[1]! : null,
      files: parsePatch(chunk.slice(end + 1)),
    });
  }
  return changes.reverse();
}

const first = (s: string | undefined) => s?.split(',')[0]?.trim() || null;
const all = (s: string | undefined) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);

/** Added and removed lines per file of a unified diff. */
export function parsePatch(patch: string): Map<string, { added: string[]; removed: string[] }> {
  const files = new Map<string, { added: string[]; removed: string[] }>();
  let cur: { added: string[]; removed: string[] } | null = null;
  for (const line of patch.split('\n')) {
    if (line.startsWith('diff --git ')) cur = null;
    else if (line.startsWith('+++ ')) {
      const name = line.slice(4).replace(/^b\//, '');
      if (name === '/dev/null') continue;
      cur = files.get(name) ?? { added: [], removed: [] };
      files.set(name, cur);
    } else if (line.startsWith('--- ')) {
      const name = line.slice(4).replace(/^a\//, '');
      if (name !== '/dev/null') {
        cur = files.get(name) ?? { added: [], removed: [] };
        files.set(name, cur);
      }
    } else if (cur && line.startsWith('+')) cur.added.push(line.slice(1));
    else if (cur && line.startsWith('-')) cur.removed.push(line.slice(1));
  }
  return files;
}

export async function readCoordination(git: Git, head: string, now: number, opts: { limit?: number; wipLimit?: number } = {}): Promise<Coordination> {
  const since = Math.floor((now - 4 * OVERLAP_DEFAULTS.windowMs) / 1000);
  const [messages, view, wipRefs, log] = await Promise.all([
    readMessages(git, head),
    backlogView(git, head),
    readWipRefs(git, null),
    git.must(['log', '--first-parent', '--diff-merges=first-parent', '-p', '--unified=0', '--no-color', '--no-renames', '--no-ext-diff', `-n${opts.limit ?? 300}`, `--since=${since}`, `--format=${DIFF_FORMAT}`, head, ...OUTSIDE_LOCKS]),
  ]);
  const landed = parseDiffLog(log);
  const wip = await readWipChanges(git, head, since * 1000, opts.wipLimit ?? 20, [...view.stories.values()]);
  const flags = [...findReverts(landed), ...findDuplicates([...landed, ...wip])].map(flagLine);
  const p = view.plan;
  return {
    messages,
    backlog: { ready: p.ready.length, blocked: p.blocked.length, held: p.held.length, done: p.done.length, cycles: p.cycles.length, unknown: p.unknown.length },
    hot: hotTasks(view.stories).map((s) => hotTask(s, wipRefs)),
    flags,
  };
}

/** The tasks whose attempt's leftover work a wip branch holds (the session's claims, from the lock history). */
export function wipTasks(ref: string, stories: readonly TaskStory[]): string[] {
  return stories.filter((s) => s.attempts.some((a) => wipFor(a, [ref]) === ref)).map((s) => s.task);
}

/** The newest wip branches' changes against where they left main, each with its session's tasks. */
async function readWipChanges(git: Git, head: string, sinceMs: number, limit: number, stories: readonly TaskStory[]): Promise<Change[]> {
  const refs = await git.run(['for-each-ref', '--sort=-committerdate', `--count=${limit}`, '--format=%(refname)%09%(objectname)%09%(committerdate:unix)', 'refs/heads/wip/']);
  const out: Change[] = [];
  for (const line of refs.stdout.split('\n').filter(Boolean)) {
    const [ref, sha, ct] = line.split('\t') as [string, string, string];
    if (Number(ct) * 1000 < sinceMs) continue;
    const base = await git.run(['merge-base', head, sha]);
    if (base.code !== 0) continue;
    const diff = await git.run(['diff', '--unified=0', '--no-color', '--no-renames', '--no-ext-diff', base.stdout.trim(), sha, ...OUTSIDE_LOCKS]);
    const name = ref.replace(/^refs\/heads\//, '');
    const m = /^wip\/([^/]+)\/([^/-]+)/.exec(name);
    out.push({ sha, t: Number(ct) * 1000, kind: 'wip', ref: name, tasks: wipTasks(name, stories), agent: m?.[1] ?? null, session: m?.[2] ?? null, revertsSha: null, files: parsePatch(diff.stdout) });
  }
  return out;
}
