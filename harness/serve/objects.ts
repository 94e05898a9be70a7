// The objects a push's policy check reads, without a git process per push: the pushed
// objects from the quarantine's loose files (receive-pack unpacks small pushes there), the
// rest (main's tip, its trees and locks) from one `cat-file --batch` the server keeps for
// the repo. Objects git kept as a pack in the quarantine (a large push) are asked of a
// cat-file of that push, as before. Every program started inside a push is a wait for a CPU
// while main's race window is open (bench: claims --transport http).
import type { Readable, Writable } from 'node:stream';
import type { Git } from '../kit/git.js';
import { batchAnswers, readLoose, readObjects, type RawObject } from '../git/objects.js';
import { quarantineEnv, type Ask, type QuarantineEnv } from './facts.js';

/** A kept conversation is replaced after this long, so its time limit never ends it mid-push. */
const KEPT_FOR_MS = 10 * 60_000;

interface Kept {
  ask: Ask;
  close: () => void;
  since: number;
  dead: boolean;
}

export class ServerObjects {
  private kept: Kept | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly git: Git,
    private readonly now: () => number = Date.now,
  ) {}

  /** An ask for one push's check. */
  forPush(q: QuarantineEnv): Ask {
    const env = quarantineEnv(q);
    return async (specs) => {
      const out = specs.map((s) => (q.GIT_OBJECT_DIRECTORY ? readLoose(q.GIT_OBJECT_DIRECTORY, s) : null));
      const fromRepo = specs.map((s, i) => (out[i] ? null : s));
      const repoAnswers = await this.askKept(fromRepo.filter((s): s is string => s !== null));
      let k = 0;
      for (let i = 0; i < specs.length; i++) if (fromRepo[i] !== null) out[i] = repoAnswers[k++] ?? null;
      const missing = await this.notSettled(specs.filter((_, i) => out[i] === null));
      if (missing.length) {
        const found = await readObjects(this.git, missing, env);
        for (let i = 0; i < specs.length; i++) if (out[i] === null) out[i] = found.get(specs[i]!) ?? null;
      }
      return out;
    };
  }

  /**
   * What the repo's answer did not settle: an object id may be in the push's own pack; a
   * `<commit>:<path>` whose commit the repo has is missing for good (main's tip without a
   * test-oracle.json), and asking a push's cat-file again would cost one program per push.
   */
  private async notSettled(missing: string[]): Promise<string[]> {
    const revs = missing.map((s) => /^([0-9a-f]{40}):/.exec(s)?.[1] ?? null);
    const asked = revs.filter((r): r is string => r !== null);
    if (asked.length === 0) return missing;
    const known = new Set((await this.askKept(asked)).flatMap((o) => (o ? [o.sha] : [])));
    return missing.filter((_, i) => revs[i] === null || !known.has(revs[i]!));
  }

  /** After a repack: the kept process would hold the deleted packs open. */
  recycle(): void {
    this.kept?.close();
    this.kept = null;
  }

  close(): void {
    this.recycle();
  }

  /** One question at a time: answers come back in the order asked. */
  private askKept(specs: string[]): Promise<(RawObject | null)[]> {
    if (specs.length === 0) return Promise.resolve([]);
    const run = this.queue.then(async () => {
      if (!this.kept || this.kept.dead || this.now() - this.kept.since > KEPT_FOR_MS) this.startKept();
      try {
        return await this.kept!.ask(specs);
      } catch {
        this.recycle(); // it died mid-answer: the caller's fallback asks git afresh
        return specs.map(() => null);
      }
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private startKept(): void {
    this.kept?.close();
    // The conversation is set up synchronously, inside the call: ask and close exist on return.
    const k: Kept = { ask: async () => [], close: () => {}, since: this.now(), dead: false };
    this.kept = k;
    void this.git
      .run(['cat-file', '--batch'], {
        timeoutMs: KEPT_FOR_MS * 2,
        talk: (stdin: Writable, stdout: Readable) =>
          new Promise<void>((end) => {
            const answers = batchAnswers(stdout);
            k.close = end;
            k.ask = async (specs) => {
              stdin.write(specs.join('\n') + '\n');
              const got: (RawObject | null)[] = [];
              for (let i = 0; i < specs.length; i++) got.push(await answers.next());
              return got;
            };
          }),
      })
      .catch(() => {})
      .finally(() => (k.dead = true));
  }
}
