// Two supervisors (two swarm folders, as on two machines) against one upstream, with a lock
// TTL of 1 s: by age alone each would reap the other's claims. They keep heartbeats on the
// upstream instead, so neither reaps the other's live claims; when one is killed -9 (its
// sessions too), the other reaps its claims within the heartbeat's stale time.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LoggedEvent } from '../harness/events/log.js';
import { git, gitEnv, tempDir } from './helpers/repos.js';
import { events, FAST, makeProject, spawnHarness, waitFor } from './helpers/swarm.js';

/** Plain git: claim (with Run), hold it a while, land the work with the lock removal. */
function agent(tag: string, hold: string): string {
  return `set -e
t="t-${tag}-$HARNESS_AGENT-$HARNESS_SESSION"
mkdir -p current_tasks
printf 'Agent: %s\\nSession: %s\\nRun: %s\\n\\nheartbeat test\\n' "$HARNESS_AGENT" "$HARNESS_SESSION" "$HARNESS_RUN" > "current_tasks/$t.txt"
git add current_tasks && git commit -qm "claim $t"
land() { for i in 1 2 3 4 5 6 7 8 9 10 11 12; do git push -q origin HEAD:main && return 0; git pull -q --rebase origin main; done; return 1; }
land
${hold}
echo "$t" > "work-$t.txt"
git rm -q "current_tasks/$t.txt"; git add -A; git commit -qm "done $t"
land`;
}

describe('heartbeats across supervisors', () => {
  const t = tempDir('harness-beat-');
  const pids: number[] = [];
  afterAll(() => {
    for (const p of pids) {
      try {
        process.kill(-p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (!process.env.HARNESS_KEEP_TMP) t.cleanup();
  });

  it("two runs on one upstream never reap each other's live claims; a run killed -9 has its claims reaped by the other within the stale time", async () => {
    const proj = makeProject(t.dir);
    const upstream = path.join(t.dir, 'shared.git');
    execFileSync('git', ['clone', '-q', '--bare', proj, upstream], { env: gitEnv() });
    const common = ['run', '--agent', 'cmd', '--upstream', upstream, '--lock-ttl', '1s', '--heartbeat', '500ms', ...FAST];
    const a = spawnHarness(t.dir, [...common, '--dir', 'A', '--agents', '1', '--agent-cmd', agent('a', 'sleep 1')]);
    const b = spawnHarness(t.dir, [...common, '--dir', 'B', '--agents', '2', '--agent-cmd', agent('b', 'case "$HARNESS_AGENT/$HARNESS_SESSION" in agent-2/1) sleep 6;; agent-2/2) echo HANGING; exec sleep 600;; *) sleep 1;; esac')]);
    pids.push(a.pid!, b.pid!);
    const onMain = (f: string) => git(upstream, 'ls-tree', '-r', '--name-only', 'main').split('\n').includes(f);
    const evA = () => (existsSync(path.join(t.dir, 'A', 'events.jsonl')) ? events(t.dir, 'A') : []);
    try {
      // B's agent-2/1 holds its claim 6 s, far past A's 1 s TTL, and A runs no agent-2/1 of its own
      await waitFor("B's long session to land", () => onMain('work-t-b-agent-2-1.txt'), 90_000);
      await waitFor("A's own work to land", () => git(upstream, 'ls-tree', '--name-only', 'main').includes('work-t-a-'), 30_000);
      const held = git(upstream, 'log', '--format=%ct %s', 'main').split('\n');
      const at = (s: string) => Number(held.find((l) => l.endsWith(s))!.split(' ')[0]);
      expect(at('done t-b-agent-2-1') - at('claim t-b-agent-2-1')).toBeGreaterThanOrEqual(5); // held past A's TTL
      expect(evA().filter((e) => e.type === 'claims_reaped')).toEqual([]);
      const beats = await waitFor('both heartbeats', () => {
        const r = git(upstream, 'for-each-ref', '--format=%(refname)', 'refs/heartbeat/').split('\n').filter(Boolean);
        return r.length === 2 ? r : undefined;
      }, 5_000);
      expect(beats).toHaveLength(2);
      // B dies with its claim: supervisor and sessions, kill -9
      await waitFor("B's agent-2/2 to hold its claim", () => onMain('current_tasks/t-b-agent-2-2.txt'), 60_000);
      const sessions = readdirSync(path.join(t.dir, 'B', 'agents')).map((ag) => path.join(t.dir, 'B', 'agents', ag, 'state', 'session.pid')).filter(existsSync);
      process.kill(b.pid!, 'SIGKILL');
      for (const f of sessions) {
        const pid = Number(/\d+/.exec(readFileSync(f, 'utf8'))![0]);
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* ended meanwhile */
        }
      }
      const killedAt = Date.now();
      await waitFor("A to reap B's claim", () => !onMain('current_tasks/t-b-agent-2-2.txt'), 30_000);
      const took = Date.now() - killedAt;
      // stale after 4 beats of 500 ms, plus one reap interval (1 s), plus the push: well under 10 s
      expect(took).toBeLessThan(10_000);
      const reaped = await waitFor('the reap event', () => {
        const r = evA().filter((e) => e.type === 'claims_reaped') as Extract<LoggedEvent, { type: 'claims_reaped' }>[];
        return r.length ? r : undefined;
      }, 10_000);
      expect(reaped.every((e) => e.why === 'heartbeat')).toBe(true);
      expect(reaped.flatMap((e) => e.tasks)).toContain('t-b-agent-2-2');
      expect(reaped.flatMap((e) => e.tasks).filter((x) => x.startsWith('t-a-'))).toEqual([]);
    } catch (e) {
      a.kill('SIGINT');
      b.kill('SIGKILL');
      const [ra, rb] = [await a, await b];
      throw new Error(`${(e as Error).message}\n--- A:\n${ra.stdout}\n${ra.stderr}\n--- B:\n${rb.stdout}\n${rb.stderr}`);
    }
    a.kill('SIGINT');
    const ra = await a;
    expect(ra.exitCode, ra.stdout + ra.stderr).toBe(0);
    // A ended cleanly: its heartbeat is gone; B's (dead) one stays for others to judge
    const refs = git(upstream, 'for-each-ref', '--format=%(refname)', 'refs/heartbeat/').split('\n').filter(Boolean);
    expect(refs).toHaveLength(1);
  }, 180_000);
});
