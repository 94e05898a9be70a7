// An agent slot's workspace clone, between sessions: save whatever the last session left
// (uncommitted, untracked, committed but unpushed) as a wip commit kept in the supervisor's
// own clone and journaled for a push to a wip branch on upstream, then reset to upstream
// main. The reset happens only after the work is kept and journaled: work is never lost.
//
// The workspace's .git is writable by the agent, which might be hostile or just confused.
// Before the supervisor runs git there, the clone's config is restored from a copy kept
// outside the workspace, and hooks and fsmonitor are switched off through the environment,
// so nothing an agent planted (a pre-push hook, a filter driver) ever runs outside its sandbox.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EnvError } from '../kit/errors.js';
import { withGitConfig } from '../git/config-env.js';
import { Git, gitReason } from '../kit/git.js';
import { holdRef } from '../tasks/journal.js';
import { wipRef } from './numbering.js';

const REMOTE = 'origin';
const BRANCH = 'main';

/** Config that outranks the repo's own, for every git the supervisor runs in a workspace. */
export function safeGitEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return withGitConfig(env, [
    ['core.hooksPath', '/dev/null'],
    ['core.fsmonitor', 'false'],
    ['core.sshCommand', 'ssh'],
  ]);
}

export interface WorkspacePaths {
  /** the clone the sessions work in */
  dir: string;
  /** the supervisor's private state for this slot (outside the sandbox's reach) */
  stateDir: string;
}

export interface WorkspaceCtx {
  paths: WorkspacePaths;
  upstream: string;
  env: NodeJS.ProcessEnv;
  agent: string;
  now: () => Date;
}

function git(ctx: WorkspaceCtx): Git {
  return new Git(ctx.paths.dir, safeGitEnv(ctx.env));
}

const pristine = (ctx: WorkspaceCtx) => path.join(ctx.paths.stateDir, 'git-config');
const marker = (ctx: WorkspaceCtx) => path.join(ctx.paths.dir, '.git', 'harness-session');

/** Clones upstream into the workspace if it is not there yet, and keeps a copy of its config. */
export async function ensureWorkspace(ctx: WorkspaceCtx): Promise<void> {
  mkdirSync(ctx.paths.stateDir, { recursive: true });
  if (!existsSync(path.join(ctx.paths.dir, '.git'))) {
    rmSync(ctx.paths.dir, { recursive: true, force: true }); // a clone interrupted before .git existed holds nothing
    mkdirSync(path.dirname(ctx.paths.dir), { recursive: true });
    const r = await new Git(path.dirname(ctx.paths.dir), ctx.env).run(['clone', '--quiet', '--origin', REMOTE, ctx.upstream, ctx.paths.dir]);
    if (r.code !== 0) throw new EnvError('UPSTREAM_UNREACHABLE', `cannot clone ${ctx.upstream} into ${ctx.paths.dir}: ${gitReason(r)}`);
  }
  if (!existsSync(pristine(ctx))) copyFileSync(path.join(ctx.paths.dir, '.git', 'config'), pristine(ctx));
  await followUpstream(ctx);
}

/**
 * The served upstream's URL changes between runs (its port): the clone's config and its
 * pristine copy follow it, before any salvage of a previous run's leftovers pushes there.
 */
export async function followUpstream(ctx: WorkspaceCtx): Promise<void> {
  if (!existsSync(pristine(ctx)) || !existsSync(path.join(ctx.paths.dir, '.git', 'config'))) return;
  const g = new Git(ctx.paths.stateDir, ctx.env);
  for (const file of [pristine(ctx), path.join(ctx.paths.dir, '.git', 'config')]) {
    const url = await g.run(['config', '--file', file, `remote.${REMOTE}.url`]);
    if (url.stdout.trim() !== ctx.upstream) await g.must(['config', '--file', file, `remote.${REMOTE}.url`, ctx.upstream]);
  }
}

/** Puts back the config the supervisor made, undoing whatever a session changed there. */
export function restoreConfig(ctx: WorkspaceCtx): void {
  copyFileSync(pristine(ctx), path.join(ctx.paths.dir, '.git', 'config'));
}

/** Records which session is about to use the workspace, so its leftovers are named after it. */
export function markSession(ctx: WorkspaceCtx, session: string): void {
  writeFileSync(marker(ctx), session + '\n');
}

export interface Salvaged {
  commit: string;
  /** the commit's tree and parents: the same work saved twice is the same wip */
  tree: string;
  parents: string[];
  /** files changed against the session's HEAD, plus unpushed commits' count */
  files: number;
  unpushedCommits: number;
  session: string;
  /** this very work was saved before and is still pending (`known` said so): nothing new was kept */
  known: boolean;
}

