// Making the shared bare repo. It is built in a temporary folder beside its final place
// and renamed in at the end, so a failed or interrupted init leaves nothing half-made.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { EnvError, UsageError } from '../kit/errors.js';
import { Git, gitReason } from '../kit/git.js';
import { packageFile } from '../kit/paths.js';
import { commitTree } from './commit.js';
import { editTree, Snapshot } from './objects.js';

export interface SeedFile {
  path: string;
  content: string;
}

/**
 * What every upstream starts with when it lacks them: the lock protocol for agents and
 * people, and a starter prompt for the agents (theirs to edit; the supervisor reads it
 * from the workspace at the start of every session).
 */
export function seedFiles(): SeedFile[] {
  return [
    { path: 'current_tasks/README.md', content: readFileSync(packageFile('current_tasks/README.md'), 'utf8') },
    { path: 'AGENT_PROMPT.md', content: readFileSync(packageFile('templates/AGENT_PROMPT.md'), 'utf8') },
  ];
}

export type InitOutcome =
  | { kind: 'exists'; upstream: string; head: string | null }
  | { kind: 'created'; upstream: string; head: string; commits: number; added: string[] };

export async function initUpstream(opts: {
  dir: string;
  from?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  seed: SeedFile[];
  author: string;
  branch?: string;
}): Promise<InitOutcome> {
  const branch = opts.branch ?? 'main';
  const upstream = path.resolve(opts.cwd, opts.dir, 'upstream.git');
  if (existsSync(upstream)) {
    const git = new Git(upstream, opts.env);
    if ((await git.isBare()) !== true) {
      throw new UsageError('NOT_AN_UPSTREAM', `${upstream} exists but is not a bare git repo; move it away or choose another --dir`);
    }
    return { kind: 'exists', upstream, head: await git.revParse(`refs/heads/${branch}`) };
  }

  await new Git(opts.cwd, opts.env).must(['--version']); // no git: say so before making any folder
  mkdirSync(path.dirname(upstream), { recursive: true });
  const tmp = `${upstream}.tmp-${process.pid}-${Date.now()}`;
  try {
    const git = await createBare(tmp, opts.from ? resolveSource(opts.from, opts.cwd) : null, opts.env, branch);
    const added = await addMissing(git, branch, opts.seed, opts.author);
    await git.must(['config', 'core.logAllRefUpdates', 'always']); // a reflog on main: nothing pushed is ever untraceable
    const head = (await git.revParse(`refs/heads/${branch}`))!;
    const commits = Number(await git.must(['rev-list', '--count', head]));
    renameSync(tmp, upstream);
    return { kind: 'created', upstream, head, commits, added };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function resolveSource(from: string, cwd: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(from) || /^[^/]+@[^/]+:/.test(from)) return from; // URL or scp-like
  const p = path.resolve(cwd, from);
  if (!existsSync(p) || !statSync(p).isDirectory()) {
    throw new UsageError('NO_SOURCE', `--from ${from}: no such folder; give the path or URL of a git repository`);
  }
  return p;
}

async function createBare(tmp: string, source: string | null, env: NodeJS.ProcessEnv, branch: string): Promise<Git> {
  const parent = new Git(path.dirname(tmp), env);
  if (source === null) {
    await parent.must(['init', '--quiet', '--bare', `--initial-branch=${branch}`, tmp]);
    return new Git(tmp, env);
  }
  const r = await parent.run(['clone', '--bare', '--quiet', '--no-hardlinks', source, tmp]);
  if (r.code !== 0) {
    const local = !/:\/\/|@/.test(source);
    const msg = `cannot copy the history of ${source}: ${gitReason(r)}`;
    throw local ? new UsageError('BAD_SOURCE', `${msg}; --from must be a git repository`) : new EnvError('SOURCE_UNREACHABLE', msg);
  }
  const git = new Git(tmp, env);
  if (!(await git.revParse(`refs/heads/${branch}`))) {
    // The source's default branch has another name (master, trunk): main starts from it.
    const head = await git.revParse('HEAD');
    if (head) await git.must(['update-ref', `refs/heads/${branch}`, head]);
  }
  await git.must(['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
  return git;
}

/** Commits the seed files that main does not have yet, in one commit. */
async function addMissing(git: Git, branch: string, seed: SeedFile[], author: string): Promise<string[]> {
  const head = await git.revParse(`refs/heads/${branch}`);
  const snap = await Snapshot.load(git, head, { files: seed.map((f) => f.path) });
  const missing = seed.filter((f) => snap.file(f.path) === null);
  if (missing.length === 0) return [];
  const tree = await editTree(git, snap, missing);
  const msg = `Add ${missing.map((f) => f.path).join(', ')}\n\nWritten by harness init: how agents coordinate through this repo.\n`;
  const commit = await commitTree(git, tree, head ? [head] : [], msg, author);
  await git.must(['update-ref', `refs/heads/${branch}`, commit, ...(head ? [head] : [])]);
  return missing.map((f) => f.path);
}
