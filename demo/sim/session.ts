// One simulated agent session. It orients, claims a task, "thinks", writes the task's
// known solution, runs the tests, commits, rebases onto upstream (resolving conflicts),
// lands the work with `harness task done`, and exits. Knobs make it crash mid-task or
// push a regression, so the swarm machinery meets the failures real agents cause.
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckFailedError, HarnessError } from '../../harness/kit/errors.js';
import { Git } from '../../harness/kit/git.js';
import { backoffMs } from '../../harness/git/sync.js';
import { applySolution, readBankEntry, type BankEntry } from '../solution.js';
import { pickRegressionTarget, rankTasks, seededRandom } from './choose.js';
import { DEFAULT_IDLE_MS, parseSimArgs, type SimOptions } from './index.js';
import { look, projectStatus, type View } from './orient.js';
import { Transcript, type ToolMain } from './transcript.js';
import { CommitLog } from './commits.js';
import { faultFor, readFaultFile, type SessionFault } from './faults.js';
import { ORIGIN_MAIN, catchUp, commitAll, headMessage, identity, pushHead, rebaseOnUpstream, startFromUpstream, upstreamHead, type Written } from './workspace.js';

export const EXIT_CRASH = 70;
const MAX_CLAIM_TRIES = 5;
const MAX_LAND_ROUNDS = 40;

/** The two CLIs the simulator calls in-process, as an agent would call the executables; its entry point hands them in. */
export interface SimTools {
  harness: ToolMain;
  oracle: ToolMain;
}

interface Sim {
  tools: SimTools;
  opts: SimOptions;
  agent: string;
  tag: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  git: Git;
  log: Transcript;
  random: () => number;
  t0: number;
  /** the fault planned for this session (--sim-faults), if any */
  fault: SessionFault | null;
  commits: CommitLog;
}

export async function main(argv: string[], tools: SimTools, log = new Transcript()): Promise<number> {
  const t0 = Date.now();
  try {
    const opts = parseSimArgs(argv);
    const agent = process.env.HARNESS_AGENT?.trim() || 'sim';
    const session = process.env.HARNESS_SESSION?.trim() || String(process.pid);
    const who = `${agent} (sim)`;
    const env = { ...process.env, ...identity(who), HARNESS_AGENT: agent, HARNESS_SESSION: session };
    const cwd = process.cwd();
    const s: Sim = {
      tools, opts, agent, tag: `${agent}/${session}`, cwd, env, git: new Git(cwd, env), log, t0,
      random: opts.seed !== undefined ? seededRandom(`${opts.seed}/${agent}/${session}`) : Math.random,
      fault: faultFor(opts.faults ? readFaultFile(opts.faults) : null, agent, session),
      commits: new CommitLog(opts.commitLog ?? null, { agent, session, email: identity(who).GIT_COMMITTER_EMAIL, since: t0 }, ORIGIN_MAIN),
    };
    log.say(`SIMULATED AGENT ${s.tag}: a simulator for tests and the demo, not a real coding agent. It applies known solutions from ${opts.bank}.`);
    log.say(`knobs: crash ${opts.crash}, regress ${opts.regress}, think up to ${opts.thinkMs} ms; upstream ${process.env.HARNESS_UPSTREAM ?? '(origin)'}${s.fault ? `; planned fault for this session: ${s.fault.kind}` : ''}`);
    if (s.fault?.kind === 'ratelimit') return rateLimited(s, s.fault.resetInMs);
    return await session1(s);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    log.say(`FAILED: ${msg}${e instanceof HarnessError ? ` [${e.code}]` : ''}`);
    return e instanceof HarnessError ? e.exitCode : 1;
  }
}

async function session1(s: Sim): Promise<number> {
  let head = await startFromUpstream(s.git, s.log, s.tag);
  const idleMs = s.opts.idleMs ?? DEFAULT_IDLE_MS;
  const idleUntil = Date.now() + idleMs;
  for (;;) {
    const view = await look(s.cwd, s.env);
    const st = view.status;
    s.log.say(`orient: upstream main ${head.slice(0, 7)}: ${view.done.length}/${view.done.length + view.open.length} tasks done, ${st.passed}/${st.total} tests pass, ${view.claimed.size} claimed`);
    if (view.open.length === 0) {
      const extra = st.passed === st.total ? '' : ` (${st.total - st.passed} tests outside any task fail; nothing the sim knows how to fix)`;
      s.log.say(`NOTHING LEFT: every task is done on upstream main${extra}`);
      return 0;
    }
    const task = await claimOne(s, view);
    if (task) return work(s, task, view);
    if (Date.now() >= idleUntil) {
      s.log.say(`NOTHING TO CLAIM: all ${view.open.length} open tasks are claimed by others; exiting after waiting ${Math.round(idleMs / 1000)} s`);
      return 0;
    }
    s.log.say(`all ${view.open.length} open tasks are claimed by others; waiting for upstream to move`);
    await waitForUpstream(s, head, idleUntil);
    head = await catchUp(s.git);
  }
}