/** Where salvage keeps the wip commit until it is on upstream (the supervisor's clone), and what is already pending there. */
export interface WipHold {
  /** a repo out of every sandbox's reach; the commit goes to holdRef(commit) there */
  repo: string;
  /** the pending wip of this session with this tree and parents, if any */
  known: (session: string, tree: string, parents: string[]) => string | null;
}

/**
 * Saves what the workspace holds that upstream does not: the work tree with untracked files
 * (a commit built on a temporary index, the real index untouched), with HEAD and any
 * unpushed local branch or stash as parents, into the hold repo. Null when there is nothing
 * to save. The caller journals it (pending/) before the workspace is reset, and the
 * drainer pushes it to wip/<agent>/<session> on upstream.
 */
export async function salvage(ctx: WorkspaceCtx, hold: WipHold): Promise<Salvaged | null> {
  if (!existsSync(path.join(ctx.paths.dir, '.git'))) return null;
  restoreConfig(ctx);
  const g = git(ctx);
  if (await nothingToSave(g)) return null;
  const session = readMarker(ctx) ?? `unknown-${ctx.now().getTime()}`;
  const head = await g.revParse('HEAD');
  const tmpIndex = path.join(ctx.paths.stateDir, 'wip-index');
  rmSync(tmpIndex, { force: true });
  const ienv = { GIT_INDEX_FILE: tmpIndex };
  try {
    await g.must(head ? ['read-tree', head] : ['read-tree', '--empty'], { env: ienv });
    await g.must(['add', '--all'], { env: ienv });
    const tree = await g.must(['write-tree'], { env: ienv });
    const headTree = head ? await g.must(['rev-parse', `${head}^{tree}`]) : null;
    const changed = head ? (await g.must(['diff-tree', '-r', '--name-only', headTree!, tree])).split('\n').filter(Boolean).length : (await g.must(['ls-tree', '-r', '--name-only', tree])).split('\n').filter(Boolean).length;
    const unpushed = await unpushedTips(g, head);
    const headUnpushed = head !== null && unpushed.includes(head);
    if (changed === 0 && unpushed.length === 0) return null;
    const parents = [...new Set([...(head ? [head] : []), ...unpushed])];
    const count = unpushed.length ? Number(await g.must(['rev-list', '--count', ...unpushed, '--not', `--remotes=${REMOTE}`])) : 0;
    const known = hold.known(session, tree, parents);
    if (known) return { commit: known, tree, parents, files: changed, unpushedCommits: count, session, known: true };
    const msg = [
      `WIP ${ctx.agent} session ${session}: saved by the harness`,
      '',
      `The session left ${changed} changed file(s) and ${count} unpushed commit(s)${headUnpushed ? ' on HEAD' : ''}.`,
      'The tree is the work tree as it was (untracked files included, ignored files not);',
      'the first parent is the HEAD it was on; other parents are unpushed branches or stashes.',
      '',
      `Task-Agent: ${ctx.agent}`,
      `Task-Session: ${session}`,
      '',
    ].join('\n');
    const who = { GIT_AUTHOR_NAME: ctx.agent, GIT_AUTHOR_EMAIL: `${ctx.agent}@harness.invalid`, GIT_COMMITTER_NAME: 'harness', GIT_COMMITTER_EMAIL: 'harness@harness.invalid' };
    const commit = await g.must(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'], { input: msg, env: who });
    // A local push: it needs no upstream, so an outage never holds the work in the workspace.
    const r = await g.run(['push', '--quiet', hold.repo, `+${commit}:${holdRef(commit)}`]);
    if (r.code !== 0) throw new EnvError('WIP_HOLD_FAILED', `could not keep ${ctx.agent}'s leftover work in ${hold.repo}: ${gitReason(r)}; the workspace is kept as it is`);
    return { commit, tree, parents, files: changed, unpushedCommits: count, session, known: false };
  } finally {
    rmSync(tmpIndex, { force: true });
  }
}

/**
 * Most sessions end with everything landed: a clean work tree (untracked files count,
 * ignored ones do not) and no local commit that upstream lacks. Two git calls say so,
 * instead of the nine that build and compare a wip tree. Any doubt (an unborn HEAD, an
 * error) takes the full path.
 */
async function nothingToSave(g: Git): Promise<boolean> {
  const st = await g.run(['status', '--porcelain', '--untracked-files=all']);
  if (st.code !== 0 || st.stdout.trim()) return false;
  const ahead = await g.run(['rev-list', '-n', '1', 'HEAD', '--branches', '--glob=refs/stash', '--not', `--remotes=${REMOTE}`]);
  return ahead.code === 0 && !ahead.stdout.trim();
}

/** Local branch tips, HEAD and the stash that no upstream ref contains. */
async function unpushedTips(g: Git, head: string | null): Promise<string[]> {
  const refs = (await g.must(['for-each-ref', '--format=%(objectname)', 'refs/heads', 'refs/stash'])).split('\n').filter(Boolean);
  const tips = [...new Set([...(head ? [head] : []), ...refs])];
  const out: string[] = [];
  for (const t of tips) {
    const r = await g.run(['rev-list', '-n', '1', t, '--not', `--remotes=${REMOTE}`]);
    if (r.code === 0 && r.stdout.trim()) out.push(t);
  }
  return out;
}

/** Pushes a wip commit to the first free wip/<agent>/<session>[-n] on upstream; resolves with the ref. */
export async function pushWip(g: Git, agent: string, session: string, commit: string): Promise<string> {
  for (let attempt = 1; attempt <= 20; attempt++) {
    const ref = wipRef(agent, session, attempt);
    // The lease "must not exist yet" keeps an earlier wip of the same name: never overwritten.
    const r = await g.run(['push', '--porcelain', `--force-with-lease=${ref}:`, REMOTE, `${commit}:${ref}`]);
    if (r.code === 0) return ref;
    const text = r.stdout + r.stderr;
    // Only "that ref exists" moves on to the next name; a refusal ([remote rejected]: a hook, a bad object) is an error.
    if (!/stale info|\s\[rejected\]|already exists|fetch first/i.test(text)) {
      throw new EnvError('WIP_PUSH_FAILED', `could not push ${agent}'s leftover work to ${ref}: ${gitReason(r)}; it stays pending and is retried`);
    }
    // An earlier attempt that landed but whose answer was lost (a timeout) is not pushed twice.
    const there = await g.run(['ls-remote', REMOTE, ref]);
    if (there.code === 0 && there.stdout.split('\t')[0] === commit) return ref;
  }
  throw new EnvError('WIP_PUSH_FAILED', `could not find a free wip ref for ${agent} session ${session}; it stays pending and is retried`);
}

function readMarker(ctx: WorkspaceCtx): string | null {
  try {
    const s = readFileSync(marker(ctx), 'utf8').trim();
    return /^[A-Za-z0-9._-]{1,64}$/.test(s) ? s : null;
  } catch {
    return null;
  }
}

/**
 * Resets the workspace to upstream main: aborts a rebase or merge in progress, drops local
 * branches and stashes (salvage saved them), removes untracked files but keeps ignored ones
 * (build caches are worth keeping). Returns the new HEAD.
 */
export async function resetToMain(ctx: WorkspaceCtx): Promise<string> {
  restoreConfig(ctx);
  const g = git(ctx);
  const gitDir = path.join(ctx.paths.dir, '.git');
  for (const d of ['rebase-merge', 'rebase-apply', 'MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'index.lock', 'sequencer']) {
    rmSync(path.join(gitDir, d), { recursive: true, force: true });
  }
  await checkoutLatestMain(ctx, g);
  await g.must(['branch', `--set-upstream-to=${REMOTE}/${BRANCH}`]);
  await g.must(['clean', '-ffdq']);
  const others = (await g.must(['for-each-ref', '--format=%(refname)', 'refs/heads', 'refs/stash'])).split('\n').filter((r) => r && r !== `refs/heads/${BRANCH}`);
  for (const r of others) await g.run(['update-ref', '-d', r]);
  rmSync(marker(ctx), { force: true });
  return (await g.revParse('HEAD'))!;
}

/**
 * Brings a workspace that was saved and reset after its last session, with nothing run in
 * it since, to the latest main: the fetch and checkout of resetToMain without its cleaning,
 * which found nothing the first time. Returns the new HEAD.
 */
export async function refreshToMain(ctx: WorkspaceCtx): Promise<string> {
  restoreConfig(ctx);
  const g = git(ctx);
  await checkoutLatestMain(ctx, g);
  return (await g.revParse('HEAD'))!;
}

async function checkoutLatestMain(ctx: WorkspaceCtx, g: Git): Promise<void> {
  const f = await g.run(['fetch', '--no-tags', '--verbose', REMOTE, `+refs/heads/${BRANCH}:refs/remotes/${REMOTE}/${BRANCH}`]);
  if (f.code !== 0) throw new EnvError('UPSTREAM_UNREACHABLE', `cannot fetch upstream into ${ctx.paths.dir}: ${gitReason(f)}`);
  await g.must(['checkout', '--force', '-B', BRANCH, `refs/remotes/${REMOTE}/${BRANCH}`]);
}
