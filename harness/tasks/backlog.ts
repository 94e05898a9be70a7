// The backlog: tasks waiting to be claimed, one file each under current_tasks/backlog/,
// with `Priority:` and `Depends:` headers. Pure: parsing, formatting, the dependency graph
// (cycles, unknown dependencies), readiness and the choice of the next task. Whether a task
// is done comes from the lock history (history.ts), never from a second source of truth.
import { UsageError } from '../kit/errors.js';
import { parseLock } from './lockfile.js';
import { LOCK_DIR, TASK_NAME_RE, validateTaskName } from '../kit/task-name.js';

export const BACKLOG_DIR = `${LOCK_DIR}/backlog`;
export const backlogPath = (task: string) => `${BACKLOG_DIR}/${task}.txt`;

export interface BacklogItem {
  task: string;
  /** higher first; failing tests count as 0 */
  priority: number;
  depends: string[];
  /** `Status: done` written by hand: done even without a `Task-Status: done` commit */
  markedDone: boolean;
  note: string;
  /** what is wrong with the file, when something is (it still takes part, as far as it can) */
  problems: string[];
}

const header = (h: Record<string, string>, key: string) => Object.entries(h).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];

export function parseBacklogFile(task: string, data: Uint8Array | string): BacklogItem {
  const p = parseLock(data);
  if (!p.readable) return { task, priority: 0, depends: [], markedDone: false, note: '', problems: [p.problem] };
  const problems: string[] = [];
  const prio = header(p.headers, 'Priority');
  let priority = 0;
  if (prio !== undefined && prio !== '') {
    if (/^-?\d{1,6}$/.test(prio)) priority = Number(prio);
    else problems.push(`Priority "${prio}" is not a whole number; counted as 0`);
  }
  const depends: string[] = [];
  for (const d of (header(p.headers, 'Depends') ?? '').split(/[\s,]+/).filter(Boolean)) {
    if (!TASK_NAME_RE.test(d)) problems.push(`Depends names "${d}", which is not a task name; ignored`);
    else if (d === task) problems.push('depends on itself; ignored');
    else if (!depends.includes(d)) depends.push(d);
  }
  const markedDone = /^done$/i.test(header(p.headers, 'Status') ?? '');
  return { task, priority, depends, markedDone, note: p.note, problems };
}

export function formatBacklogFile(f: { task: string; priority: number; depends: string[]; added: Date; by: string }, note: string): string {
  const lines = [`Task: ${f.task}`, `Priority: ${f.priority}`];
  if (f.depends.length) lines.push(`Depends: ${f.depends.join(', ')}`);
  lines.push(`Added: ${f.added.toISOString()}`, `Added-By: ${f.by.replace(/[\r\n]+/g, ' ').trim()}`, '');
  lines.push(note.trim() || `(no description; ask ${f.by})`, '');
  return lines.join('\n');
}

/** Checks `task add`'s input at the edge: names, priority range. */
export function checkNewItem(task: string, priority: unknown, depends: string[]): { priority: number; depends: string[] } {
  validateTaskName(task);
  const n = typeof priority === 'string' && /^-?\d+$/.test(priority.trim()) ? Number(priority) : priority ?? 0;
  if (typeof n !== 'number' || !Number.isInteger(n) || Math.abs(n) > 999_999) {
    throw new UsageError('BAD_PRIORITY', `--priority ${JSON.stringify(priority)}: give a whole number from -999999 to 999999 (higher is done first)`);
  }
  const deps = [...new Set(depends.flatMap((d) => d.split(/[\s,]+/)).filter(Boolean))];
  for (const d of deps) validateTaskName(d);
  if (deps.includes(task)) throw new UsageError('SELF_DEPENDENCY', `${task} cannot depend on itself; drop it from --depends`);
  return { priority: n, depends: deps };
}

export interface BacklogPlan {
  /** claimable now: not done, not held, every dependency done; best first */
  ready: BacklogItem[];
  /** waiting on dependencies that are not done (known ones, or unknown ones) */
  blocked: { item: BacklogItem; waitingOn: string[] }[];
  held: BacklogItem[];
  done: BacklogItem[];
  /** each cycle once, as its tasks in dependency order */
  cycles: string[][];
  /** dependencies that name no backlog task and no task the history knows */
  unknown: { task: string; dep: string }[];
}

/**
 * Sorts the backlog into ready / blocked / held / done. A dependency is met when the task
 * it names is done; a dependency on a task in a cycle or on an unknown task is never met,
 * and both are reported so a person can fix the files.
 */
export function planBacklog(items: BacklogItem[], facts: { done: ReadonlySet<string>; known: ReadonlySet<string>; held: ReadonlySet<string> }): BacklogPlan {
  const byTask = new Map(items.map((i) => [i.task, i]));
  const isDone = (t: string) => facts.done.has(t) || byTask.get(t)?.markedDone === true;
  const plan: BacklogPlan = { ready: [], blocked: [], held: [], done: [], cycles: findCycles(items), unknown: [] };
  for (const item of items) {
    for (const d of item.depends) if (!byTask.has(d) && !facts.known.has(d)) plan.unknown.push({ task: item.task, dep: d });
    if (isDone(item.task)) plan.done.push(item);
    else if (facts.held.has(item.task)) plan.held.push(item);
    else {
      const waitingOn = item.depends.filter((d) => !isDone(d));
      if (waitingOn.length) plan.blocked.push({ item, waitingOn });
      else plan.ready.push(item);
    }
  }
  plan.ready.sort((a, b) => b.priority - a.priority || a.task.localeCompare(b.task));
  return plan;
}

/** The dependencies of `task` that are not done: what a claim of it must wait for. */
export function unmetDependencies(item: BacklogItem, done: ReadonlySet<string>, others: ReadonlyMap<string, BacklogItem>): string[] {
  return item.depends.filter((d) => !done.has(d) && others.get(d)?.markedDone !== true);
}

/** Every cycle of the dependency graph (Tarjan's strongly connected components), iteratively: no stack overflow on long chains. */
export function findCycles(items: BacklogItem[]): string[][] {
  const edges = new Map(items.map((i) => [i.task, i.depends.filter((d) => d !== i.task)]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;
  for (const root of [...edges.keys()].sort()) {
    if (index.has(root)) continue;
    const work: { v: string; i: number }[] = [{ v: root, i: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const top = work[work.length - 1]!;
      const out = edges.get(top.v) ?? [];
      if (top.i < out.length) {
        const w = out[top.i++]!;
        if (!edges.has(w)) continue;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1]!.v;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.v)!));
      }
      if (low.get(top.v) === index.get(top.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== top.v);
        if (comp.length > 1) cycles.push(comp.reverse());
      }
    }
  }
  return cycles;
}

/**
 * Picks among the ready tasks of the highest priority, ranked per agent by `rank` (the
 * oracle's hash), so agents asking at once spread over equal tasks instead of racing for one.
 */
export function pickReady(ready: BacklogItem[], skip: ReadonlySet<string>, rank: (task: string) => number): BacklogItem | null {
  const open = ready.filter((i) => !skip.has(i.task));
  if (open.length === 0) return null;
  const top = Math.max(...open.map((i) => i.priority));
  return open.filter((i) => i.priority === top).sort((a, b) => rank(a.task) - rank(b.task) || a.task.localeCompare(b.task))[0]!;
}
