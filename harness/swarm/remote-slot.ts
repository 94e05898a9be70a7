// What a slot does differently when its sessions run on a remote executor: the supervisor
// has no workspace for it, so the session's HEAD and prompt come from the supervisor's own
// clone of upstream main, and what the entrypoint reports (where it runs, the work it
// saved) becomes events.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SwarmEvent } from '../events/log.js';
import type { EntryReport } from '../executors/protocol.js';
import type { Executor, RemoteSession } from '../executors/types.js';
import { EnvError } from '../kit/errors.js';
import { gitReason, type Git } from '../kit/git.js';
import type { Sandbox } from '../sandbox/types.js';
import type { PendingJournal } from '../tasks/journal.js';

type Emit = (e: Omit<SwarmEvent, 'run' | 'agent' | 'session'> & Record<string, unknown>) => void;

export interface RemoteSlot {
  /** upstream main as this slot last fetched it, in the supervisor's clone (a ref of its own: no lock shared with the reaper's fetches) */
  view: { git: Git; ref: string };
  /** upstream main's head (fetched now): the session starts there */
  head(): Promise<string>;
  /** AGENT_PROMPT.md of upstream main, copied where it can be shipped; null when main has none */
  prompt(): Promise<string | null>;
  sandbox(r: RemoteSession): Sandbox;
  report(r: EntryReport, emit: Emit): void;
  /** after the session: the supervisor's clone sees what it pushed; true when the entrypoint saved work */
  settle(): Promise<boolean>;
}

/** Where a remote slot's failed wip push is journaled (pending/), and the run's clock. */
export interface RemoteOwed {
  journal: PendingJournal;
  run: string;
  now: () => Date;
}

export function remoteSlot(executor: Executor, git: Git, dir: string, agent: string, owed?: RemoteOwed): RemoteSlot {
  let saved = false;
  const ref = `refs/harness/view/${agent}`;
  const fetch = async () => {
    // --refmap=: no opportunistic update of origin/main, which the reaper and the drainer fetch in this clone
    const r = await git.run(['fetch', '--no-tags', '--no-write-fetch-head', '--quiet', '--refmap=', 'origin', `+refs/heads/main:${ref}`]);
    if (r.code !== 0) throw new EnvError('UPSTREAM_UNREACHABLE', `cannot fetch upstream main for ${agent}: ${gitReason(r)}`);
    return (await git.revParse(ref)) ?? '';
  };
  return {
    view: { git, ref },
    head: fetch,
    prompt: async () => {
      const file = path.join(dir, `${agent}.prompt.md`);
      const r = await git.run(['show', `${ref}:AGENT_PROMPT.md`]);
      if (r.code !== 0) {
        rmSync(file, { force: true });
        return null;
      }
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, r.stdout);
      return file;
    },
    sandbox: (r) => executor.sandbox(r),
    report: (r, emit) => {
      if (r.type === 'placed') emit({ type: 'session_placed', host: r.host, job: r.job });
      else if (r.type === 'wip') {
        saved = true;
        emit({ type: 'wip_saved', session: r.session, ref: r.ref, commit: r.commit, files: r.files, commits: r.unpushed });
      } else if (r.type === 'wip_error') {
        owed?.journal.owesRemote({ agent, error: r.error, since: owed.now().toISOString(), run: owed.run });
        emit({ type: 'wip_error', error: r.error });
      }
      // Ready means the workspace was saved first (pushed, or nothing to push): nothing is owed.
      if (r.type === 'ready') owed?.journal.settledRemote(agent);
    },
    settle: async () => {
      await fetch().catch(() => '');
      return saved;
    },
  };
}
