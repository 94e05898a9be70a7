// What the lock history says about each task: is it done, and who tried it before. Read
// from the `Task:` / `Task-Status:` trailers every lock commit carries (so plain-git
// claims count too). The parsing and the per-task story are pure; readTaskHistory is the
// one git call.
import type { Git } from '../kit/git.js';

export type LockStatus = 'claimed' | 'done' | 'abandoned' | 'reaped';
const STATUSES = new Set<string>(['claimed', 'done', 'abandoned', 'reaped']);

export interface TaskEvent {
  sha: string;
  /** committer time, ms */
  t: number;
  tasks: string[];
  status: LockStatus;
  /** Task-Agent / Task-Session trailers: who made the commit */
  agent: string | null;
  session: string | null;
  /** the message body without its trailers: the release reason, the reap list */
  body: string;
}

/** `git log` format for parseTaskLog: records split by \x1e, fields by \x1f. */
export const TASK_LOG_FORMAT =
  '%x1e%H%x1f%ct%x1f%(trailers:key=Task,valueonly,separator=%x2c)%x1f%(trailers:key=Task-Status,valueonly,separator=%x2c)%x1f%(trailers:key=Task-Agent,valueonly,separator=%x2c)%x1f%(trailers:key=Task-Session,valueonly,separator=%x2c)%x1f%b';

const TRAILER_LINE = /^[A-Za-z][A-Za-z0-9-]*: /;

/** Parses git log output (newest first) into events, oldest first; commits without a known status are skipped. */
export function parseTaskLog(out: string): TaskEvent[] {
  const events: TaskEvent[] = [];
  for (const chunk of out.split('\x1e')) {
    if (!chunk.trim()) continue;
    const [sha, ct, tasks, status, agent, session, body] = chunk.split('\x1f');
    const st = (status ?? '').split(',')[0]!.trim();
    if (!STATUSES.has(st)) continue;
    const lines = (body ?? '').trimEnd().split('\n');
    while (lines.length && TRAILER_LINE.test(lines[lines.length - 1]!)) lines.pop();
    events.push({
      sha: sha!.trim(),
      t: Number(ct) * 1000,
      tasks: (tasks ?? '').split(',').map((s) => s.trim()).filter(Boolean),
      status: st as LockStatus,
      agent: (agent ?? '').split(',')[0]!.trim() || null,
      session: (session ?? '').split(',')[0]!.trim() || null,
      body: lines.join('\n').trim(),
    });
  }
  return events.reverse();
}

export interface Attempt {
  agent: string | null;
  session: string | null;
  claimedAt: number;
  claimSha: string;
  /** how it ended; null while it is still held */
  end: { status: Exclude<LockStatus, 'claimed'>; t: number; sha: string; by: string | null; reason: string } | null;
}

export interface TaskStory {
  task: string;
  attempts: Attempt[];
  /** the latest status any commit gave the task */
  last: LockStatus;
  /** attempts that ended abandoned or reaped */
  givenUp: number;
}

/** Every task's story, from events oldest first. */
export function taskStories(events: TaskEvent[]): Map<string, TaskStory> {
  const out = new Map<string, TaskStory>();
  for (const e of events) {
    for (const task of e.tasks) {
      const s = out.get(task) ?? { task, attempts: [], last: e.status, givenUp: 0 };
      out.set(task, s);
      s.last = e.status;
      if (e.status === 'claimed') {
        s.attempts.push({ agent: e.agent, session: e.session, claimedAt: e.t, claimSha: e.sha, end: null });
        continue;
      }
      // The end closes the newest open attempt; an end with no claim seen (a lock added
      // without trailers) is an attempt of its own, by whoever the end names.
      let a = [...s.attempts].reverse().find((x) => x.end === null);
      if (!a) {
        a = { agent: e.status === 'reaped' ? null : e.agent, session: e.status === 'reaped' ? null : e.session, claimedAt: e.t, claimSha: e.sha, end: null };
        s.attempts.push(a);
      }
      a.end = { status: e.status, t: e.t, sha: e.sha, by: e.agent, reason: reasonFor(task, e) };
      if (e.status === 'abandoned' || e.status === 'reaped') s.givenUp++;
    }
  }
  return out;
}

/** A reap lists every task it removed, one line each: keep this task's line. */
function reasonFor(task: string, e: TaskEvent): string {
  if (e.status !== 'reaped') return e.body;
  const line = e.body.split('\n').find((l) => l.startsWith(`- ${task}:`));
  return line ? `reaped: ${line.slice(task.length + 3).trim()}` : 'reaped';
}

export const doneTasks = (stories: Map<string, TaskStory>) => new Set([...stories.values()].filter((s) => s.last === 'done').map((s) => s.task));

/** Tasks given up twice or more: the next agent should start from the earlier attempts. */
export function hotTasks(stories: Map<string, TaskStory>, min = 2): TaskStory[] {
  return [...stories.values()].filter((s) => s.givenUp >= min && s.last !== 'done').sort((a, b) => b.givenUp - a.givenUp || a.task.localeCompare(b.task));
}

/** The wip branch that holds an attempt's leftover work, when the supervisor saved one. */
export function wipFor(a: Attempt, wipRefs: readonly string[]): string | null {
  if (!a.agent || !a.session) return null;
  const ref = `wip/${a.agent}/${a.session}`;
  return wipRefs.find((r) => r === ref || r.startsWith(`${ref}-`)) ?? null;
}

/** Every lock commit reachable from `rev`: one git process, whatever the history's length. */
export async function readTaskHistory(git: Git, rev: string | null, task?: string): Promise<TaskEvent[]> {
  if (!rev) return [];
  const only = task ? ['--all-match', `--grep=^Task: ${task.replace(/\./g, '\\.')}$`] : [];
  const out = await git.must(['log', '--extended-regexp', '--grep=^Task-Status: ', ...only, `--format=${TASK_LOG_FORMAT}`, rev, '--']);
  return parseTaskLog(out);
}

/** The earlier attempts at `task` as of `rev` (all but a claim still open), with their wip branches. */
export async function earlierAttempts(git: Git, rev: string, task: string, remote: string | null): Promise<(Attempt & { wip: string | null })[]> {
  const story = taskStories(await readTaskHistory(git, rev, task)).get(task);
  const done = (story?.attempts ?? []).filter((a) => a.end !== null);
  if (done.length === 0) return [];
  const refs = await readWipRefs(git, remote);
  return done.map((a) => ({ ...a, wip: wipFor(a, refs) }));
}

/** One line per attempt, for people and agents. */
export function attemptLine(a: Attempt & { wip: string | null }): string {
  const who = `${a.agent ?? 'unknown'}${a.session ? ` (session ${a.session})` : ''}`;
  const why = a.end?.reason ? `: ${a.end.reason.split('\n').filter(Boolean).join(' / ').slice(0, 200)}` : '';
  return `${new Date(a.claimedAt).toISOString()} ${who} ${a.end?.status ?? 'holding'}${why}${a.wip ? `; its work: ${a.wip}` : ''}`;
}

/** wip/... branch names on the remote (or, in a bare upstream, its own heads). */
export async function readWipRefs(git: Git, remote: string | null): Promise<string[]> {
  const r = remote
    ? await git.run(['ls-remote', '--heads', remote, 'refs/heads/wip/*'])
    : await git.run(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads/wip/']);
  if (r.code !== 0) return [];
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[1]).filter((x): x is string => !!x).map((x) => x.replace(/^refs\/heads\//, ''));
}
