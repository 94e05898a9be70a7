// Results in git notes under refs/notes/test-oracle: one JSON line per run, appended, so
// concurrent writers (two runs here, or two agents on one commit elsewhere) never lose
// each other's lines: locally a lock serialises appends, across clones a rejected push
// means fetch, `git notes merge -s cat_sort_uniq`, and push again.
import { join } from 'node:path';
import { EnvError } from '../../harness/kit/errors.js';
import { GitFailure } from '../../harness/kit/git.js';
import { latestPerTest, NOTES_REF, parseNote, serializeRecord, toolOf, type LatestResults, type RunRecord } from '../core/records.js';
import { git, gitCommonDir, tryRaw, writeTempFile } from './git.js';

/** `commonDir`: the repo's common git dir when the caller knows it already (one git call fewer). */
export async function appendRecord(dir: string, env: NodeJS.ProcessEnv, commit: string, r: RunRecord, commonDir?: string): Promise<void> {
  const lockTarget = join(commonDir ?? (await gitCommonDir(dir, env)), 'test-oracle-notes');
  const { default: lockfile } = await import('proper-lockfile'); // only writers need it: readers start faster
  const release = await lockfile.lock(lockTarget, { realpath: false, retries: { retries: 50, minTimeout: 20, maxTimeout: 200 }, stale: 30_000 });
  const g = git(dir, env);
  // Not `git notes append`: it puts a blank line between runs, and git 2.39 has no
  // --no-separator. Read, add the line, rewrite: the lock makes that one step.
  const before = ((await tryRaw(g, ['notes', `--ref=${NOTES_REF}`, 'show', commit])) ?? '').replace(/\n+$/, '');
  // A file, not -m: a run of thousands of tests is longer than one argv string may be.
  const f = writeTempFile((before ? before + '\n' : '') + serializeRecord(r) + '\n');
  try {
    await g.raw(['notes', `--ref=${NOTES_REF}`, 'add', '-f', '-F', f.path, commit]);
  } finally {
    f.dispose();
    await release();
  }
}

export async function readRecords(dir: string, env: NodeJS.ProcessEnv, commit: string): Promise<RunRecord[]> {
  const out = await tryRaw(git(dir, env), ['notes', `--ref=${NOTES_REF}`, 'show', commit]);
  return out ? parseNote(out) : [];
}

export interface CommitRecords {
  commit: string;
  short: string;
  date: string;
  subject: string;
  /** first-parent steps from the starting revision */
  distance: number;
  records: RunRecord[];
}

/** Commits along the first-parent history of `rev` (newest first) that carry records. */
export async function recordsAlongHistory(
  dir: string,
  env: NodeJS.ProcessEnv,
  rev: string,
  scan: number,
): Promise<CommitRecords[]> {
  const out = await tryRaw(git(dir, env), [
    'log', '--first-parent', `-n${scan}`, '--no-notes', `--notes=${NOTES_REF}`,
    '--format=%x1e%H%x1f%h%x1f%cs%x1f%s%x1f%N', rev, '--',
  ]);
  if (!out) return [];
  const found: CommitRecords[] = [];
  out.split('\x1e').slice(1).forEach((chunk, distance) => {
    const [commit, short, date, subject, note] = chunk.split('\x1f');
    if (!note || !note.trim()) return;
    const records = parseNote(note);
    if (records.length) found.push({ commit: commit!, short: short!, date: date!, subject: subject ?? '', distance, records });
  });
  return found;
}

/**
 * The newest recorded results on the first-parent history of `rev` (default HEAD):
 * every run recorded on the nearest commit that has any (of those `where` accepts, e.g.
 * one tool's), merged to the latest result per test. Null when nothing within
 * `maxCommits` has been recorded.
 */
export async function readLatestResults(
  repoDir: string,
  rev = 'HEAD',
  opts: { env?: NodeJS.ProcessEnv; maxCommits?: number; where?: (r: RunRecord) => boolean } = {},
): Promise<LatestResults | null> {
  const found = await recordsAlongHistory(repoDir, opts.env ?? process.env, rev, opts.maxCommits ?? 200);
  for (const c of found) {
    const runs = opts.where ? c.records.filter(opts.where) : c.records;
    if (runs.length) return { commit: c.commit, distance: c.distance, runs, tests: latestPerTest(runs) };
  }
  return null;
}

