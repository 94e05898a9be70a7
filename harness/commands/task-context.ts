// What every `harness task` subcommand shares: where the clone is, which upstream, who is
// acting. Checked once, up front, so a wrong folder is one clear line, not a git error.
import path from 'node:path';
import type { OptSpec } from '../kit/cli-args.js';
import type { Io } from '../kit/cli-kit.js';
import { parseDuration } from '../kit/duration.js';
import { Git } from '../kit/git.js';
import { cloneProblem, defaultRetry } from '../git/sync.js';
import { resolveIdentity } from '../tasks/identity.js';
import type { TaskCtx } from '../tasks/ops.js';

export interface CommonTaskArgs {
  repo?: string;
  remote: string;
  branch: string;
  agent?: string;
  session?: string;
  timeout: string;
}

export const COMMON_TASK_OPTIONS = {
  repo: { type: 'string', describe: 'the clone to work in (default: the current folder)' },
  remote: { type: 'string', default: 'origin', describe: 'the remote that is the shared upstream' },
  branch: { type: 'string', default: 'main', describe: 'the upstream branch that holds current_tasks/' },
  agent: { type: 'string', describe: 'who you are, if HARNESS_AGENT is not set (default: the hostname)' },
  session: { type: 'string', describe: 'your session, if HARNESS_SESSION is not set' },
  timeout: { type: 'string', default: '5m', describe: 'give up when upstream keeps moving this long' },
} satisfies Record<string, OptSpec>;

/** The `<task>` positional of claim, done, release, show and add. */
export const TASK_POSITIONAL = { task: { describe: 'task name: a-z 0-9 . _ -, up to 80 characters' } };

/**
 * Every task operation fetches first, and a failed fetch says whether this is no clone or
 * has no such remote (sync.ts cloneProblem): checking that up front would cost each claim
 * a git process. `verify`: check now, for a caller that does not fetch.
 */
export async function taskContext(args: CommonTaskArgs, io: Io, opts: { verify?: boolean } = {}): Promise<TaskCtx> {
  const dir = path.resolve(io.cwd, args.repo ?? '.');
  const git = new Git(dir, io.env);
  const deadlineMs = parseDuration(args.timeout, '--timeout');
  if (opts.verify) {
    const problem = await cloneProblem(git, args.remote);
    if (problem) throw problem;
  }
  return {
    git,
    upstream: { remote: args.remote, branch: args.branch },
    me: resolveIdentity({ env: io.env, hostname: io.hostname(), agentFlag: args.agent, sessionFlag: args.session }),
    now: io.now,
    retry: defaultRetry({ deadlineMs }),
  };
}
