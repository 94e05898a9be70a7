// Launch: one session of one slot, from a clean workspace to its recorded end. It builds
// the session (prompt, role, unread messages, a credential of its own, a private HOME),
// runs it, records what it cost, owes the release of its claims, and saves what it left.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { SwarmEvent } from '../events/log.js';
import { withCost } from '../events/prices.js';
import { Git } from '../kit/git.js';
import { readMessages } from '../tasks/message-ops.js';
import { promptHeader, unread, type Message } from '../tasks/messages.js';
import { addUsage, type Tally } from './budget.js';
import type { RunBus } from './bus.js';
import type { Janitor } from './janitor.js';
import { recordContainer, recordProcess } from './orphans.js';
import { remoteSlot } from './remote-slot.js';
import { containerFile, pidFile, slotHome, type Slot, type SupervisorDeps } from './run-deps.js';
import { openSessionLog, Session, sessionName, type SessionResult } from './session.js';
import type { Ended } from './slot-next.js';
import { ensureWorkspace, markSession, safeGitEnv } from './workspace.js';

export interface LaunchDeps {
  d: SupervisorDeps;
  bus: RunBus;
  janitor: Pick<Janitor, 'cleanSlot' | 'afterSession' | 'owe' | 'journal'>;
  /** the supervisor's own clone (a remote slot's view of main) */
  hold: Git;
  tally: Tally;
  /** tells this swarm's containers from other swarms' on a shared daemon */
  swarmTag: string;
  flags: { readonly stopping: boolean; readonly immediate: boolean };
}

