// The sim's commit log (--sim-commit-log FILE): every commit a session makes, so that a
// benchmark can check afterwards that none was lost (each must end up on upstream main or
// on a wip/ ref). Rebases replace commits; a replaced commit is logged with the commits
// that replaced it, so the check can follow it. One JSON object per line, appended.
import { appendFileSync } from 'node:fs';
import type { Git } from '../../git/git.js';

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
  constructor(
    private readonly file: string | null,
    private readonly who: { agent: string; session: string },
    private readonly upstreamRef: string,
  ) {}

  private write(r: { kind: 'commit'; sha: string } | { kind: 'rewritten'; sha: string; by: string[] }): void {
    appendFileSync(this.file!, JSON.stringify({ at: new Date().toISOString(), ...this.who, ...r }) + '\n');
  }

  async checkpoint(git: Git): Promise<void> {
    if (!this.file) return;
    const now = (await git.must(['rev-list', '--reverse', 'HEAD', '--not', this.upstreamRef])).split('\n').filter(Boolean);
    for (const c of now) if (!this.local.includes(c)) this.write({ kind: 'commit', sha: c });
    const gone = this.local.filter((c) => !now.includes(c));
    for (const c of gone) {
      const landed = (await git.run(['merge-base', '--is-ancestor', c, 'HEAD'])).code === 0;
      if (!landed) this.write({ kind: 'rewritten', sha: c, by: now });
    }
    this.local = now;
  }
}
