// Reading the claims of a commit through the git seam: one cat-file for the folder and its files,
// and a history walk only for locks that do not say when they were made.
import type { Git } from '../kit/git.js';
import { readFolder, Snapshot } from '../git/objects.js';
import { claimFromFile, needsCommitTime, type Claim } from './claims.js';
import { LOCK_DIR, lockPath, taskOfFile } from '../kit/task-name.js';

export async function readClaims(git: Git, commit: string | null): Promise<Claim[]> {
  if (!commit) return [];
  const files = await readFolder(git, commit, LOCK_DIR, (e) => !!taskOfFile(e.name));
  const claims = files.map((f) => claimFromFile(taskOfFile(f.entry.name)!, f.data));
  await fillCommitTimes(git, commit, claims);
  return claims.sort((a, b) => a.task.localeCompare(b.task));
}

export async function readClaim(git: Git, commit: string | null, task: string): Promise<Claim | null> {
  return claimIn(git, await Snapshot.load(git, commit, { files: [lockPath(task)] }), task);
}

/** The claim on `task` in a snapshot loaded with its lock path. */
export async function claimIn(git: Git, snap: Snapshot, task: string): Promise<Claim | null> {
  const data = snap.file(lockPath(task));
  if (!data || !snap.commit) return null;
  const claim = claimFromFile(task, data);
  await fillCommitTimes(git, snap.commit, [claim]);
  return claim;
}

/** Sets `committedAt` from the commit that added each lock that carries no time itself. */
export async function fillCommitTimes(git: Git, commit: string, claims: Claim[]): Promise<void> {
  const need = claims.filter(needsCommitTime);
  if (need.length === 0) return;
  const byPath = new Map(need.map((c) => [c.path, c]));
  const r = await git.run(['log', '--diff-filter=A', '--format=%x01%ct', '--name-only', '--no-renames', commit, '--', ...byPath.keys()]);
  if (r.code !== 0) return;
  let time: Date | null = null;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('\x01')) time = new Date(Number(line.slice(1)) * 1000);
    else if (line && time) {
      const c = byPath.get(line);
      // git log runs newest first: the first add we see is the one that made this lock.
      if (c && c.committedAt === null) c.committedAt = time;
    }
  }
}