export async function launch(x: LaunchDeps, slot: Slot): Promise<Ended> {
  const { d, bus } = x;
  const c = d.config;
  await d.access.ensureAlive?.();
  // Remote: the session's entrypoint prepares and saves its workspace where it runs.
  const remote = d.executor ? remoteSlot(d.executor, x.hold, path.join(c.dir, 'remote'), slot.agent, { journal: x.janitor.journal, run: d.runId, now: d.now }) : null;
  if (!remote) await ensureWorkspace(slot.ws);
  else mkdirSync(slot.ws.paths.stateDir, { recursive: true }); // the pid of its ssh/srun, for a takeover
  const { head } = remote ? { head: await remote.head() } : await x.janitor.cleanSlot(slot); // leftovers of a session this run did not see end (kill -9, an error)
  slot.cleaned = false;
  const logDir = path.join(c.dir, 'agent_logs', slot.agent);
  const log = openSessionLog(logDir, head);
  const id = String(log.n);
  if (!remote) markSession(slot.ws, id);
  mkdirSync(slotHome(slot), { recursive: true, mode: 0o700 });
  // This session's own upstream token: it dies with the session, so leftovers cannot push.
  const cred = d.access.issue?.(slot.agent, id) ?? null;
  const waiting = await waitingMessages(x, slot, remote?.view);
  const role = slot.role ? { name: slot.role.name, text: slot.role.text ?? '' } : null; // read once at start
  const session = new Session(
    {
      agent: slot.agent, workspace: slot.ws.paths.dir, sessionDir: path.join(c.dir, 'agents', slot.agent, 'session'), root: d.root, logDir, head, adapter: d.adapter,
      sandbox: remote ? remote.sandbox({ agent: slot.agent, session: id, run: d.runId, gitEnv: cred?.salvage ?? {}, onReport: (rep) => remote.report(rep, (e) => bus.emit({ run: d.runId, agent: slot.agent, session: id, ...e } as SwarmEvent)) }) : d.sandbox,
      promptFile: c.prompt ?? (remote ? await remote.prompt() : null), fallbackPrompt: d.fallbackPrompt, model: c.model, image: c.image, promptHeader: promptHeader(waiting), role,
      env: { ...d.sessionEnv, ...(role ? { HARNESS_ROLE: role.name } : {}), HOME: slotHome(slot), HARNESS_AGENT: slot.agent, GIT_AUTHOR_NAME: slot.agent, GIT_COMMITTER_NAME: slot.agent, GIT_AUTHOR_EMAIL: `${slot.agent}@harness.invalid`, GIT_COMMITTER_EMAIL: `${slot.agent}@harness.invalid` },
      secrets: { ...d.secrets, ...cred?.secrets }, mounts: [...d.mounts, { path: slotHome(slot), mode: 'rw' }], timeoutMs: c.sessionTimeoutMs, graceMs: c.graceMs, now: () => d.now().getTime(),
      name: sessionName(slot.agent, id, x.swarmTag), limits: c.limits,
      network: d.access.network, forwards: d.access.forwards, hostsFile: d.access.hostsFile,
      onStart: (pid, name) => {
        recordProcess(pidFile(slot), pid);
        if (!remote && d.sandbox.removeLeftover) recordContainer(containerFile(slot), { kind: d.sandbox.kind, name, host: d.dockerHost ?? null });
      },
    },
    id,
    log,
  );
  slot.session = session;
  if (x.flags.stopping) session.stopped = true;
  const rel = path.relative(c.dir, log.file);
  bus.emit({ type: 'session_start', run: d.runId, agent: slot.agent, session: id, log: rel, head, ...(d.executor ? { host: d.executor.placeOf(slot.agent) } : {}), ...(role ? { role: role.name } : {}), ...(waiting.length ? { messages: waiting.length } : {}) });
  let r: SessionResult;
  try {
    r = await session.run();
  } catch (e) {
    r = { exit: null, signal: null, durationMs: 0, timedOut: false, stopped: session.stopped, usage: null, rateLimit: null };
    bus.emit({ type: 'session_error', run: d.runId, agent: slot.agent, session: id, error: (e as Error).message, phase: 'start' });
  }
  cred?.revoke();
  rmSync(pidFile(slot), { force: true });
  rmSync(containerFile(slot), { force: true });
  r.usage = withCost(r.usage, c.model, c.prices);
  addUsage(x.tally, slot.agent, r.usage);
  bus.emit({ type: 'session_end', run: d.runId, agent: slot.agent, session: id, exit: r.exit, signal: r.signal, durationMs: r.durationMs, timedOut: r.timedOut, stopped: r.stopped, usage: r.usage, ...(r.rateLimit ? { rateLimit: r.rateLimit } : {}) });
  x.janitor.owe('abandoned', [{ kind: 'session', agent: slot.agent, session: id, run: d.runId }], `Session ${id} of ${slot.agent} ended; its claims are released by the supervisor.`);
  let saved = false;
  if (!x.flags.immediate) saved = remote ? await remote.settle() : await x.janitor.afterSession(slot);
  const idle = !x.flags.immediate && !saved && !(await didWork(x, slot, head, remote?.view));
  return { code: r.timedOut ? null : r.exit, durationMs: r.durationMs, rateLimit: r.rateLimit ?? null, idle };
}

/** Messages on upstream main (just fetched by the reset) that this slot has not acknowledged. */
async function waitingMessages(x: LaunchDeps, slot: Slot, view?: { git: Git; ref: string }): Promise<Message[]> {
  const git = view?.git ?? new Git(slot.ws.paths.dir, safeGitEnv(x.d.env));
  try {
    return unread(await readMessages(git, await git.revParse(view?.ref ?? 'refs/remotes/origin/main')), { agent: slot.agent, role: slot.role?.name ?? null });
  } catch (e) {
    x.bus.note(`${slot.agent}: could not read its messages: ${(e as Error).message}`);
    return [];
  }
}

/** Whether a session did anything on upstream main: a commit in its agent's name since `head` (claims included). */
async function didWork(x: LaunchDeps, slot: Slot, head: string, view?: { git: Git; ref: string }): Promise<boolean> {
  const g = view?.git ?? new Git(slot.ws.paths.dir, safeGitEnv(x.d.env));
  const r = await g.run(['log', '--format=%an%x1f%(trailers:key=Task-Agent,valueonly,separator=%x2c)', `${head}..${view?.ref ?? 'refs/remotes/origin/main'}`]);
  if (r.code !== 0) return true; // cannot tell: never idle a slot on a guess
  return r.stdout.split('\n').some((l) => {
    const [author, agents] = l.split('\x1f');
    return author === slot.agent || author?.startsWith(`${slot.agent} (`) || (agents ?? '').split(',').includes(slot.agent);
  });
}
