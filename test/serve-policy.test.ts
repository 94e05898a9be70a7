// The served upstream over real git smart HTTP (git http-backend behind the harness
// server): tokens, and the pre-receive policy that agents cannot reach. Every refusal is
// one `remote: ERROR ...` line in the pusher's `git push` output.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { serveSwarm } from '../harness/serve/service.js';
import { DEAD_REF_LOCK_MS, landInPlace } from '../harness/git/sync.js';
import { Git } from '../harness/kit/git.js';
import { waitFor } from './helpers/poll.js';
import { gitEnv, ROOT, tempDir } from './helpers/repos.js';
import { g, served } from './helpers/served.js';
import { installGateHook } from '../test-oracle/index.js';
import { resolveGateCommand } from '../harness/commands/init.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const lock = (agent: string, session = '1') => `Task: t1\nAgent: ${agent}\nSession: ${session}\n\nworking on it\n`;

describe('the served upstream', () => {
  it('serves clone, fetch and push to a valid token only; a revoked token is refused with a remote: ERROR line', async () => {
    const { s, clone, t } = await served(cleanups);
    const a1 = s.issue('agent-1', '1');
    const dir = await clone('a1', a1.secrets);
    writeFileSync(path.join(dir, 'x.txt'), 'x\n');
    await g(dir, a1.secrets, 'add', '-A');
    await g(dir, a1.secrets, 'commit', '-qm', 'x');
    expect((await g(dir, a1.secrets, 'push', '-q', 'origin', 'HEAD:main')).code).toBe(0);
    a1.revoke(); // the session ended: its leftovers cannot push
    writeFileSync(path.join(dir, 'y.txt'), 'y\n');
    await g(dir, a1.secrets, 'add', '-A');
    await g(dir, a1.secrets, 'commit', '-qm', 'y');
    const late = await g(dir, a1.secrets, 'push', 'origin', 'HEAD:main');
    expect(late.code).not.toBe(0);
    expect(late.out).toMatch(/remote: ERROR this upstream token is not valid/);
    const none = await g(t.dir, {}, 'ls-remote', s.url);
    expect(none.code).not.toBe(0);
    // Only the bare repo is served: not the swarm folder's other repos, nothing outside.
    const other = await execa('git', ['ls-remote', s.url.replace('/upstream.git', '/seed/.git')], { env: { ...gitEnv(), ...s.issue('agent-1', '2').secrets }, extendEnv: false, reject: false });
    expect(other.exitCode).not.toBe(0);
  });

  it("refuses a lock in another agent's name and the deletion of another agent's lock; the owner and the supervisor may delete", async () => {
    const { s, clone, sup, repo } = await served(cleanups);
    const a1 = s.issue('agent-1', '1').secrets;
    const a2 = s.issue('agent-2', '1').secrets;
    const d1 = await clone('a1', a1);
    const d2 = await clone('a2', a2);
    // agent-2 writes a claim naming agent-1: refused
    writeFileSync(path.join(d2, 'current_tasks/t1.txt'), lock('agent-1'));
    await g(d2, a2, 'add', '-A');
    await g(d2, a2, 'commit', '-qm', 'Claim t1');
    const forged = await g(d2, a2, 'push', 'origin', 'HEAD:main');
    expect(forged.code).toBe(1);
    expect(forged.out).toMatch(/remote: ERROR current_tasks\/t1\.txt: claims in the name of agent-1, but you push as agent-2/);
    // agent-1 claims it for real
    writeFileSync(path.join(d1, 'current_tasks/t1.txt'), lock('agent-1'));
    await g(d1, a1, 'add', '-A');
    await g(d1, a1, 'commit', '-qm', 'Claim t1');
    expect((await g(d1, a1, 'push', '-q', 'origin', 'HEAD:main')).code).toBe(0);
    // agent-2 deletes it: refused, one line saying what to do
    await g(d2, a2, 'fetch', '-q', 'origin');
    await g(d2, a2, 'reset', '-q', '--hard', 'origin/main');
    await g(d2, a2, 'rm', '-q', 'current_tasks/t1.txt');
    await g(d2, a2, 'commit', '-qm', 'steal');
    const steal = await g(d2, a2, 'push', 'origin', 'HEAD:main');
    expect(steal.code).toBe(1);
    expect(steal.out.match(/remote: ERROR/g)).toHaveLength(1);
    expect(steal.out).toMatch(/remote: ERROR current_tasks\/t1\.txt: held by agent-1, not you \(agent-2\); only its owner releases it/);
    // the supervisor may remove it (its reaper and its release at session end)
    const ds = await clone('sup', sup);
    await g(ds, sup, 'rm', '-q', 'current_tasks/t1.txt');
    await g(ds, sup, 'commit', '-qm', 'reap');
    expect((await g(ds, sup, 'push', '-q', 'origin', 'HEAD:main')).code).toBe(0);
    expect(execFileSync('git', ['ls-tree', '--name-only', 'main', 'current_tasks/'], { cwd: repo, encoding: 'utf8' })).not.toContain('t1.txt');
    // the server knows who pushed what
    const log = readFileSync(path.join(path.dirname(repo), 'serve/pushes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { agent: string; role: string; refused: string[] });
    expect(log.map((l) => `${l.role}:${l.agent}:${l.refused.length}`)).toEqual(['agent:agent-2:1', 'agent:agent-1:0', 'agent:agent-2:1', 'supervisor:harness:0']);
  });

  it('a prose-only lock belongs to its pusher: another agent cannot delete it, the pusher can', async () => {
    const { s, clone } = await served(cleanups);
    const a1 = s.issue('agent-1', '1').secrets;
    const a2 = s.issue('agent-2', '1').secrets;
    const d1 = await clone('a1', a1);
    writeFileSync(path.join(d1, 'current_tasks/t2.txt'), 'looking at the parser crash\n');
    await g(d1, a1, 'add', '-A');
    await g(d1, a1, 'commit', '-qm', 'mine');
    expect((await g(d1, a1, 'push', '-q', 'origin', 'HEAD:main')).code).toBe(0);
    const d2 = await clone('a2', a2);
    await g(d2, a2, 'rm', '-q', 'current_tasks/t2.txt');
    await g(d2, a2, 'commit', '-qm', 'steal');
    expect((await g(d2, a2, 'push', 'origin', 'HEAD:main')).out).toMatch(/remote: ERROR current_tasks\/t2\.txt: held by agent-1, not you/);
    await g(d1, a1, 'rm', '-q', 'current_tasks/t2.txt');
    await g(d1, a1, 'commit', '-qm', 'done');
    expect((await g(d1, a1, 'push', 'origin', 'HEAD:main')).code).toBe(0);
  });

  it("a lock is its session's: agent-1 session 2 cannot delete another agent's lock or one of agent-1's still-running session 1; once session 1 has ended it may", async () => {
    const { s, clone, repo, t } = await served(cleanups);
    const s1 = s.issue('agent-1', '1');
    const s2 = s.issue('agent-1', '2');
    const b = s.issue('agent-2', '1').secrets;
    const push = async (dir: string, creds: Record<string, string>, msg: string, edit: () => Promise<unknown> | void) => {
      await g(dir, creds, 'fetch', '-q', 'origin');
      await g(dir, creds, 'reset', '-q', '--hard', 'origin/main');
      await edit();
      await g(dir, creds, 'add', '-A');
      await g(dir, creds, 'commit', '-qm', msg);
      return g(dir, creds, 'push', 'origin', 'HEAD:main');
    };
    const db = await clone('b', b);
    expect((await push(db, b, 'Claim t1', () => writeFileSync(path.join(db, 'current_tasks/t1.txt'), lock('agent-2')))).code).toBe(0);
    const d1 = await clone('s1', s1.secrets);
    expect((await push(d1, s1.secrets, 'Claim t3', () => writeFileSync(path.join(d1, 'current_tasks/t3.txt'), 'Task: t3\nAgent: agent-1\nSession: 1\n\nmine\n'))).code).toBe(0);
    expect((await push(d1, s1.secrets, 'mine too', () => writeFileSync(path.join(d1, 'current_tasks/t4.txt'), 'prose only, pushed by session 1\n'))).code).toBe(0);
    // the server records a prose-only lock's pusher once the push has landed
    const book = path.join(t.dir, 'serve/owners.json');
    await waitFor('the owners book to record t4', () => existsSync(book) && readFileSync(book, 'utf8').includes('"t4"'), 10_000);
    const d2 = await clone('s2', s2.secrets);
    const other = await push(d2, s2.secrets, 'steal t1', () => g(d2, s2.secrets, 'rm', '-q', 'current_tasks/t1.txt'));
    expect(other.code).toBe(1);
    expect(other.out).toMatch(/remote: ERROR current_tasks\/t1\.txt: held by agent-2, not you \(agent-1\)/);
    for (const task of ['t3', 't4']) {
      const live = await push(d2, s2.secrets, `steal ${task}`, () => g(d2, s2.secrets, 'rm', '-q', `current_tasks/${task}.txt`));
      expect(live.code, live.out).toBe(1);
      expect(live.out.match(/remote: ERROR/g)).toHaveLength(1);
      expect(live.out).toMatch(new RegExp(`remote: ERROR current_tasks/${task}\\.txt: held by agent-1's session 1, which is still running, not by you \\(session 2\\)`));
    }
    const onMain = () => execFileSync('git', ['ls-tree', '--name-only', 'main', 'current_tasks/'], { cwd: repo, encoding: 'utf8' });
    expect(onMain()).toMatch(/t1\.txt[\s\S]*t3\.txt[\s\S]*t4\.txt/);
    // session 1 ended (its token revoked): its successor may finish its tasks
    s1.revoke();
    for (const task of ['t3', 't4']) {
      const r = await push(d2, s2.secrets, `done ${task}`, () => g(d2, s2.secrets, 'rm', '-q', `current_tasks/${task}.txt`));
      expect(r.code, r.out).toBe(0);
    }
    expect(onMain()).toContain('t1.txt');
    expect(onMain()).not.toMatch(/t3\.txt|t4\.txt/);
  });

  it('main never moves backwards and is never deleted; wip/ is the supervisor\'s', async () => {
    const { s, clone, sup } = await served(cleanups);
    const a1 = s.issue('agent-1', '1').secrets;
    const d1 = await clone('a1', a1);
    await g(d1, a1, 'commit', '-q', '--allow-empty', '-m', 'one');
    expect((await g(d1, a1, 'push', '-q', 'origin', 'HEAD:main')).code).toBe(0);
    const back = await g(d1, a1, 'push', '--force', 'origin', 'HEAD~1:main');
    expect(back.out).toMatch(/remote: ERROR main cannot move backwards/);
    const del = await g(d1, a1, 'push', 'origin', ':main');
    expect(del.out).toMatch(/remote: ERROR main cannot be deleted/);
    const supBack = await g(d1, sup, 'push', '--force', 'origin', 'HEAD~1:main');
    expect(supBack.out).toMatch(/remote: ERROR main cannot move backwards/);
    const wip = await g(d1, a1, 'push', 'origin', 'HEAD:refs/heads/wip/agent-2/1');
    expect(wip.out).toMatch(/remote: ERROR refs\/heads\/wip\/agent-2\/1: wip\/ branches are written by the supervisor only/);
    expect((await g(d1, sup, 'push', '-q', 'origin', 'HEAD:refs/heads/wip/agent-1/1')).code).toBe(0);
    expect((await g(d1, a1, 'push', '-q', 'origin', 'HEAD:refs/heads/agent-1-try')).code).toBe(0);
  });

  it("main's lock left by a push killed mid-update: kept while it could be live, removed by the next push once it is 30 s old, and by an in-place landing", async () => {
    const { s, clone, repo } = await served(cleanups);
    const a1 = s.issue('agent-1', '1').secrets;
    const d1 = await clone('a1', a1);
    const lockFile = path.join(repo, 'refs/heads/main.lock');
    writeFileSync(lockFile, ''); // as kill -9 leaves it: created, nothing written yet
    await g(d1, a1, 'commit', '-q', '--allow-empty', '-m', 'one');
    const young = await g(d1, a1, 'push', 'origin', 'HEAD:main');
    expect(young.code, young.out).not.toBe(0); // a lock this young may be a live push's
    expect(existsSync(lockFile)).toBe(true);
    const old = (Date.now() - DEAD_REF_LOCK_MS - 5_000) / 1000;
    utimesSync(lockFile, old, old);
    const after = await g(d1, a1, 'push', 'origin', 'HEAD:main');
    expect(after.code, after.out).toBe(0);
    expect(existsSync(lockFile)).toBe(false);
    // the supervisor's in-place landing: one attempt finds the dead lock and removes it, the next lands
    writeFileSync(lockFile, '');
    utimesSync(lockFile, old, old);
    const bare = new Git(repo, gitEnv());
    const build = async (base: string | null) => ({ commit: (await g(repo, {}, 'commit-tree', '-p', base!, '-m', 'in place', `${base}^{tree}`)).out.trim(), value: null });
    expect((await landInPlace(bare, 'main', build)).kind).toBe('stale');
    expect((await landInPlace(bare, 'main', build)).kind).toBe('landed');
  });

  it('protected paths: an agent may not change the suite\'s tests, expected outputs or test-oracle.json, unless the run allows it', async () => {
    for (const allow of [false, true]) {
      const { s, clone } = await served(cleanups, { withSuite: true, allowTestEdits: allow });
      const a1 = s.issue('agent-1', '1').secrets;
      const d1 = await clone('a1', a1);
      for (const [file, text] of [['tests/a.expected', 'whatever\n'], ['test-oracle.json', '{"tests":"tests","match":"*.none","command":"true"}\n'], ['tests/a.sh', null]] as const) {
        await g(d1, a1, 'reset', '-q', '--hard', 'origin/main');
        if (text === null) await g(d1, a1, 'rm', '-q', file);
        else writeFileSync(path.join(d1, file), text);
        await g(d1, a1, 'commit', '-qam', `edit ${file}`);
        const r = await g(d1, a1, 'push', 'origin', 'HEAD:main');
        if (allow) expect(r.code, r.out).toBe(0);
        else expect(r.out).toMatch(new RegExp(`remote: ERROR protected test files changed \\(${file.replace('.', '\\.')}\\): .*--allow-test-edits`));
        await g(d1, a1, 'fetch', '-q', 'origin');
      }
      // source changes are not protected
      await g(d1, a1, 'reset', '-q', '--hard', 'origin/main');
      writeFileSync(path.join(d1, 'src.c'), 'int main(){return 0;}\n');
      await g(d1, a1, 'commit', '-qam', 'fix');
      expect((await g(d1, a1, 'push', 'origin', 'HEAD:main')).code).toBe(0);
      for (const c of cleanups.splice(0).reverse()) await c();
    }
  });

  it('the test gate behind the server: a push deleting a passing test is refused (missing counts as a regression), even where test edits are allowed', async () => {
    const t = tempDir();
    cleanups.push(() => t.cleanup());
    const seed = path.join(t.dir, 'seed');
    execFileSync('git', ['init', '-q', '-b', 'main', seed], { env: gitEnv() });
    mkdirSync(path.join(seed, 'tests'));
    writeFileSync(path.join(seed, 'tests/ok.sh'), 'exit 0\n');
    writeFileSync(path.join(seed, 'tests/also.sh'), 'exit 0\n');
    writeFileSync(path.join(seed, 'test-oracle.json'), JSON.stringify({ tests: 'tests', match: '*.sh', command: 'sh {abs}', judge: 'exit' }) + '\n');
    writeFileSync(path.join(seed, '.gitignore'), '.test-oracle/\n');
    execFileSync('sh', ['-c', 'git add -A && git commit -qm seed'], { cwd: seed, env: gitEnv() });
    // the baseline's results, recorded as notes, travel with the bare clone
    const rec = await execa('node', [path.join(ROOT, 'bin/test-oracle.js'), 'run'], { cwd: seed, env: gitEnv(), extendEnv: false, reject: false });
    expect(rec.exitCode, rec.stderr).toBe(0);
    const repo = path.join(t.dir, 'upstream.git');
    execFileSync('git', ['clone', '-q', '--bare', seed, repo], { env: gitEnv() });
    execFileSync('git', ['fetch', '-q', seed, 'refs/notes/*:refs/notes/*'], { cwd: repo, env: gitEnv() });
    installGateHook(repo, resolveGateCommand('test-oracle gate'), { timeoutSec: 120 });
    const s = await serveSwarm({ repo, stateDir: path.join(t.dir, 'serve'), env: gitEnv(), allowTestEdits: true, protect: [], allowHost: [] });
    cleanups.push(() => s.close());
    const a1 = s.issue('agent-1', '1').secrets;
    const d1 = path.join(t.dir, 'a1');
    expect((await g(t.dir, a1, 'clone', '-q', s.url, d1)).code).toBe(0);
    await g(d1, a1, 'rm', '-q', 'tests/ok.sh');
    writeFileSync(path.join(d1, 'src.c'), 'int x;\n');
    await g(d1, a1, 'add', '-A');
    await g(d1, a1, 'commit', '-qm', 'tidy the tests');
    const r = await g(d1, a1, 'push', 'origin', 'HEAD:main');
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/remote: ERROR gate: 1 test passed at \w+ and fails at \w+: tests\/ok\.sh \(missing: the test was deleted/);
    // the same change without the deletion passes the gate
    await g(d1, a1, 'reset', '-q', '--hard', 'origin/main');
    writeFileSync(path.join(d1, 'src.c'), 'int x;\n');
    await g(d1, a1, 'add', '-A');
    await g(d1, a1, 'commit', '-qm', 'code only');
    const ok = await g(d1, a1, 'push', 'origin', 'HEAD:main');
    expect(ok.code, ok.out).toBe(0);
  }, 120_000);

  it('a server that stopped answering is started again on the same URL; tokens issued before still work', async () => {
    const { s, t } = await served(cleanups);
    const a1 = s.issue('agent-1', '1').secrets;
    expect((await g(t.dir, a1, 'ls-remote', s.url)).code).toBe(0);
    expect(await s.ensureAlive()).toBe(true);
    // the socket the sandboxes reach it through is gone: as if the server had died
    rmSync(s.forwards[0]!.socket);
    expect(await s.ensureAlive()).toBe(false);
    expect(existsSync(s.forwards[0]!.socket)).toBe(true);
    const again = await g(t.dir, a1, 'ls-remote', s.url);
    expect(again.code, again.out).toBe(0);
  });
});