/**
 * The newest results of each tool along `rev`'s history (one walk): tool ('' for runs with
 * none) -> its LatestResults. Runs of different tools never pool: a test failing under tcc
 * is not passing under gcc because gcc ran later.
 */
export async function readLatestResultsByTool(
  repoDir: string,
  rev = 'HEAD',
  opts: { env?: NodeJS.ProcessEnv; maxCommits?: number } = {},
): Promise<Map<string, LatestResults>> {
  const found = await recordsAlongHistory(repoDir, opts.env ?? process.env, rev, opts.maxCommits ?? 200);
  const out = new Map<string, LatestResults>();
  for (const c of found) {
    const byTool = new Map<string, RunRecord[]>();
    for (const r of c.records) byTool.set(toolOf(r), [...(byTool.get(toolOf(r)) ?? []), r]);
    for (const [tool, runs] of byTool) {
      if (!out.has(tool)) out.set(tool, { commit: c.commit, distance: c.distance, runs, tests: latestPerTest(runs) });
    }
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function remoteNotesRef(remote: string): string {
  return `refs/notes/remotes/${remote}/test-oracle`;
}

/** Brings the remote's notes in and merges them with ours (no push). */
export async function fetchNotes(repoDir: string, remote = 'origin', opts: { env?: NodeJS.ProcessEnv } = {}): Promise<boolean> {
  const env = opts.env ?? process.env;
  const g = git(repoDir, env);
  const theirs = remoteNotesRef(remote);
  const fetched = await tryRaw(g, ['fetch', '--quiet', remote, `+${NOTES_REF}:${theirs}`]);
  if (fetched === null) {
    // The remote may have no notes yet; any other failure shows up on push.
    return false;
  }
  const ours = await tryRaw(g, ['rev-parse', '--verify', '--quiet', NOTES_REF]);
  if (!ours) {
    await g.raw(['update-ref', NOTES_REF, theirs]);
    return true;
  }
  try {
    await g.raw(['notes', `--ref=${NOTES_REF}`, 'merge', '--quiet', '-s', 'cat_sort_uniq', theirs]);
  } catch (e) {
    throw new EnvError('NOTES_MERGE', `could not merge ${remote}'s test-oracle notes: ${firstLine(e)}; check 'git notes --ref=test-oracle merge --abort'`);
  }
  return true;
}

/** Fetch, merge, push; a push rejected because someone else pushed first goes round again. */
export async function syncNotes(
  repoDir: string,
  remote = 'origin',
  opts: { env?: NodeJS.ProcessEnv; retries?: number } = {},
): Promise<{ pushed: boolean; attempts: number }> {
  const env = opts.env ?? process.env;
  const g = git(repoDir, env);
  const retries = opts.retries ?? 8;
  for (let attempt = 1; ; attempt++) {
    await fetchNotes(repoDir, remote, { env });
    if (!(await tryRaw(g, ['rev-parse', '--verify', '--quiet', NOTES_REF]))) return { pushed: false, attempts: attempt };
    try {
      await g.raw(['push', '--quiet', remote, `${NOTES_REF}:${NOTES_REF}`]);
      return { pushed: true, attempts: attempt };
    } catch (e) {
      // All of git's output, not just the message: the reason is on the `! [rejected]` line.
      const msg = e instanceof GitFailure ? `${e.result.stderr}\n${e.result.stdout}` : String((e as Error).message);
      const raced = /non-fast-forward|fetch first|rejected|stale info|cannot lock ref/i.test(msg);
      if (!raced || attempt >= retries) {
        throw new EnvError('NOTES_PUSH', `could not push test-oracle notes to ${remote}: ${firstLine(e)}; check the remote and retry`);
      }
      await new Promise((r) => setTimeout(r, Math.random() * 50 * attempt));
    }
  }
}

function firstLine(e: unknown): string {
  return String((e as Error).message ?? e).trim().split('\n')[0] ?? '';
}