async function claimOne(s: Sim, view: View): Promise<string | null> {
  const ranked = rankTasks(view.open, view.claimed, s.agent).slice(0, MAX_CLAIM_TRIES);
  for (const task of ranked) {
    const r = await s.log.tool('harness', s.tools.harness, ['task', 'claim', task, '--note', `Simulated session ${s.tag}: applying the known solution.`], s.cwd, s.env);
    if (r.code === 0) {
      if (await doneMeanwhile(s, task)) continue;
      return task;
    }
    if (r.code !== 3) throw new CheckFailedError('CLAIM_FAILED', `harness task claim ${task} exited ${r.code}`);
  }
  return null;
}

/**
 * The claim fast-forwarded the clone to a main that may be newer than the one the task was
 * picked from, and a task name stays claimable after it is done. An agent that finds the
 * work already there gives the claim back instead of redoing it (or crashing with nothing
 * to save).
 */
async function doneMeanwhile(s: Sim, task: string): Promise<boolean> {
  if ((await projectStatus(s.cwd, s.env, readBankEntry(s.opts.bank, task).tests)).tasks[task] !== true) return false;
  s.log.say(`${task} was done by someone else while it was being picked; giving the claim back`);
  const r = await s.log.tool('harness', s.tools.harness, ['task', 'release', task, '--reason', 'done by someone else meanwhile'], s.cwd, s.env);
  if (r.code !== 0) throw new CheckFailedError('RELEASE_FAILED', `harness task release ${task} exited ${r.code}`);
  return true;
}

/** Polls upstream cheaply (ls-remote) until main moves or the idle time is over. */
async function waitForUpstream(s: Sim, head: string, until: number): Promise<void> {
  while (Date.now() < until) {
    await sleep(500 + Math.floor(s.random() * 500));
    const now = await upstreamHead(s.git);
    if (now && now !== head) return;
  }
}

async function work(s: Sim, task: string, view: View): Promise<number> {
  const entry = readBankEntry(s.opts.bank, task);
  const think = Math.floor(s.random() * s.opts.thinkMs);
  s.log.say(`working on ${task} (${entry.title}); thinking for ${think} ms`);
  await sleep(think);

  if (s.fault?.kind === 'hang') return hang(s, task, entry);
  if (s.fault ? s.fault.kind === 'crash' : s.random() < s.opts.crash) return crash(s, task, entry);

  const written: Written = { files: { ...(entry.files ?? {}) }, edits: [...entry.edits] };
  const changed = applySolution(s.cwd, entry);
  s.log.say(`wrote the known solution of ${task}: ${changed.join(', ') || '(already there: re-checking)'}`);
  const broke = (s.fault ? s.fault.kind === 'regress' : s.random() < s.opts.regress) ? regress(s, task, view, written) : null;

  const check = await projectStatus(s.cwd, s.env, entry.tests);
  if (!check.tasks[task]) return giveUp(s, task, `its tests still fail with the known solution: ${firstFailure(check, entry)}`);
  await s.log.tool('test-oracle', s.tools.oracle, ['run', '--fast'], s.cwd, s.env);

  const subject = `${task}: ${entry.title}`;
  const body = `Simulated work by the sim agent (${s.tag}): the known solution from the demo's bank, not real work.`;
  await commitAll(s.git, `${subject}${broke ? ` (also changes ${broke})` : ''}\n\n${body}\n`, `${s.agent} (sim)`);
  await s.commits.checkpoint(s.git);
  s.log.cmd(`git commit -m ${JSON.stringify(subject)}`);
  return land(s, task, entry, written);
}

