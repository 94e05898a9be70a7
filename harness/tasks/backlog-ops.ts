// The backlog's I/O shell: read the backlog files and the lock history of a commit, add a
// task with one commit on top of upstream main (the same plumbing as a claim, so it never
// touches the working tree), and answer "may this task be claimed yet?".
import { HeldError, UsageError } from '../kit/errors.js';
import type { Git } from '../kit/git.js';
import { readFolder, Snapshot } from '../git/objects.js';
import { landOnUpstream } from '../git/sync.js';
import { backlogPath, BACKLOG_DIR, checkNewItem, findCycles, formatBacklogFile, parseBacklogFile, planBacklog, type BacklogItem, type BacklogPlan } from './backlog.js';
import { taskCommitMessage } from './claims.js';
import { doneTasks, readTaskHistory, taskStories, type TaskStory } from './history.js';
import { commitOn, type TaskCtx } from './ops.js';
import { readClaims } from './read.js';
import { taskOfFile } from '../kit/task-name.js';

export async function readBacklog(git: Git, rev: string | null): Promise<BacklogItem[]> {
  if (!rev) return [];
  const files = await readFolder(git, rev, BACKLOG_DIR, (e) => !!taskOfFile(e.name));
  return files.map((f) => parseBacklogFile(taskOfFile(f.entry.name)!, f.data)).sort((a, b) => a.task.localeCompare(b.task));
}

export interface BacklogView {
  items: BacklogItem[];
  plan: BacklogPlan;
  stories: Map<string, TaskStory>;
  held: Set<string>;
}

/** The backlog of `rev` with what the history and the locks there say about it. */
export async function backlogView(git: Git, rev: string | null): Promise<BacklogView> {
  const [items, events, claims] = await Promise.all([readBacklog(git, rev), readTaskHistory(git, rev), readClaims(git, rev)]);
  const stories = taskStories(events);
  const held = new Set(claims.map((c) => c.task));
  const plan = planBacklog(items, { done: doneTasks(stories), known: new Set(stories.keys()), held });
  return { items, plan, stories, held };
}

export type ClaimGate = { kind: 'ok' } | { kind: 'unmet'; deps: string[] } | { kind: 'done'; sha: string | null; by: string | null };

/**
 * Whether a backlog task may be claimed at `snap` (loaded with its backlog path): not when
 * it is done already (a racer finished it between our look and our claim) or while a
 * dependency is not done. A task outside the backlog is always ok; the history is read
 * only for backlog tasks.
 */
export async function claimGate(git: Git, snap: Snapshot, task: string): Promise<ClaimGate> {
  const data = snap.file(backlogPath(task));
  if (!data || !snap.commit) return { kind: 'ok' };
  const item = parseBacklogFile(task, data);
  if (item.markedDone) return { kind: 'done', sha: null, by: null };
  const [events, items] = await Promise.all([readTaskHistory(git, snap.commit), item.depends.length ? readBacklog(git, snap.commit) : []]);
  const stories = taskStories(events);
  const own = stories.get(task);
  if (own?.last === 'done') {
    const end = own.attempts.at(-1)?.end;
    return { kind: 'done', sha: end?.sha ?? null, by: end?.by ?? null };
  }
  const done = doneTasks(stories);
  const byTask = new Map(items.map((i) => [i.task, i]));
  const deps = item.depends.filter((d) => !done.has(d) && byTask.get(d)?.markedDone !== true);
  return deps.length ? { kind: 'unmet', deps } : { kind: 'ok' };
}

export function gateError(task: string, g: Exclude<ClaimGate, { kind: 'ok' }>): HeldError {
  if (g.kind === 'unmet') return new HeldError('DEPS_NOT_DONE', `task "${task}" waits on ${g.deps.join(', ')} (not done yet); pick another task (harness task next)`);
  const who = g.sha ? ` by ${g.by ?? 'someone'} in ${g.sha.slice(0, 7)}` : ` (Status: done in ${backlogPath(task)})`;
  return new HeldError('TASK_DONE', `task "${task}" is done already${who}; for follow-up work add a new task (harness task add)`);
}

export interface AddResult {
  commit: string | null;
  attempts: number;
  /** dependencies that name no task known yet: allowed (they may be added next), but said */
  unknownDeps: string[];
}

/** Adds `current_tasks/backlog/<task>.txt` on upstream main. */
export async function addTask(ctx: TaskCtx, opts: { task: string; priority?: unknown; depends?: string[]; note?: string }): Promise<AddResult> {
  const { priority, depends } = checkNewItem(opts.task, opts.priority, opts.depends ?? []);
  const task = opts.task;
  let unknownDeps: string[] = [];
  const landed = await landOnUpstream<null>(ctx.git, ctx.upstream, ctx.retry, async (base) => {
    const snap = await Snapshot.load(ctx.git, base, { files: [backlogPath(task)] });
    if (snap.file(backlogPath(task))) throw new HeldError('TASK_EXISTS', `the backlog already has ${task} (${backlogPath(task)}); edit that file or pick another name`);
    const view = await backlogView(ctx.git, snap.commit);
    const item: BacklogItem = { task, priority, depends, markedDone: false, note: opts.note ?? '', problems: [] };
    const cycle = findCycles([...view.items, item]).find((c) => c.includes(task));
    if (cycle) throw new UsageError('DEPENDENCY_CYCLE', `adding ${task} would close a cycle: ${[...cycle, cycle[0]].join(' -> ')}; drop one of those dependencies`);
    unknownDeps = depends.filter((d) => !view.items.some((i) => i.task === d) && !view.stories.has(d));
    const content = formatBacklogFile({ task, priority, depends, added: ctx.now(), by: ctx.me.agent }, opts.note ?? '');
    const msg = taskCommitMessage({ subject: `Add ${task} to the backlog`, tasks: [task], status: 'added', who: ctx.me, body: opts.note });
    return { commit: await commitOn(ctx, snap, [{ path: backlogPath(task), content }], msg), value: null };
  });
  return { commit: landed.commit, attempts: landed.attempts, unknownDeps };
}
