// Work that undoes or repeats other work: a landed commit that removes lines another task
// landed shortly before (a revert, by hand or by `git revert`), and two sessions' changes
// (landed, or saved in wip/) that add nearly the same lines (duplicate work). Pure: the
// caller parses diffs into Changes (coordination.ts); these rules decide what is flagged.

export interface Change {
  /** commit sha (for wip: the branch tip) */
  sha: string;
  t: number;
  kind: 'landed' | 'wip';
  /** wip branch name, for wip changes */
  ref: string | null;
  /** the tasks it is work on: its Task: trailers; for wip, what the session had claimed */
  tasks: readonly string[];
  agent: string | null;
  session: string | null;
  /** `This reverts commit <sha>` in the message */
  revertsSha: string | null;
  /** per file: lines added and removed (unified=0 diff, text as is) */
  files: Map<string, { added: string[]; removed: string[] }>;
}

export interface OverlapFlag {
  kind: 'revert' | 'duplicate';
  /** the later change (revert: the reverting commit) */
  a: Change;
  /** the earlier change (revert: the commit whose lines went) */
  b: Change;
  lines: number;
  of: number;
}

export const OVERLAP_DEFAULTS = { windowMs: 6 * 3_600_000, minLines: 3, revertShare: 0.5, novelShare: 0.2, dupMinLines: 5, dupSimilarity: 0.8 };

/** Lines that carry meaning: not blank, not lone braces or punctuation. */
export function significant(line: string): string | null {
  const t = line.trim();
  return t.length >= 3 && /[A-Za-z0-9]/.test(t) ? t : null;
}

const sigSet = (lines: string[], file: string) => new Set(lines.map(significant).filter((l): l is string => l !== null).map((l) => `${file}\0${l}`));

function addedLines(c: Change): Set<string> {
  const out = new Set<string>();
  for (const [f, d] of c.files) for (const l of sigSet(d.added, f)) out.add(l);
  return out;
}

function removedLines(c: Change): Set<string> {
  const out = new Set<string>();
  for (const [f, d] of c.files) for (const l of sigSet(d.removed, f)) out.add(l);
  return out;
}

/** Same work unit: a task in common (a landing that continues a wip of its task), or (without tasks) the same agent and session. */
function sameWork(a: Change, b: Change): boolean {
  if (a.tasks.length && b.tasks.length) return a.tasks.some((t) => b.tasks.includes(t));
  return a.agent !== null && a.agent === b.agent && a.session === b.session;
}

/** Per file, the significant lines as they are written (no file prefix). */
function linesOf(c: Change, side: 'added' | 'removed'): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [f, d] of c.files) out.set(f, new Set(d[side].map(significant).filter((l): l is string => l !== null)));
  return out;
}

/**
 * Does `c` put back what was there before `p`? In each file where it takes out p's lines,
 * what it writes instead must be p's pre-image (the lines p removed) or code it moves
 * (lines it removes elsewhere); at most `novelShare` of it may be new. An edit of p's
 * lines (int to long, a merged duplicate calling the survivor) writes new code: no revert.
 */
function restoresPreImage(c: Change, p: Change, gone: Set<string>, o: typeof OVERLAP_DEFAULTS): boolean {
  const cAdded = linesOf(c, 'added');
  const pRemoved = linesOf(p, 'removed');
  const moved = new Set([...linesOf(c, 'removed').values()].flatMap((x) => [...x]));
  let restored = 0;
  let novel = 0;
  for (const f of c.files.keys()) {
    if (![...gone].some((l) => l.startsWith(`${f}\0`))) continue; // c takes none of p's lines out of f
    const before = pRemoved.get(f) ?? new Set<string>();
    for (const l of cAdded.get(f) ?? []) {
      if (before.has(l)) restored++;
      else if (!moved.has(l)) novel++;
    }
  }
  return novel <= o.novelShare * (restored + novel);
}

/**
 * Landed commits (oldest first) that revert earlier landed lines of other work within the
 * window: at least `minLines` significant lines and `revertShare` of what the earlier
 * commit added go, not counting lines the later commit adds back (moved code is no revert),
 * and what it writes in their place is what was there before (restoresPreImage).
 * A `This reverts commit X` message is a revert of X whatever the counts.
 */
export function findReverts(landed: Change[], o = OVERLAP_DEFAULTS): OverlapFlag[] {
  const flags: OverlapFlag[] = [];
  const added = landed.map(addedLines);
  for (let i = 0; i < landed.length; i++) {
    const c = landed[i]!;
    // lines it adds back anywhere were moved or kept, not reverted
    const kept = new Set([...addedLines(c)].map((l) => l.slice(l.indexOf('\0') + 1)));
    const gone = new Set([...removedLines(c)].filter((l) => !kept.has(l.slice(l.indexOf('\0') + 1))));
    for (let j = i - 1; j >= 0; j--) {
      const p = landed[j]!;
      if (c.t - p.t > o.windowMs) break;
      const explicit = c.revertsSha !== null && p.sha.startsWith(c.revertsSha);
      if (!explicit && (gone.size === 0 || sameWork(c, p))) continue;
      const pa = added[j]!;
      const taken = new Set([...pa].filter((l) => gone.has(l)));
      const n = taken.size;
      if (explicit || (n >= o.minLines && n >= o.revertShare * pa.size && restoresPreImage(c, p, taken, o))) {
        flags.push({ kind: 'revert', a: c, b: p, lines: n, of: pa.size });
        for (const l of pa) gone.delete(l); // one flag per reverted line
      }
    }
  }
  return flags;
}

/** Pairs of changes of different work that add nearly the same lines (Jaccard similarity). */
export function findDuplicates(changes: Change[], o = OVERLAP_DEFAULTS): OverlapFlag[] {
  const sets = changes.map(addedLines);
  const flags: OverlapFlag[] = [];
  for (let i = 0; i < changes.length; i++) {
    const si = sets[i]!;
    if (si.size < o.dupMinLines) continue;
    for (let j = 0; j < i; j++) {
      const sj = sets[j]!;
      if (sj.size < o.dupMinLines || Math.abs(changes[i]!.t - changes[j]!.t) > o.windowMs || sameWork(changes[i]!, changes[j]!)) continue;
      if (Math.min(si.size, sj.size) < o.dupSimilarity * Math.max(si.size, sj.size)) continue; // cannot reach the threshold
      let n = 0;
      for (const l of si) if (sj.has(l)) n++;
      const union = si.size + sj.size - n;
      if (n >= o.dupMinLines && n / union >= o.dupSimilarity) {
        const [a, b] = changes[i]!.t >= changes[j]!.t ? [changes[i]!, changes[j]!] : [changes[j]!, changes[i]!];
        flags.push({ kind: 'duplicate', a, b, lines: n, of: union });
      }
    }
  }
  return flags;
}

function who(c: Change): string {
  const parts = [c.kind === 'wip' ? c.ref : null, c.agent, ...c.tasks].filter(Boolean);
  return `${c.sha.slice(0, 7)} (${parts.join(', ') || 'unknown'})`;
}

/** One line naming both commits. */
export function flagLine(f: OverlapFlag): string {
  if (f.kind === 'revert') {
    const mins = Math.max(0, Math.round((f.a.t - f.b.t) / 60_000));
    return `revert: ${who(f.a)} removes ${f.lines} of ${f.of} lines that ${who(f.b)} landed ${mins} min before`;
  }
  return `duplicate: ${who(f.a)} and ${who(f.b)} add the same ${f.lines} lines (${Math.round((100 * f.lines) / f.of)}% alike)`;
}
