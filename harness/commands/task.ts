// `harness task ...`: the agent-side lock protocol, run inside any clone of the upstream.
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { defineCommand, defineGroup, type Io, type Register } from '../kit/cli-kit.js';
import { formatAge, parseDuration } from '../kit/duration.js';
import { UsageError } from '../kit/errors.js';
import { Git } from '../kit/git.js';
import { fetchUpstream, trackingRef } from '../git/sync.js';
import { ageMs, holderText, liveMatcher, type Claim } from '../tasks/claims.js';
import { doneWithWork } from '../tasks/done.js';
import { validateTaskName } from '../kit/task-name.js';
import { attemptLine, earlierAttempts } from '../tasks/history.js';
import { claimTask, reapTasks, releaseTask } from '../tasks/ops.js';
import { readClaim, readClaims } from '../tasks/read.js';
import { COMMON_TASK_OPTIONS, TASK_POSITIONAL, taskContext, type CommonTaskArgs } from './task-context.js';
import { claimJson, claimTable } from './task-view.js';
import { addCmd, backlogCmd } from './task-backlog.js';

type TaskArg = CommonTaskArgs & { task: string };
const short = (sha: string | null) => (sha ? sha.slice(0, 7) : '-');

export function taskCommand(io: Io, setResult: Register): CommandModule {
  return defineGroup({
    command: 'task',
    describe: 'Claim, finish, release, list and reap tasks in current_tasks/',
    commands: [claimCmd, doneCmd, releaseCmd, listCmd, showCmd, reapCmd, nextCmd, addCmd, backlogCmd].map((c) => c(io, setResult)),
    demand: 'say which task command to run: claim, done, release, list, show, reap, next, add or backlog',
    epilogue:
      'Run inside a clone of the upstream. Identity comes from HARNESS_AGENT / HARNESS_SESSION, else --agent / --session, else the hostname.\n' +
      'Exit codes: 0 ok, 1 upstream refused or a real conflict, 2 bad input (nothing written), 3 held by someone else, 4 git or upstream unavailable.',
  });
}

function claimCmd(io: Io, setResult: Register) {
  return defineCommand<TaskArg & { note?: string }>(io, setResult, {
    describe: 'Claim a task: push current_tasks/<task>.txt on top of upstream main (exit 3 if someone holds it)',
    args: {
      command: 'claim <task>',
      positionals: TASK_POSITIONAL,
      options: { ...COMMON_TASK_OPTIONS, note: { type: 'string', describe: 'what you are about to do, for the next reader' } },
    },
    run: async (args, io) => {
      const task = validateTaskName(args.task);
      const ctx = await taskContext(args, io);
      const r = await claimTask(ctx, task, args.note ?? '');
      if (r.outcome === 'already-mine') io.out(`already yours: ${task}`);
      else io.out(`claimed ${task} as ${ctx.me.agent} (commit ${short(r.commit)}${r.attempts > 1 ? `, ${r.attempts} attempts` : ''})`);
      if (r.earlier.length) {
        io.out(`earlier attempts at ${task} (start from them; git log -p origin/<wip branch> shows their work):`);
        r.earlier.forEach((a) => io.out(`  ${attemptLine(a)}`));
      }
    },
  });
}

function doneCmd(io: Io, setResult: Register) {
  return defineCommand<TaskArg & { message?: string; all: boolean; force: boolean }>(io, setResult, {
    describe: 'Finish a task: remove its lock; with -m, in the same commit as your staged work',
    args: {
      command: 'done <task>',
      positionals: TASK_POSITIONAL,
      options: {
        ...COMMON_TASK_OPTIONS,
        message: { alias: 'm', type: 'string', describe: 'commit your staged work with this message, together with the lock removal' },
        all: { alias: 'a', type: 'boolean', default: false, describe: 'stage every change first (git add --all); needs -m' },
        force: { type: 'boolean', default: false, describe: 'finish it even though another agent holds it' },
      },
    },
    run: async (args, io) => {
      const task = validateTaskName(args.task);
      if (args.all && args.message === undefined) throw new UsageError('NEEDS_MESSAGE', '--all commits your work, so it needs -m "message"');
      const ctx = await taskContext(args, io);
      if (args.message !== undefined) {
        const r = await doneWithWork(ctx, task, { message: args.message, all: args.all, force: args.force });
        io.out(`done ${task}: work and lock removal landed in ${short(r.commit)}${r.rebased ? ' (rebased on upstream)' : ''}`);
        return;
      }
      const r = await releaseTask(ctx, task, { status: 'done', force: args.force });
      io.out(r.outcome === 'not-claimed' ? `${task} was not claimed on upstream; nothing to do` : `done ${task} (commit ${short(r.commit)})`);
    },
  });
}

