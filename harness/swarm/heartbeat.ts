// Liveness of supervisor runs across hosts: each run keeps a heartbeat ref on the upstream
// (refs/heartbeat/<run>, an empty commit re-made every interval; never a commit on main),
// and every reaper judges other runs' claims by it, not by host names:
//  - a run whose heartbeat moved within `staleMs` (by the reader's own clock) is live: its
//    claims are its own business, never reaped by another run, whatever their age;
//  - a run whose heartbeat has not moved for `staleMs` is dead: its claims are reaped
//    without waiting for the lock TTL;
//  - a claim without a Run, or of a run without a heartbeat (an older harness, a run that
//    ended and removed its ref), falls back to the lock TTL, as before.
// Bound: a dead machine's claims are gone within staleMs + one reap interval + the push.
// The reader times a heartbeat with its own clock (when it saw the ref change), so clock
// skew between hosts does not matter; a heartbeat seen for the first time is trusted to be
// old only when its own timestamp is older than FIRST_SIGHT_FACTOR x staleMs.
import type { Claim } from '../tasks/claims.js';
import { ageMs } from '../tasks/claims.js';
import { Git, gitReason } from '../kit/git.js';
import { EnvError } from '../kit/errors.js';

export const HEARTBEAT_PREFIX = 'refs/heartbeat/';
export const STALE_BEATS = 4;
export const FIRST_SIGHT_FACTOR = 10;

export interface Beat {
  sha: string;
  /** the writer's commit time, ms */
  stamp: number;
}

export interface Seen {
  sha: string;
  /** the reader's time when this sha was first seen (or the writer's stamp, when ancient at first sight) */
  since: number;
}

export type Liveness = 'live' | 'dead';

/** The next observation table from the current heartbeats. Pure. */
export function observe(prev: ReadonlyMap<string, Seen>, beats: ReadonlyMap<string, Beat>, now: number, staleMs: number): Map<string, Seen> {
  const out = new Map<string, Seen>();
  for (const [run, b] of beats) {
    const p = prev.get(run);
    if (p && p.sha === b.sha) out.set(run, p);
    else if (!p && now - b.stamp > FIRST_SIGHT_FACTOR * staleMs) out.set(run, { sha: b.sha, since: b.stamp });
    else out.set(run, { sha: b.sha, since: now });
  }
  return out;
}

export function liveness(seen: ReadonlyMap<string, Seen>, now: number, staleMs: number): Map<string, Liveness> {
  return new Map([...seen].map(([run, s]) => [run, now - s.since > staleMs ? 'dead' : 'live']));
}

/**
 * Which claims a reaper of run `me` reaps: `ttl` ones (older than the TTL, no live owner
 * here, not of another live run) and `dead` ones (their run's heartbeat stopped). Pure.
 */
export function reapable(claims: Claim[], o: { me: string; now: Date; ttlMs: number; isLive: (c: Claim) => boolean; runs: ReadonlyMap<string, Liveness> }): { ttl: Claim[]; dead: Claim[] } {
  const other = (c: Claim) => c.run !== null && c.run !== o.me;
  const dead = claims.filter((c) => other(c) && o.runs.get(c.run!) === 'dead');
  const ttl = claims.filter((c) => {
    if (dead.includes(c) || (other(c) && o.runs.get(c.run!) === 'live')) return false;
    const age = ageMs(c, o.now);
    return age !== null && age > o.ttlMs && !(c.readable && c.agent !== null && o.isLive(c));
  });
  return { ttl, dead };
}

/**
 * The I/O around it: beats this run's ref and reads everyone's, either in the bare upstream
 * itself (a local one) or through the supervisor's clone (a served or remote one).
 */
export class Heartbeat {
  private seen = new Map<string, Seen>();

  constructor(
    private readonly git: Git,
    private readonly inPlace: boolean,
    private readonly run: string,
    private readonly host: string,
    readonly staleMs: number,
  ) {}

  private get ref(): string {
    return `${HEARTBEAT_PREFIX}${this.run}`;
  }

  async beat(now: Date): Promise<void> {
    const g = this.git;
    const tree = await g.must(['mktree'], { input: '' }); // the empty tree (git knows it without storing it)
    const who = { GIT_AUTHOR_NAME: 'harness', GIT_AUTHOR_EMAIL: 'harness@harness.invalid', GIT_COMMITTER_NAME: 'harness', GIT_COMMITTER_EMAIL: 'harness@harness.invalid', GIT_COMMITTER_DATE: `${Math.floor(now.getTime() / 1000)} +0000`, GIT_AUTHOR_DATE: `${Math.floor(now.getTime() / 1000)} +0000` };
    const sha = await g.must(['commit-tree', tree, '-F', '-'], { input: `heartbeat of run ${this.run} on ${this.host} at ${now.toISOString()}\n`, env: who });
    const r = this.inPlace ? await g.run(['update-ref', this.ref, sha]) : await g.run(['push', '--quiet', '--force', 'origin', `${sha}:${this.ref}`]);
    if (r.code !== 0) throw new EnvError('HEARTBEAT_FAILED', `cannot update ${this.ref}: ${gitReason(r)}`);
  }

  /** Removes this run's ref: it ended, and its claims were released. */
  async end(): Promise<void> {
    if (this.inPlace) await this.git.run(['update-ref', '-d', this.ref]);
    else await this.git.run(['push', '--quiet', 'origin', `:${this.ref}`]);
  }

  /** Every run's liveness as this reader sees it now. */
  async runs(now: number): Promise<Map<string, Liveness>> {
    const g = this.git;
    let base = HEARTBEAT_PREFIX;
    if (!this.inPlace) {
      base = 'refs/harness/heartbeat/';
      const f = await g.run(['fetch', '--quiet', '--prune', '--no-tags', '--no-write-fetch-head', '--refmap=', 'origin', `+${HEARTBEAT_PREFIX}*:${base}*`]);
      if (f.code !== 0) throw new EnvError('UPSTREAM_UNREACHABLE', `cannot read the heartbeats: ${gitReason(f)}`);
    }
    const out = await g.must(['for-each-ref', '--format=%(refname)%09%(objectname)%09%(committerdate:unix)', base]);
    const beats = new Map<string, Beat>();
    for (const line of out.split('\n').filter(Boolean)) {
      const [ref, sha, t] = line.split('\t') as [string, string, string];
      beats.set(ref.slice(base.length), { sha, stamp: Number(t) * 1000 });
    }
    this.seen = observe(this.seen, beats, now, this.staleMs);
    return liveness(this.seen, now, this.staleMs);
  }
}
