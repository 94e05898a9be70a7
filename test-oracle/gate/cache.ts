// The gate's own results, kept in the bare repo beside the hooks: facts about a commit that
// only the server ran (an agent cannot write them). A pre-receive hook may not update refs
// (git quarantines the push), so results cannot go into notes there; a file per commit and
// tool can. The next push's baseline is usually the commit the last gate ran on, so its
// failing tests need no second run at the baseline: landings stop paying for two test runs.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Result } from '../core/types.js';

export interface GateResult {
  result: Result;
  reason: string;
}

export interface GateCache {
  /** `key`: a commit, or its contentKey */
  read(key: string, tool: string): Map<string, GateResult>;
  write(key: string, tool: string, outcomes: readonly { id: string; result: Result; reason?: string }[]): void;
}

/** Files kept; the oldest beyond this are removed after a write. */
const KEEP = 400;

/**
 * What the tests of `commit` can see, as a cache key: its root tree's entries without the
 * top-level folders the hook never gates (`current_tasks/`). A push that lost the ref to a
 * claim, rebased (only lock files changed under it) and came back has the same key, so its
 * gate answers from the results it already has instead of running the suite again. A skip
 * path deeper than the top level makes no key: the commit itself is the key then.
 */
export function contentKey(commit: string, rootListing: string | null, skipPaths: readonly string[]): string {
  const tops = skipPaths.map((p) => p.replace(/\/+$/, ''));
  if (rootListing === null || tops.some((t) => !t || t.includes('/'))) return commit;
  const kept = rootListing.split('\n').filter((l) => l && !tops.includes(l.slice(l.indexOf('\t') + 1)));
  return createHash('sha256').update(kept.join('\n')).digest('hex');
}

export function gateCache(gitDir: string): GateCache {
  const dir = join(gitDir, 'test-oracle-gate');
  const file = (key: string, tool: string) => {
    if (!/^[0-9a-f]{40,64}$/.test(key)) return null;
    return join(dir, `${key}-${createHash('sha256').update(tool).digest('hex').slice(0, 12)}.json`);
  };
  return {
    read(key, tool) {
      const f = file(key, tool);
      if (!f) return new Map();
      try {
        const o = JSON.parse(readFileSync(f, 'utf8')) as Record<string, GateResult>;
        return new Map(Object.entries(o));
      } catch {
        return new Map(); // none yet, or torn: the gate runs the baseline as before
      }
    },
    write(key, tool, outcomes) {
      const f = file(key, tool);
      if (!f || outcomes.length === 0) return;
      try {
        mkdirSync(dir, { recursive: true });
        const merged = Object.fromEntries(this.read(key, tool));
        for (const o of outcomes) merged[o.id] = { result: o.result, reason: o.reason ?? '' };
        const tmp = `${f}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(merged));
        renameSync(tmp, f);
        prune(dir);
      } catch {
        /* a cache: the gate's verdict never depends on writing it */
      }
    },
  };
}

function prune(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  if (names.length <= KEEP) return;
  const byAge = names.map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs })).sort((a, b) => a.t - b.t);
  for (const { n } of byAge.slice(0, names.length - KEEP)) rmSync(join(dir, n), { force: true });
}