function releaseCmd(io: Io, setResult: Register) {
  return defineCommand<TaskArg & { force: boolean; reason?: string }>(io, setResult, {
    describe: 'Give a task up: remove its lock, recorded as abandoned',
    args: {
      command: 'release <task>',
      positionals: TASK_POSITIONAL,
      options: {
        ...COMMON_TASK_OPTIONS,
        reason: { type: 'string', describe: 'why, for the next agent (goes in the commit message)' },
        force: { type: 'boolean', default: false, describe: 'release it even though another agent holds it' },
      },
    },
    run: async (args, io) => {
      const task = validateTaskName(args.task);
      const ctx = await taskContext(args, io);
      const r = await releaseTask(ctx, task, { status: 'abandoned', force: args.force, body: args.reason });
      io.out(r.outcome === 'not-claimed' ? `${task} was not claimed on upstream; nothing to do` : `released ${task} (commit ${short(r.commit)})`);
    },
  });
}

function listCmd(io: Io, setResult: Register) {
  return defineCommand<CommonTaskArgs & { json: boolean; fetch: boolean; upstream?: string }>(io, setResult, {
    describe: 'List claimed tasks: owner, age, whether the owner is known',
    args: {
      command: 'list',
      options: {
        ...COMMON_TASK_OPTIONS,
        json: { type: 'boolean', default: false, describe: 'print JSON for programs' },
        fetch: { type: 'boolean', default: true, describe: 'fetch upstream first (--no-fetch: use what this clone last saw)' },
        upstream: { type: 'string', describe: 'read a local bare upstream directly, no clone needed (e.g. .swarm/upstream.git)' },
      },
    },
    run: async (args, io) => {
      const now = io.now();
      const claims = await listClaims(args, io);
      if (args.json) io.out(JSON.stringify(claims.map((c) => claimJson(c, now)), null, 2));
      else claimTable(claims, now).forEach((l) => io.out(l));
    },
  });
}

async function listClaims(args: CommonTaskArgs & { fetch: boolean; upstream?: string }, io: Io): Promise<Claim[]> {
  if (args.upstream) {
    const git = new Git(path.resolve(io.cwd, args.upstream), io.env);
    if ((await git.isBare()) !== true) throw new UsageError('NOT_AN_UPSTREAM', `--upstream ${args.upstream}: not a bare git repo`);
    return readClaims(git, `refs/heads/${args.branch}`);
  }
  const ctx = await taskContext(args, io, { verify: !args.fetch });
  const head = args.fetch ? await fetchUpstream(ctx.git, ctx.upstream) : await ctx.git.revParse(trackingRef(ctx.upstream));
  return readClaims(ctx.git, head);
}

function showCmd(io: Io, setResult: Register) {
  return defineCommand<TaskArg & { json: boolean }>(io, setResult, {
    describe: "Show a task's lock and the history of its claims",
    args: { command: 'show <task>', positionals: TASK_POSITIONAL, options: { ...COMMON_TASK_OPTIONS, json: { type: 'boolean', default: false } } },
    run: async (args, io) => {
      const task = validateTaskName(args.task);
      const ctx = await taskContext(args, io);
      const head = await fetchUpstream(ctx.git, ctx.upstream);
      const claim = await readClaim(ctx.git, head, task);
      const log = head ? await ctx.git.must(['log', '-n', '20', '--format=%h %cI %s', `--grep=^Task: ${task.replace(/\./g, '\\.')}$`, head]) : '';
      const now = io.now();
      const rev = head ? await ctx.git.revParse(head) : null;
      const earlier = rev ? await earlierAttempts(ctx.git, rev, task, ctx.upstream.remote) : [];
      if (args.json) {
        io.out(JSON.stringify({ task, claim: claim ? claimJson(claim, now) : null, attempts: earlier.map((a) => ({ ...a, claimedAt: new Date(a.claimedAt).toISOString() })), history: log.split('\n').filter(Boolean) }, null, 2));
        return;
      }
      if (!claim) io.out(`${task}: not claimed`);
      else {
        const age = ageMs(claim, now);
        io.out(`${task}: held by ${holderText(claim)}${age === null ? '' : ` for ${formatAge(age)}`}${claim.host ? ` on ${claim.host}` : ''}`);
        if (claim.note) claim.note.split('\n').slice(0, 20).forEach((l) => io.out(`  ${l}`));
      }
      const givenUp = earlier.filter((a) => a.end?.status === 'abandoned' || a.end?.status === 'reaped').length;
      if (earlier.length) {
        io.out(`earlier attempts${givenUp >= 2 ? ` (a hot task: given up ${givenUp} times; start from their work)` : ''}:`);
        earlier.forEach((a) => io.out(`  ${attemptLine(a)}`));
      }
      if (log) {
        io.out('history (newest first):');
        log.split('\n').forEach((l) => io.out(`  ${l}`));
      }
    },
  });
}

