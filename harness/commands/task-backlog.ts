// `harness task add` and `harness task backlog`: the backlog of tasks with priorities and
// dependencies, kept as files under current_tasks/backlog/ on upstream main.
import { defineCommand, type Io, type Register } from '../kit/cli-kit.js';
import { fetchUpstream } from '../git/sync.js';
import { backlogPath } from '../tasks/backlog.js';
import { addTask, backlogView, type BacklogView } from '../tasks/backlog-ops.js';
import { validateTaskName } from '../kit/task-name.js';
import { COMMON_TASK_OPTIONS, TASK_POSITIONAL, taskContext, type CommonTaskArgs } from './task-context.js';

const short = (sha: string | null) => (sha ? sha.slice(0, 7) : '-');

export function addCmd(io: Io, setResult: Register) {
  return defineCommand<CommonTaskArgs & { task: string; priority?: string; depends: string[]; note?: string }>(io, setResult, {
    describe: 'Add a task to the backlog (current_tasks/backlog/<task>.txt) with a priority and dependencies',
    args: {
      command: 'add <task>',
      positionals: TASK_POSITIONAL,
      options: {
        ...COMMON_TASK_OPTIONS,
        priority: { alias: 'p', type: 'string', describe: 'a whole number, higher first (default 0; failing tests count as 0)' },
        depends: { alias: 'd', type: 'string', array: true, default: [], describe: 'tasks that must be done first (repeatable or comma-separated)' },
        note: { type: 'string', describe: 'what the task is, for the agent that takes it' },
      },
    },
    run: async (args, io) => {
      const task = validateTaskName(args.task);
      const ctx = await taskContext(args, io);
      const r = await addTask(ctx, { task, priority: args.priority, depends: args.depends, note: args.note });
      io.out(`added ${task} to the backlog: ${backlogPath(task)} (commit ${short(r.commit)}${r.attempts > 1 ? `, ${r.attempts} attempts` : ''})`);
      if (r.unknownDeps.length) io.out(`note: ${r.unknownDeps.join(', ')} ${r.unknownDeps.length > 1 ? 'are' : 'is'} not a known task yet; ${task} waits until ${r.unknownDeps.length > 1 ? 'they are' : 'it is'} added and done`);
    },
  });
}

export function backlogCmd(io: Io, setResult: Register) {
  return defineCommand<CommonTaskArgs & { json: boolean }>(io, setResult, {
    describe: 'The backlog: ready, blocked (and on what), held, done; cycles and unknown dependencies',
    args: { command: 'backlog', options: { ...COMMON_TASK_OPTIONS, json: { type: 'boolean', default: false, describe: 'print JSON for programs' } } },
    run: async (args, io) => {
      const ctx = await taskContext(args, io);
      const head = await fetchUpstream(ctx.git, ctx.upstream);
      const view = await backlogView(ctx.git, head ? await ctx.git.revParse(head) : null);
      if (args.json) io.out(JSON.stringify(backlogJson(view), null, 2));
      else backlogLines(view).forEach((l) => io.out(l));
    },
  });
}

function backlogJson(v: BacklogView) {
  const p = v.plan;
  const item = (i: (typeof v.items)[number]) => ({ task: i.task, priority: i.priority, depends: i.depends, problems: i.problems });
  return {
    ready: p.ready.map(item),
    blocked: p.blocked.map((b) => ({ ...item(b.item), waitingOn: b.waitingOn })),
    held: p.held.map(item),
    done: p.done.map(item),
    cycles: p.cycles,
    unknown: p.unknown,
  };
}

export function backlogLines(v: BacklogView): string[] {
  const p = v.plan;
  if (v.items.length === 0) return ['the backlog is empty: add tasks with harness task add TASK --priority N --depends OTHER'];
  const out = [`backlog: ${p.ready.length} ready, ${p.blocked.length} blocked, ${p.held.length} held, ${p.done.length} done`];
  for (const i of p.ready) out.push(`  ready    ${i.task} (priority ${i.priority})`);
  for (const b of p.blocked) out.push(`  blocked  ${b.item.task} (priority ${b.item.priority}): waits on ${b.waitingOn.join(', ')}`);
  for (const i of p.held) out.push(`  held     ${i.task} (priority ${i.priority})`);
  for (const i of p.done) out.push(`  done     ${i.task}`);
  for (const c of p.cycles) out.push(`problem: dependency cycle ${[...c, c[0]].join(' -> ')}: none of these can start; edit a Depends: line in ${backlogPath(c[0]!)}`);
  for (const u of p.unknown) out.push(`problem: ${u.task} depends on ${u.dep}, which is no known task; add it (harness task add ${u.dep}) or fix ${backlogPath(u.task)}`);
  for (const i of v.items) for (const pr of i.problems) out.push(`problem: ${backlogPath(i.task)}: ${pr}`);
  return out;
}