async function land(s: Sim, task: string, entry: BankEntry, written: Written): Promise<number> {
  let conflicts = 0;
  for (let round = 1; round <= MAX_LAND_ROUNDS; round++) {
    const began = Date.now();
    const resolved = await rebaseOnUpstream(s.git, s.log, written, `${s.agent} (sim)`).finally(() => s.commits.checkpoint(s.git));
    conflicts += resolved.length;
    if (resolved.length) {
      const st = await projectStatus(s.cwd, s.env, entry.tests);
      if (!st.tasks[task]) return giveUp(s, task, `after resolving conflicts its tests fail: ${firstFailure(st, entry)}`);
      s.log.say(`re-checked after resolving: ${task}'s tests pass`);
    }
    const already = /^Task-Status: done$/m.test(await headMessage(s.git));
    if (!already) {
      const r = await s.log.tool('harness', s.tools.harness, ['task', 'done', task, '-m', `Done ${task}`], s.cwd, s.env);
      await s.commits.checkpoint(s.git);
      if (r.code === 0) return finished(s, task, conflicts, round);
      const why = r.err.join(' ');
      if (/\[(CONFLICT|CONTENDED)\]/.test(why)) continue; // the done commit is kept locally: rebase again
      if (r.code === 3) throw new CheckFailedError('LOST_CLAIM', `${task} is no longer mine: ${why}`);
      return giveUp(s, task, `harness task done failed: ${why}`);
    }
    s.log.cmd('git push origin HEAD:main');
    const pushed = await pushHead(s.git);
    await s.commits.checkpoint(s.git);
    if (pushed.kind === 'ok') return finished(s, task, conflicts, round);
    if (pushed.kind === 'declined') return giveUp(s, task, `upstream refused the push: ${pushed.reason}`);
    s.log.output('rejected: upstream moved; rebasing again');
    await sleep(backoffMs(round, s.random, Date.now() - began));
  }
  return giveUp(s, task, `could not land after ${MAX_LAND_ROUNDS} rounds`);
}

function finished(s: Sim, task: string, conflicts: number, rounds: number): number {
  s.log.say(`FINISHED ${task} in ${((Date.now() - s.t0) / 1000).toFixed(1)} s: ${conflicts} conflict${conflicts === 1 ? '' : 's'} resolved, ${rounds} sync round${rounds === 1 ? '' : 's'}`);
  return 0;
}

/** --sim-crash: half the work on disk, the claim still on upstream, and a non-zero exit. */
function crash(s: Sim, task: string, entry: BankEntry): number {
  const partial = entry.files && Object.keys(entry.files).length ? { files: entry.files, edits: [] } : { edits: entry.edits.slice(0, 1) };
  const changed = applySolution(s.cwd, partial);
  s.log.say(`CRASH (simulated by --sim-crash): dying mid-task with uncommitted changes in ${changed.join(', ')} and a live claim on ${task}`);
  return EXIT_CRASH;
}

/** A planned hang: half the work on disk, the claim live, and no exit until the supervisor's session timeout. */
async function hang(s: Sim, task: string, entry: BankEntry): Promise<number> {
  const partial = entry.files && Object.keys(entry.files).length ? { files: entry.files, edits: [] } : { edits: entry.edits.slice(0, 1) };
  const changed = applySolution(s.cwd, partial);
  s.log.say(`HANG (planned by --sim-faults): stopping to respond with uncommitted changes in ${changed.join(', ') || '(none)'} and a live claim on ${task}; only the session timeout ends this`);
  for (;;) await sleep(3_600_000);
}

/**
 * A planned usage limit: the line Claude Code prints when an account's limit is reached
 * (its result event, `...limit reached|<reset, unix seconds>`), then exit 1 without
 * touching anything, so the supervisor's rate-limit handling meets the real format.
 */
function rateLimited(s: Sim, resetInMs: number): number {
  const reset = Math.ceil((Date.now() + resetInMs) / 1000);
  s.log.say(`RATE LIMIT (planned by --sim-faults): reporting a usage limit that resets at ${new Date(reset * 1000).toISOString()}, as Claude Code does`);
  process.stdout.write(JSON.stringify({ type: 'result', subtype: 'error', is_error: true, result: `Claude AI usage limit reached|${reset}`, simulated: true }) + '\n');
  return 1;
}

/** --sim-regress: also break a finished task's line, the way careless edits do. */
function regress(s: Sim, task: string, view: View, written: Written): string | null {
  const breakable = new Set(view.done.filter((t) => (readBankEntry(s.opts.bank, t).regress ?? []).length > 0));
  const target = pickRegressionTarget(view.done, breakable, task, s.random);
  if (!target) {
    s.log.say('REGRESSION wanted (--sim-regress) but no finished task has a known way to break; skipping');
    return null;
  }
  const edits = readBankEntry(s.opts.bank, target).regress!;
  const changed = applySolution(s.cwd, { edits });
  written.edits.push(...edits);
  s.log.say(`REGRESSION (simulated by --sim-regress): also changed ${changed.join(', ')} in a way that breaks ${target}'s tests`);
  return target;
}

async function giveUp(s: Sim, task: string, why: string): Promise<number> {
  s.log.say(`GIVING UP on ${task}: ${why}`);
  await s.log.tool('harness', s.tools.harness, ['task', 'release', task, '--reason', `sim gave up: ${why}`.slice(0, 300)], s.cwd, s.env);
  return 1;
}

function firstFailure(st: { tests: Record<string, { pass: boolean; reason?: string }> }, entry: BankEntry): string {
  const id = entry.tests.find((t) => !st.tests[t]?.pass);
  return id ? `${id}: ${st.tests[id]?.reason ?? 'missing'}` : 'unknown';
}