function reapCmd(io: Io, setResult: Register) {
  return defineCommand<CommonTaskArgs & { ttl: string; live: string[]; dryRun: boolean }>(io, setResult, {
    describe: 'Remove claims older than --ttl whose owner is not live (one commit, Task-Status: reaped)',
    args: {
      command: 'reap',
      options: {
        ...COMMON_TASK_OPTIONS,
        ttl: { type: 'string', demandOption: true, describe: 'claims older than this are stale, e.g. 2h' },
        live: { type: 'string', array: true, default: [], describe: 'owners still at work: AGENT or AGENT/SESSION (repeatable); you are always live' },
        'dry-run': { type: 'boolean', default: false, describe: 'only list what would be reaped' },
      },
    },
    run: async (args, io) => {
      const ttlMs = parseDuration(args.ttl, '--ttl');
      const ctx = await taskContext(args, io);
      const live = [...args.live, ctx.me.session ? `${ctx.me.agent}/${ctx.me.session}` : ctx.me.agent];
      const r = await reapTasks(ctx, { ttlMs, isLive: liveMatcher(live), dryRun: args.dryRun });
      const now = io.now();
      for (const c of r.reaped) io.out(`${args.dryRun ? 'would reap' : 'reaped'} ${c.task}: held by ${holderText(c)} for ${formatAge(ageMs(c, now) ?? 0)}`);
      io.out(r.reaped.length === 0 ? `no claims older than ${args.ttl} without a live owner` : args.dryRun ? `${r.reaped.length} stale` : `reaped ${r.reaped.length} (commit ${short(r.commit)})`);
    },
  });
}

function nextCmd(io: Io, setResult: Register) {
  return defineCommand<CommonTaskArgs & { claim: boolean; json: boolean }>(io, setResult, {
    describe: 'Propose (or --claim) the best task nobody holds: a ready backlog task by priority, or a failing test from the latest recorded results',
    args: {
      command: 'next',
      options: {
        ...COMMON_TASK_OPTIONS,
        claim: { type: 'boolean', default: false, describe: 'claim the proposed task (tries the next one if another agent wins it)' },
        json: { type: 'boolean', default: false, describe: 'print JSON for programs' },
      },
      epilogue: 'Exit: 0 a task was proposed (or claimed); 1 nothing to propose (backlog empty or blocked, and no recorded results, all failures claimed, or all pass); 3 lost every race.',
    },
    run: async (args, io) => {
      const ctx = await taskContext(args, io);
      // Loaded here: it reads the oracle's recorded results, which a claim has no use for.
      const { nextTask } = await import('../tasks/next.js');
      const r = await nextTask(ctx, { claim: args.claim, env: io.env });
      if (args.json) io.out(JSON.stringify(r));
      else if (r.kind === 'none') {
        io.out(
          r.why === 'no-results'
            ? 'no recorded test results on upstream main: run test-oracle run, then test-oracle notes-sync'
            : r.why === 'all-pass'
              ? 'every recorded test passes: nothing to propose'
              : `all ${r.failing} failing tests are claimed: nothing to propose (harness task list)`,
        );
        const b = r.backlog;
        if (b.blocked + b.held + b.done > 0) io.out(`backlog: none ready; ${b.blocked} blocked, ${b.held} held, ${b.done} done (harness task backlog)`);
      } else {
        const p = r.proposal;
        const verb = r.kind === 'claimed' ? 'claimed' : 'next';
        if (p.source === 'backlog') {
          io.out(`${verb}: ${p.task}  (backlog, priority ${p.priority}${p.depends.length ? `, after ${p.depends.join(', ')}` : ''})`);
          if (p.note) p.note.split('\n').slice(0, 10).forEach((l) => io.out(`  ${l}`));
          io.out(`${p.ready} backlog tasks ready and unclaimed`);
        } else {
          io.out(`${verb}: ${p.task}  (${p.testId}: ${p.result}${p.tool ? ` under ${p.tool}` : ''}, ${p.reason})`);
          io.out(`rerun it: ${p.rerun}`);
          io.out(`${p.unclaimed} of ${p.failing} failing tests unclaimed; results from ${r.resultsCommit?.slice(0, 7) ?? '-'}`);
        }
      }
      const problems = r.backlog.cycles.length + r.backlog.unknown.length;
      if (problems && !args.json) io.err(`backlog problems: ${r.backlog.cycles.length} cycles, ${r.backlog.unknown.length} unknown dependencies (harness task backlog)`);
      return r.kind === 'none' ? 1 : 0;
    },
  });
}
