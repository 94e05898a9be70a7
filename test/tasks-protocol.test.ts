// The lock protocol end to end on real bare repos and clones in temp folders.
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { git, harness, HARNESS_BIN, harnessProcess, upstreamLocks } from './helpers/repos.js';

const A = { HARNESS_AGENT: 'agent-a', HARNESS_SESSION: '1' };
const B = { HARNESS_AGENT: 'agent-b', HARNESS_SESSION: '1' };

describe('harness init', () => {
  it('makes an upstream with the protocol README, and a second run changes nothing', async ({ tmp }) => {
    const first = await harness(tmp, ['init']);
    expect(first.code).toBe(0);
    const up = path.join(tmp, '.swarm/upstream.git');
    expect(git(up, 'show', 'main:current_tasks/README.md')).toContain('current_tasks/');
    const head = git(up, 'rev-parse', 'main');
    const again = await harness(tmp, ['init']);
    expect(again.code).toBe(0);
    expect(again.out.join('\n')).toMatch(/already initialised.*nothing changed/);
    expect(git(up, 'rev-parse', 'main')).toBe(head);
    expect(readdirSync(path.join(tmp, '.swarm'))).toEqual(['upstream.git']);
  });

  it('keeps the whole history of an existing project on a master branch, and does not re-add a README it has', async ({ tmp }) => {
    const src = path.join(tmp, 'proj');
    git(tmp, 'init', '-q', '-b', 'master', src);
    writeFileSync(path.join(src, 'main.c'), 'int main(){return 0;}\n');
    git(src, 'add', '.');
    git(src, 'commit', '-qm', 'first');
    writeFileSync(path.join(src, 'lib.c'), 'int f(){return 1;}\n');
    git(src, 'add', '.');
    git(src, 'commit', '-qm', 'second');
    const r = await harness(tmp, ['init', '--from', 'proj', '--dir', 'sw']);
    expect(r.code, r.err.join('\n')).toBe(0);
    const up = path.join(tmp, 'sw/upstream.git');
    const log = git(up, 'log', '--format=%s', 'main').split('\n');
    expect(log).toEqual(['Add current_tasks/README.md, AGENT_PROMPT.md', 'second', 'first']);
    expect(git(up, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');

    // A project that already has the README keeps its own, unchanged.
    const r2 = await harness(tmp, ['init', '--from', 'sw/upstream.git', '--dir', 'sw2']);
    expect(r2.code).toBe(0);
    expect(git(path.join(tmp, 'sw2/upstream.git'), 'rev-parse', 'main')).toBe(git(up, 'rev-parse', 'main'));
  });

  it('refuses a source that does not exist with exit 2 and leaves nothing behind', async ({ tmp }) => {
    const r = await harness(tmp, ['init', '--from', 'nope']);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/--from nope: no such folder/);
    const notRepo = path.join(tmp, 'plain');
    git(tmp, 'init', '-q', notRepo); // a repo with no commits is fine; a plain folder is not
    writeFileSync(path.join(tmp, 'file'), 'x');
    const r2 = await harness(tmp, ['init', '--from', '.', '--dir', 'x']);
    expect(r2.code).toBe(2);
    expect(existsSync(path.join(tmp, 'x/upstream.git'))).toBe(false);
    expect(readdirSync(path.join(tmp, 'x'))).toEqual([]);
  });
});

describe('harness task', () => {
  it('claims, refuses a second claimer with exit 3 naming the holder, and finishes with the work in one commit', async ({ swarm }) => {
    const a = swarm.clone('a');
    const b = swarm.clone('b');

    const c1 = await harness(a, ['task', 'claim', 'fix-parser', '--note', 'crash on empty switch'], A);
    expect(c1.code, c1.err.join()).toBe(0);
    expect(upstreamLocks(swarm.upstream)).toEqual(['fix-parser']);
    const lock = git(swarm.upstream, 'show', 'main:current_tasks/fix-parser.txt');
    expect(lock).toMatch(/^Task: fix-parser\nAgent: agent-a\nSession: 1\nClaimed: .+\nHost: testhost\n\ncrash on empty switch$/);
    expect(git(swarm.upstream, 'log', '-1', '--format=%(trailers:key=Task,key=Task-Status,valueonly,separator=%x2C)', 'main')).toBe('fix-parser,claimed');
    // the claim was fast-forwarded into a's clean checkout
    expect(existsSync(path.join(a, 'current_tasks/fix-parser.txt'))).toBe(true);

    const lost = await harnessProcess(b, ['task', 'claim', 'fix-parser'], B);
    expect(lost.code).toBe(3);
    expect(lost.stderr.trim().split('\n')).toHaveLength(1);
    expect(lost.stderr).toContain('held by agent-a (session 1)');

    const again = await harness(a, ['task', 'claim', 'fix-parser'], A);
    expect(again.code).toBe(0);
    expect(again.out[0]).toMatch(/already yours/);

    writeFileSync(path.join(a, 'parser.c'), 'int parse(void) { return 0; }\n');
    git(a, 'add', 'parser.c');
    const done = await harness(a, ['task', 'done', 'fix-parser', '-m', 'Fix parser crash on empty switch'], A);
    expect(done.code, done.err.join()).toBe(0);
    expect(upstreamLocks(swarm.upstream)).toEqual([]);
    const files = git(swarm.upstream, 'show', '--name-status', '--format=%s%n%b', 'main');
    expect(files).toContain('Fix parser crash on empty switch');
    expect(files).toContain('Task-Status: done');
    expect(files).toMatch(/A\tparser\.c/);
    expect(files).toMatch(/D\tcurrent_tasks\/fix-parser\.txt/);
  });

  it('release by the owner records abandoned; others need --force', async ({ swarm }) => {
    const a = swarm.clone('a');
    const b = swarm.clone('b');
    expect((await harness(a, ['task', 'claim', 'lexer'], A)).code).toBe(0);
    const refused = await harness(b, ['task', 'release', 'lexer'], B);
    expect(refused.code).toBe(3);
    expect(refused.err[0]).toMatch(/held by agent-a.*--force/);
    const ok = await harness(a, ['task', 'release', 'lexer', '--reason', 'blocked on the parser'], A);
    expect(ok.code).toBe(0);
    expect(git(swarm.upstream, 'log', '-1', '--format=%B', 'main')).toMatch(/blocked on the parser[\s\S]*Task-Status: abandoned/);
    const none = await harness(b, ['task', 'release', 'lexer'], B);
    expect(none.code).toBe(0);
    expect(none.out[0]).toMatch(/not claimed/);
  });

  it('treats a prose-only lock pushed with plain git as a claim with an unknown owner and its commit time as age', async ({ swarm }) => {
    const a = swarm.clone('a');
    const b = swarm.clone('b');
    writeFileSync(path.join(b, 'current_tasks/typechecker.txt'), 'Rewriting the type checker for unions. Do not touch.\n');
    git(b, 'add', '.');
    git(b, 'commit', '-qm', 'Lock typechecker');
    git(b, 'push', '-q');
    writeFileSync(path.join(b, 'current_tasks/garbage.txt'), Buffer.from([0xde, 0xad, 0, 0xbe, 0xef]));
    git(b, 'add', '.');
    git(b, 'commit', '-qm', 'oops');
    git(b, 'push', '-q');

    const list = await harness(a, ['task', 'list', '--json'], A);
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.out.join('\n'));
    expect(rows.map((r: { task: string }) => r.task)).toEqual(['garbage', 'typechecker']);
    expect(rows[1]).toMatchObject({ ownerKnown: false, readable: true, agent: null });
    expect(rows[1].claimedAt).toBe(new Date(Number(git(b, 'log', '-1', '--format=%ct', 'HEAD~1')) * 1000).toISOString());
    expect(rows[0]).toMatchObject({ readable: false, problem: 'not UTF-8 text' });

    const table = await harness(a, ['task', 'list'], A);
    expect(table.out.join('\n')).toMatch(/typechecker\s+unknown owner/);
    expect(table.out.join('\n')).toMatch(/garbage\s+UNREADABLE/);

    // the same answer straight from the bare upstream, without a clone
    const direct = await harness(swarm.root, ['task', 'list', '--json', '--upstream', '.swarm/upstream.git']);
    const withoutAge = (xs: { ageSeconds?: number }[]) => xs.map(({ ageSeconds: _, ...rest }) => rest);
    expect(withoutAge(JSON.parse(direct.out.join('\n')))).toEqual(withoutAge(rows));

    const claim = await harness(a, ['task', 'claim', 'typechecker'], A);
    expect(claim.code).toBe(3);
    expect(claim.err[0]).toContain('unknown owner');
  });

  it('reaps only stale claims without a live owner, in one commit with reaped trailers', async ({ swarm }) => {
    const a = swarm.clone('a');
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    for (const [task, agent] of [['old-dead', 'agent-x'], ['old-live', 'agent-y']]) {
      writeFileSync(path.join(a, `current_tasks/${task}.txt`), `Task: ${task}\nAgent: ${agent}\nSession: 1\nClaimed: ${hourAgo}\n\nwork\n`);
    }
    git(a, 'add', '.');
    git(a, 'commit', '-qm', 'old claims');
    git(a, 'push', '-q');
    expect((await harness(a, ['task', 'claim', 'fresh'], A)).code).toBe(0);

    const dry = await harness(a, ['task', 'reap', '--ttl', '30m', '--live', 'agent-y', '--dry-run'], A);
    expect(dry.out).toContain('1 stale');
    expect(upstreamLocks(swarm.upstream)).toEqual(['fresh', 'old-dead', 'old-live']);

    const r = await harness(a, ['task', 'reap', '--ttl', '30m', '--live', 'agent-y'], A);
    expect(r.code).toBe(0);
    expect(upstreamLocks(swarm.upstream)).toEqual(['fresh', 'old-live']);
    const msg = git(swarm.upstream, 'log', '-1', '--format=%B', 'main');
    expect(msg).toMatch(/Task: old-dead\nTask-Status: reaped/);

    expect((await harness(a, ['task', 'reap', '--ttl', 'soon'], A)).code).toBe(2);
  });

  it('shows a lock and the history of its task', async ({ swarm }) => {
    const a = swarm.clone('a');
    await harness(a, ['task', 'claim', 'opt-pass', '--note', 'constant folding'], A);
    await harness(a, ['task', 'release', 'opt-pass'], A);
    await harness(a, ['task', 'claim', 'opt-pass', '--note', 'second try'], A);
    const s = await harness(a, ['task', 'show', 'opt-pass'], A);
    expect(s.code).toBe(0);
    expect(s.out[0]).toMatch(/^opt-pass: held by agent-a \(session 1\)/);
    expect(s.out).toContain('  second try');
    expect(s.out.filter((l) => /Claim opt-pass|Release opt-pass/.test(l))).toHaveLength(3);
  });

  it('refuses bad task names with exit 2, one line, and writes nothing', async ({ swarm }) => {
    const a = swarm.clone('a');
    const before = git(swarm.upstream, 'rev-parse', 'main');
    const objects = git(swarm.upstream, 'count-objects');
    for (const bad of ['../x', 'a/b', 'has space', 'UPPER', 'x'.repeat(81), '']) {
      for (const cmd of ['claim', 'done', 'release', 'show']) {
        const r = await harness(a, ['task', cmd, bad], A);
        expect(r.code, `${cmd} ${JSON.stringify(bad)}`).toBe(2);
        expect(r.err).toHaveLength(1);
        expect(r.err[0]).toMatch(/invalid task name/);
      }
    }
    expect(git(swarm.upstream, 'rev-parse', 'main')).toBe(before);
    expect(git(swarm.upstream, 'count-objects')).toBe(objects);
    expect(git(a, 'status', '--porcelain')).toBe('');
  });

  it('says clearly when it is not in a clone (2) or cannot reach upstream (4)', async ({ swarm }) => {
    const r = await harness(swarm.root, ['task', 'claim', 'x'], A);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/not inside a git clone/);
    const a = swarm.clone('a');
    git(a, 'remote', 'set-url', 'origin', path.join(swarm.root, 'gone.git'));
    const u = await harnessProcess(a, ['task', 'claim', 'x'], A);
    expect(u.code).toBe(4);
    expect(u.stderr.trim().split('\n')).toHaveLength(1);
    expect(u.stderr).toMatch(/cannot reach upstream "origin"/);
  });

  it('says git is missing with exit 4 and makes no folder', async ({ tmp }) => {
    const bin = path.join(tmp, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, path.join(bin, 'node'));
    const r = await execa(process.execPath, [HARNESS_BIN, 'init', '--dir', 'sw'], { cwd: tmp, env: { PATH: bin }, extendEnv: false, reject: false });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/^harness: git is not installed or not on PATH.*\[GIT_MISSING\]$/);
    expect(existsSync(path.join(tmp, 'sw'))).toBe(false);
  });

  it('claims without touching dirty files or local commits', async ({ swarm }) => {
    const a = swarm.clone('a');
    writeFileSync(path.join(a, 'wip.c'), 'half done\n');
    writeFileSync(path.join(a, 'local.c'), 'committed locally\n');
    git(a, 'add', 'local.c');
    git(a, 'commit', '-qm', 'local only');
    const localHead = git(a, 'rev-parse', 'HEAD');
    const r = await harness(a, ['task', 'claim', 'thing'], A);
    expect(r.code).toBe(0);
    expect(git(a, 'rev-parse', 'HEAD')).toBe(localHead); // diverged: left for its owner to rebase
    expect(readFileSync(path.join(a, 'wip.c'), 'utf8')).toBe('half done\n');
    expect(git(swarm.upstream, 'log', '--format=%s', 'main')).not.toContain('local only');
  });

  it('done -m rebases over unrelated pushes, and stops on a real conflict keeping the work', async ({ swarm }) => {
    const a = swarm.clone('a');
    const b = swarm.clone('b');
    writeFileSync(path.join(b, 'shared.h'), 'base\n');
    git(b, 'add', '.');
    git(b, 'commit', '-qm', 'shared header');
    git(b, 'push', '-q');
    git(a, 'pull', '-q', '--rebase');
    expect((await harness(a, ['task', 'claim', 'one'], A)).code).toBe(0);

    // unrelated code lands first: done rebases over it
    git(b, 'pull', '-q', '--rebase');
    writeFileSync(path.join(b, 'other.c'), 'other\n');
    git(b, 'add', '.');
    git(b, 'commit', '-qm', 'unrelated');
    git(b, 'push', '-q');
    writeFileSync(path.join(a, 'one.c'), 'one\n');
    git(a, 'add', '.');
    const d = await harness(a, ['task', 'done', 'one', '-m', 'Do one'], A);
    expect(d.code, d.err.join()).toBe(0);
    expect(git(swarm.upstream, 'log', '--format=%s', 'main').split('\n').slice(0, 2)).toEqual(['Do one', 'unrelated']);

    // a real conflict: reported with exit 1, nothing forced, the work stays in a's commit
    expect((await harness(a, ['task', 'claim', 'two'], A)).code).toBe(0);
    git(b, 'pull', '-q', '--rebase');
    writeFileSync(path.join(b, 'shared.h'), 'from b\n');
    git(b, 'commit', '-qam', 'b edits shared');
    git(b, 'push', '-q');
    writeFileSync(path.join(a, 'shared.h'), 'from a\n');
    const upBefore = git(swarm.upstream, 'rev-parse', 'main');
    const c = await harness(a, ['task', 'done', 'two', '-m', 'Do two', '--all'], A);
    expect(c.code).toBe(1);
    expect(c.err[0]).toMatch(/conflicts with upstream in shared\.h/);
    expect(git(swarm.upstream, 'rev-parse', 'main')).toBe(upBefore);
    expect(git(a, 'log', '-1', '--format=%s')).toBe('Do two');
    expect(git(a, 'show', 'HEAD:shared.h')).toBe('from a');
    expect(upstreamLocks(swarm.upstream)).toEqual(['two']);
  });
});
