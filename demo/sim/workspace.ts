// The sim's git work in its clone, all through the harness's one git seam: start from
// upstream main without losing anything left behind, commit, rebase onto upstream and
// resolve real conflicts, push.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CheckFailedError } from '../../harness/kit/errors.js';
import { Git, gitReason } from '../../harness/kit/git.js';
import { fetchUpstream, pushTo, trackingRef, type PushOutcome, type Upstream } from '../../harness/git/sync.js';
import { applyEditsTo } from '../solution.js';
import type { Edit } from '../spec/types.js';
import type { Transcript } from './transcript.js';

export const UPSTREAM: Upstream = { remote: 'origin', branch: 'main' };
export const ORIGIN_MAIN = trackingRef(UPSTREAM);

/** What this session wrote, so a conflict can be resolved by writing it again. */
export interface Written {
  files: Record<string, string>;
  edits: Edit[];
}

/**
 * Puts the clone on `main` at upstream main. Uncommitted work is stashed and local
 * commits that upstream lacks are kept on a branch: the sim never throws work away.
 */
export async function startFromUpstream(git: Git, log: Transcript, tag: string): Promise<string> {
  if ((await git.must(['status', '--porcelain'])) !== '') {
    await git.must(['stash', 'push', '--include-untracked', '-m', `sim ${tag}: left by an earlier session`]);
    log.say('the clone had uncommitted changes from an earlier session: stashed them (git stash list)');
  }
  const base = await fetchUpstream(git, UPSTREAM);
  if (!base) throw new CheckFailedError('NO_UPSTREAM_MAIN', 'upstream has no main branch; seed it with harness init --from <project>');
  const head = await git.revParse('HEAD');
  if (head && (await git.run(['merge-base', '--is-ancestor', head, ORIGIN_MAIN])).code !== 0) {
    const keep = `sim-leftover/${tag.replace(/[^A-Za-z0-9._-]/g, '-')}`;
    await git.must(['branch', '--force', keep, head]);
    log.say(`local commits not on upstream were kept on branch ${keep}`);
  }
  await git.must(['checkout', '--quiet', '-B', 'main', ORIGIN_MAIN]);
  return (await git.revParse('HEAD'))!;
}

/** Fast-forwards a clean clone to upstream main; returns the new head. */
export async function catchUp(git: Git): Promise<string> {
  await fetchUpstream(git, UPSTREAM);
  await git.must(['merge', '--ff-only', ORIGIN_MAIN]);
  return (await git.revParse('HEAD'))!;
}

export async function upstreamHead(git: Git): Promise<string | null> {
  const r = await git.run(['ls-remote', UPSTREAM.remote, `refs/heads/${UPSTREAM.branch}`]);
  return r.code === 0 ? (r.stdout.split(/\s/)[0] ?? null) : null;
}

export async function commitAll(git: Git, message: string, who: string): Promise<string> {
  await git.must(['add', '--all']);
  await git.mustAs(['commit', '--quiet', '--no-verify', '-F', '-'], { input: message }, who);
  return (await git.revParse('HEAD'))!;
}

/**
 * Fetches and rebases local commits onto upstream main. A conflicted file is resolved
 * the way a careful agent would: take upstream's version and write this session's change
 * into it again (its whole files as written, its table lines at their anchors). Returns
 * the files resolved; throws CheckFailedError (rebase aborted) on a conflict it cannot
 * resolve.
 */
export async function rebaseOnUpstream(git: Git, log: Transcript, written: Written, who: string): Promise<string[]> {
  await fetchUpstream(git, UPSTREAM);
  if ((await git.run(['merge-base', '--is-ancestor', ORIGIN_MAIN, 'HEAD'])).code === 0) return [];
  log.cmd(`git rebase ${UPSTREAM.remote}/${UPSTREAM.branch}`);
  const resolved: string[] = [];
  let r = await git.run(['rebase', ORIGIN_MAIN], { env: identity(who) });
  for (let step = 0; r.code !== 0; step++) {
    if (!(await rebaseInProgress(git)) || step > 50) throw new CheckFailedError('REBASE_FAILED', `git rebase failed: ${gitReason(r)}`);
    const files = (await git.must(['diff', '--name-only', '--diff-filter=U'])).split('\n').filter(Boolean);
    if (files.length === 0) {
      // Resolution left the commit empty: upstream already had the change.
      r = await git.run(['rebase', '--skip'], { env: identity(who) });
      continue;
    }
    for (const f of files) {
      const how = await resolveFile(git, f, written);
      if (!how) {
        await git.run(['rebase', '--abort']);
        throw new CheckFailedError('SIM_CONFLICT', `conflict in ${f}, which this session did not write; left for a person (rebase aborted, commits kept)`);
      }
      await git.must(['add', '--', f]);
      resolved.push(f);
      log.say(`CONFLICT in ${f} while rebasing onto upstream: resolved by ${how}`);
    }
    r = await git.run(['rebase', '--continue'], { env: identity(who) });
  }
  return resolved;
}

async function resolveFile(git: Git, file: string, written: Written): Promise<string | null> {
  const abs = path.join(git.dir, file);
  if (Object.hasOwn(written.files, file)) {
    writeFileSync(abs, written.files[file]!);
    return 'writing my version of the file again';
  }
  const mine = written.edits.filter((e) => e.path === file);
  if (mine.length === 0) return null;
  // Stage 2 is upstream's side while rebasing.
  const theirs = await git.run(['show', `:2:${file}`]);
  if (theirs.code !== 0) return null;
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, applyEditsTo(theirs.stdout, file, mine));
  return `taking upstream's version and re-applying my ${mine.length} line${mine.length > 1 ? 's' : ''} at ${[...new Set(mine.map((e) => e.anchor))].join(', ')}`;
}

async function rebaseInProgress(git: Git): Promise<boolean> {
  for (const d of ['rebase-merge', 'rebase-apply']) {
    const p = await git.must(['rev-parse', '--git-path', d]);
    if (existsSync(path.resolve(git.dir, p))) return true;
  }
  return false;
}

export async function pushHead(git: Git): Promise<PushOutcome> {
  return pushTo(git, UPSTREAM, 'HEAD');
}

/** The message of HEAD, to see whether `harness task done -m` already committed. */
export async function headMessage(git: Git): Promise<string> {
  return git.must(['log', '-1', '--format=%B']);
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** The author and committer for commits git makes on its own (rebase). */
export function identity(who: string): Record<string, string> {
  const email = `${who.replace(/[^A-Za-z0-9._-]/g, '-')}@sim.invalid`;
  return { GIT_AUTHOR_NAME: who, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: who, GIT_COMMITTER_EMAIL: email };
}
