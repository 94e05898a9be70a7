// The harness's own HTTP push (harness/git/http-push.ts) against git push, on the real
// served upstream: each case is played twice, once from this process and once with
// HARNESS_PUSH_WITH_GIT=1, and both must end the same way: landed (with the tracking ref
// moved), a lost race, a refusal with the policy's ERROR line, an unreachable upstream.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pushTo, type PushOutcome } from '../harness/git/sync.js';
import { Git, gitSubcommand, type GitResult, type RunOpts } from '../harness/kit/git.js';
import { gitEnv } from './helpers/repos.js';
import { g, served } from './helpers/served.js';
import { installGateHook } from '../test-oracle/index.js';
import { waitUntil } from './oracle-helpers.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const U = { remote: 'origin', branch: 'main' };
const WAYS = ['node', 'git'] as const;
type Way = (typeof WAYS)[number];

async function commit(dir: string, creds: Record<string, string>, file: string, content: string | null): Promise<string> {
  if (content === null) await g(dir, creds, 'rm', '-q', file);
  else {
    writeFileSync(path.join(dir, file), content);
    await g(dir, creds, 'add', '-A');
  }
  await g(dir, creds, 'commit', '-qm', `change ${file}`);
  return (await g(dir, creds, 'rev-parse', 'HEAD')).out.trim();
}

/** The seam, recording which git commands the push ran in this clone. */
class Recording extends Git {
  readonly ran: string[] = [];
  /** runs before each git command: a test's way to make something happen at that moment */
  before: (sub: string) => Promise<void> = async () => {};
  override async run(args: string[], opts?: RunOpts): Promise<GitResult> {
    const sub = gitSubcommand(args) ?? '?';
    this.ran.push(sub);
    await this.before(sub);
    return super.run(args, opts);
  }
}

/** pushTo as the harness runs it, the chosen way; with the git commands it ran. */
async function push(way: Way, dir: string, creds: Record<string, string>, sha: string, before?: Recording['before']): Promise<{ outcome: PushOutcome | { thrown: string }; ran: string[] }> {
  const git = new Recording(dir, { ...gitEnv(), ...creds, ...(way === 'git' ? { HARNESS_PUSH_WITH_GIT: '1' } : {}) });
  if (before) git.before = before;
  const outcome = await pushTo(git, U, sha).catch((e: Error) => ({ thrown: e.message }));
  return { outcome, ran: git.ran };
}

const lock = (agent: string) => `Task: t1\nAgent: ${agent}\nSession: 1\n\nworking on it\n`;

