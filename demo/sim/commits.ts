// The sim's commit log (--sim-commit-log FILE): every commit a session makes, so that a
// benchmark can check afterwards that none was lost (each must end up on upstream main or
// on a wip/ ref). Rebases replace commits; a replaced commit is logged with the commits
// that replaced it, so the check can follow it. One JSON object per line, appended.
import { appendFileSync } from 'node:fs';
import type { Git } from '../../harness/kit/git.js';

export type CommitRecord =
  | { at: string; agent: string; session: string; kind: 'commit'; sha: string }
  /** `sha` left the local branch without landing as itself: rewritten (rebased) into `by`, the local commits then; empty when the rewrite already landed (harness task done rebases and pushes in one step) */
  | { at: string; agent: string; session: string; kind: 'rewritten'; sha: string; by: string[] };

/**
 * Tracks the session's local commits (those not on the last-fetched upstream main) and
 * logs what changed at each checkpoint: new commits, and commits that left the local
 * branch without landing (rewritten by a rebase).
 */
export class CommitLog {
  private local: string[] = [];
  private readonly seen = new Set<string>();
  /**
   * `email`: the committer email of every commit this session makes (rebased ones too);
   * `since`: the session's start, so earlier sessions of the same agent are not counted.
   */
  constructor(
    private readonly file: string | null,
    private readonly who: { agent: string; session: string; email: string; since: number },
    private readonly upstreamRef: string,
  ) {}

  private write(r: { kind: 'commit'; sha: string } | { kind: 'rewritten'; sha: string; by: string[] }): void {
    appendFileSync(this.file!, JSON.stringify({ at: new Date().toISOString(), agent: this.who.agent, session: this.who.session, ...r }) + '\n');
  }

  async checkpoint(git: Git): Promise<void> {
    if (!this.file) return;
    // Mine in HEAD's history, landed or not: a commit can be made and pushed in one step (harness task done).
    const since = `--since=@${Math.floor(this.who.since / 1000) - 1}`;
    const mine = (await git.must(['rev-list', '--reverse', '--fixed-strings', `--committer=<${this.who.email}>`, since, 'HEAD'])).split('\n').filter(Boolean);
    for (const c of mine) {
      if (this.seen.has(c)) continue;
      this.seen.add(c);
      this.write({ kind: 'commit', sha: c });
    }
    const now = (await git.must(['rev-list', '--reverse', 'HEAD', '--not', this.upstreamRef])).split('\n').filter(Boolean);
    // A local commit that left the branch landed as itself exactly when HEAD's history still
    // holds it, and every commit of this session in that history is in `mine`.
    const inHead = new Set(mine);
    for (const c of this.local) if (!now.includes(c) && !inHead.has(c)) this.write({ kind: 'rewritten', sha: c, by: now });
    this.local = now;
  }
}