describe('pushing over HTTP from the harness equals git push', () => {
  it.each(WAYS)('a push that lands moves main and the tracking ref (%s)', async (way) => {
    const { s, clone, repo } = await served(cleanups);
    const a1 = s.issue('agent-1', '1').secrets;
    const dir = await clone('a1', a1);
    const sha = await commit(dir, a1, 'current_tasks/t1.txt', lock('agent-1'));
    const r = await push(way, dir, a1, sha);
    expect(r.outcome).toEqual({ kind: 'ok' });
    expect((await g(repo, {}, 'rev-parse', 'main')).out.trim()).toBe(sha);
    expect((await g(dir, a1, 'rev-parse', 'refs/remotes/origin/main')).out.trim()).toBe(sha);
    // git push starts its remote helper, send-pack and pack-objects; ours, pack-objects and the tracking ref's update
    expect(r.ran).toEqual(way === 'git' ? ['push'] : ['pack-objects', 'update-ref']);
    // the same commit again: up to date, both ways, and the tracking ref moved to it as git push does
    await g(dir, a1, 'update-ref', 'refs/remotes/origin/main', 'HEAD~1');
    const again = await push(way, dir, a1, sha);
    expect(again.outcome).toEqual({ kind: 'ok' });
    expect(again.ran).toEqual(way === 'git' ? ['push'] : ['update-ref']);
    expect((await g(dir, a1, 'rev-parse', 'refs/remotes/origin/main')).out.trim()).toBe(sha);
  });

  it.each(WAYS)('HEAD two commits ahead of the remote tip (task done pushes so) lands as a fast-forward (%s)', async (way) => {
    const { s, clone, repo } = await served(cleanups);
    const a1 = s.issue('agent-1', '1').secrets;
    const dir = await clone('a1', a1);
    await commit(dir, a1, 'one.txt', '1\n');
    const sha = await commit(dir, a1, 'two.txt', '2\n');
    const r = await push(way, dir, a1, 'HEAD');
    expect(r.outcome).toEqual({ kind: 'ok' });
    expect(r.ran).toEqual(way === 'git' ? ['push'] : ['rev-parse', 'merge-base', 'pack-objects', 'update-ref']);
    expect((await g(repo, {}, 'rev-parse', 'main')).out.trim()).toBe(sha);
  });

  it('main moving between the ref list and the update: the update is refused by the server and read as a lost race', async () => {
    const { s, clone, repo } = await served(cleanups);
    const a1 = s.issue('agent-1', '1').secrets;
    const a2 = s.issue('agent-2', '1').secrets;
    const d1 = await clone('a1', a1);
    const d2 = await clone('a2', a2);
    const first = await commit(d2, a2, 'notes.txt', 'agent-2 lands while agent-1 packs\n');
    const late = await commit(d1, a1, 'other.txt', 'agent-1\n');
    const r = await push('node', d1, a1, late, async (sub) => {
      if (sub === 'pack-objects') expect((await g(d2, a2, 'push', '-q', 'origin', 'HEAD:main')).code).toBe(0);
    });
    expect(r.outcome).toEqual({ kind: 'stale' });
    expect(r.ran).toEqual(['pack-objects']); // our own update went out, and nothing else ran
    expect((await g(repo, {}, 'rev-parse', 'main')).out.trim()).toBe(first);
  });

  it.each(WAYS)('a push whose base moved is a lost race, seen before any pack is sent (%s)', async (way) => {
    const { s, clone, repo } = await served(cleanups);
    const a1 = s.issue('agent-1', '1').secrets;
    const a2 = s.issue('agent-2', '1').secrets;
    const d1 = await clone('a1', a1);
    const d2 = await clone('a2', a2);
    const first = await commit(d2, a2, 'notes.txt', 'agent-2 was first\n');
    expect((await g(d2, a2, 'push', '-q', 'origin', 'HEAD:main')).code).toBe(0);
    const late = await commit(d1, a1, 'other.txt', 'agent-1 was late\n');
    const r = await push(way, d1, a1, late);
    expect(r.outcome).toEqual({ kind: 'stale' });
    expect((await g(repo, {}, 'rev-parse', 'main')).out.trim()).toBe(first);
    expect(r.ran).toEqual(way === 'git' ? ['push'] : ['merge-base']); // ours: refused at the advertisement (the tip is not here), no pack built
  });

  it.each(WAYS)('a push that waited behind a gate while main moved, replayed by the gate hook, is a landing of the commit it names (%s)', async (way) => {
    const { s, clone, repo, t } = await served(cleanups);
    const a1 = s.issue('agent-1', '1').secrets;
    const a2 = s.issue('agent-2', '1').secrets;
    const d1 = await clone('a1', a1);
    const d2 = await clone('a2', a2);
    const started = path.join(t.dir, 'gate-started');
    installGateHook(repo, `touch ${started}; sleep 2`, { timeoutSec: 60 });
    const first = await commit(d2, a2, 'notes.txt', 'agent-2 is being gated\n');
    const gated = g(d2, a2, 'push', '-q', 'origin', 'HEAD:main');
    await waitUntil(() => existsSync(started), 15_000);
    const late = await commit(d1, a1, 'other.txt', 'agent-1 pushed during the gate\n');
    const r = await push(way, d1, a1, late);
    expect((await gated).code).toBe(0);
    const main = (await g(repo, {}, 'rev-parse', 'main')).out.trim();
    expect(r.outcome).toEqual({ kind: 'ok', landedAs: main });
    expect((await g(repo, {}, 'rev-parse', 'main^')).out.trim()).toBe(first);
    expect(main).not.toBe(late);
  });

  it.each(WAYS)("a push the policy refuses is declined with the server's ERROR line (%s)", async (way) => {
    const { s, clone } = await served(cleanups);
    const a1 = s.issue('agent-1', '1').secrets;
    const a2 = s.issue('agent-2', '1').secrets;
    const d1 = await clone('a1', a1);
    await commit(d1, a1, 'current_tasks/t1.txt', lock('agent-1'));
    expect((await g(d1, a1, 'push', '-q', 'origin', 'HEAD:main')).code).toBe(0);
    const d2 = await clone('a2', a2);
    const steal = await commit(d2, a2, 'current_tasks/t1.txt', null);
    const r = await push(way, d2, a2, steal);
    expect(r.ran).toEqual(way === 'git' ? ['push'] : ['pack-objects']);
    expect(r.outcome).toEqual({ kind: 'declined', reason: 'ERROR current_tasks/t1.txt: held by agent-1, not you (agent-2); only its owner releases it, and the supervisor reaps it when stale: leave it and pick other work' });
  });

  it('a credential helper for another host and TLS settings (this machine has both) leave the push in-process', async () => {
    const { s, clone, repo } = await served(cleanups);
    const a1 = s.issue('agent-1', '1').secrets;
    const dir = await clone('a1', a1);
    await g(dir, a1, 'config', 'credential.https://source.developers.google.com.helper', 'gcloud.sh');
    await g(dir, a1, 'config', 'http.sslVerify', 'false');
    const sha = await commit(dir, a1, 'current_tasks/t1.txt', lock('agent-1'));
    const r = await push('node', dir, { ...a1, GIT_SSL_CAINFO: '/etc/ssl/certs/ca-certificates.crt' }, sha);
    expect(r.outcome).toEqual({ kind: 'ok' });
    expect(r.ran).toEqual(['pack-objects', 'update-ref']);
    expect((await g(repo, {}, 'rev-parse', 'main')).out.trim()).toBe(sha);
  });

  it('a revoked token and a stopped server: the harness steps aside and git says what is wrong, in the same words both ways', async () => {
    const { s, clone } = await served(cleanups);
    const a1 = s.issue('agent-1', '1');
    const dir = await clone('a1', a1.secrets);
    const sha = await commit(dir, a1.secrets, 'x.txt', 'x\n');
    a1.revoke();
    const revoked = await Promise.all(WAYS.map((w) => push(w, dir, a1.secrets, sha)));
    expect(revoked[0]!.outcome).toEqual(revoked[1]!.outcome);
    expect(JSON.stringify(revoked[0]!.outcome)).toMatch(/token is not valid/);
    const a2 = s.issue('agent-1', '2').secrets;
    await s.close();
    const down = await Promise.all(WAYS.map((w) => push(w, dir, a2, sha)));
    expect(down[0]!.outcome).toEqual(down[1]!.outcome);
    expect(JSON.stringify(down[0]!.outcome)).toMatch(/cannot reach upstream/);
  });
});
