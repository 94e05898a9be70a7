// Commits written in-process (harness/git/commit.ts) against `git commit-tree` given the
// same inputs: the same object, byte for byte, with the identity from the environment and
// from config files, a message with a body and trailers, and a non-UTF-8 encoding
// setting; cases it does not model go to git; config files parse as git reads them.
import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitTree, zoneIsShared } from '../harness/git/commit.js';
import { envConfigEntries, parseConfig } from '../harness/git/config-file.js';
import { gitConfigVars } from '../harness/git/config-env.js';
import { Git, gitProcessCount } from '../harness/kit/git.js';
import { editTree, repoFacts, Snapshot } from '../harness/git/objects.js';
import { taskCommitMessage } from '../harness/tasks/claims.js';
import { tempDir } from './helpers/repos.js';

let root: string;
let cleanup: () => void;
let repo: string;
let home: string;
const savedTz = process.env.TZ;
// A zone with a half-hour offset west of UTC: the sign and the minutes must both come out right.
const TZ = 'America/St_Johns';
const WHEN = new Date('2026-03-01T12:34:56.789Z');
// Without the zone's file (no tzdata) git would stamp UTC: git writes the commit then (.ci/run installs tzdata).
const IN_PROCESS = zoneIsShared(TZ) ? 0 : 1;

/** Nothing from the machine's git config; identity only where a test puts one. */
function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH!, HOME: home, GIT_CONFIG_NOSYSTEM: '1', TZ, ...extra };
}

function gitIn(env: Record<string, string>, args: string[], input?: string | Buffer): Buffer {
  return execFileSync('git', args, { cwd: repo, env, input, stdio: ['pipe', 'pipe', 'pipe'] });
}

beforeEach(() => {
  ({ dir: root, cleanup } = tempDir('git-commit-'));
  repo = path.join(root, 'repo');
  home = path.join(root, 'home');
  mkdirSync(home);
  execFileSync('git', ['init', '-q', repo]);
  process.env.TZ = TZ;
});
afterEach(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
  cleanup();
});

/** A tree with a lock file in it, written in-process, and the in-process commit of it; with the git processes that took. */
async function inProcess(env: Record<string, string>, message: string, parents: string[] = []) {
  const g = new Git(repo, env);
  await repoFacts(g); // read up front, as a claim does while it fetches
  const snap = await Snapshot.load(g, parents[0] ?? null, { files: ['current_tasks/t.txt'] });
  const tree = await editTree(g, snap, [{ path: 'current_tasks/t.txt', content: 'Task: t\nAgent: a\n' }]);
  const before = gitProcessCount();
  const oid = await commitTree(g, tree, parents, message, 'fallback-agent', { now: () => WHEN });
  return { oid, tree, spawned: gitProcessCount() - before };
}

/** What git commit-tree writes for the same tree, parents and message at the same second (its own zone from TZ). */
function byGit(env: Record<string, string>, tree: string, parents: string[], message: string): string {
  const at = `@${Math.floor(WHEN.getTime() / 1000)}`;
  const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'];
  return gitIn({ ...env, GIT_AUTHOR_DATE: at, GIT_COMMITTER_DATE: at }, args, message).toString().trim();
}

const raw = (env: Record<string, string>, oid: string) => gitIn(env, ['cat-file', 'commit', oid]);

function expectSameAsGit(env: Record<string, string>, got: { oid: string; tree: string }, parents: string[], message: string) {
  const theirs = byGit(env, got.tree, parents, message);
  expect(raw(env, got.oid).toString('latin1')).toBe(raw(env, theirs).toString('latin1'));
  expect(got.oid).toBe(theirs);
  expect(gitIn(env, ['fsck', '--strict', '--no-dangling', got.oid]).toString()).toBe('');
}

const claimMessage = taskCommitMessage({
  subject: 'Claim parser-crash',
  tasks: ['parser-crash'],
  status: 'claimed',
  who: { agent: 'agent-3', session: 's-17', run: 'r-2', host: 'h' },
  body: 'Starting from the fuzz case in tests/fuzz/042.\nSecond line of the note: Grüße, 日本.',
});

describe('in-process commits are the objects git commit-tree writes', () => {
  it('identity from GIT_AUTHOR_*/GIT_COMMITTER_* (they differ), a body with trailers, a parent', async () => {
    const env = baseEnv({ GIT_AUTHOR_NAME: 'Ann Author', GIT_AUTHOR_EMAIL: 'ann@example.invalid', GIT_COMMITTER_NAME: 'Carl Committer', GIT_COMMITTER_EMAIL: 'carl@example.invalid' });
    const first = await inProcess(env, 'first\n');
    expect(first.spawned).toBe(IN_PROCESS); // no git process for the commit
    expectSameAsGit(env, first, [], 'first\n');
    const second = await inProcess(env, claimMessage, [first.oid]);
    expect(second.spawned).toBe(IN_PROCESS);
    expectSameAsGit(env, second, [first.oid], claimMessage);
    expect(raw(env, second.oid).toString()).toContain(`author Ann Author <ann@example.invalid> ${Math.floor(WHEN.getTime() / 1000)} -0330\n`);
  });

  it('identity from config files: user.* globally, author.*/committer.* in the repo, quoting and comments as git reads them', async () => {
    writeFileSync(path.join(home, '.gitconfig'), '[user]\n\tname = "Zoë \\"Z\\" Global"   ; a comment\n\temail = zoe@example.invalid # another\n');
    gitIn(baseEnv(), ['config', 'author.email', 'zoe.author@example.invalid']);
    gitIn(baseEnv(), ['config', 'committer.name', 'Repo  Committer']);
    const env = baseEnv();
    const got = await inProcess(env, claimMessage);
    expect(got.spawned).toBe(IN_PROCESS);
    expectSameAsGit(env, got, [], claimMessage);
    const text = raw(env, got.oid).toString();
    expect(text).toContain('author Zoë "Z" Global <zoe.author@example.invalid>');
    expect(text).toContain('committer Repo  Committer <zoe@example.invalid>');
  });

  it('the environment outranks config; XDG and ~/.gitconfig both read, the latter winning', async () => {
    mkdirSync(path.join(home, '.config/git'), { recursive: true });
    writeFileSync(path.join(home, '.config/git/config'), '[user]\n name = Xdg Name\n email = xdg@example.invalid\n');
    writeFileSync(path.join(home, '.gitconfig'), '[user]\n email = home@example.invalid\n');
    const env = baseEnv({ GIT_COMMITTER_NAME: 'From Env' });
    const got = await inProcess(env, 'm\n');
    expect(got.spawned).toBe(IN_PROCESS);
    expectSameAsGit(env, got, [], 'm\n');
    expect(raw(env, got.oid).toString()).toContain('committer From Env <home@example.invalid>');
  });

  it('settings in the environment (GIT_CONFIG_COUNT, how a session gets its upstream token) outrank the files, still in-process', async () => {
    writeFileSync(path.join(home, '.gitconfig'), '[user]\n name = File Name\n email = file@example.invalid\n');
    const env = baseEnv(gitConfigVars([['http.extraHeader', 'Authorization: Bearer x'], ['User.Name', 'Env Name']]));
    const got = await inProcess(env, 'm\n');
    expect(got.spawned).toBe(IN_PROCESS);
    expectSameAsGit(env, got, [], 'm\n');
    expect(raw(env, got.oid).toString()).toContain('author Env Name <file@example.invalid>');
  });

  it('system config: GIT_CONFIG_SYSTEM below the global file; without it, /etc/gitconfig for a git installed under /usr', async () => {
    const sys = path.join(root, 'system.cfg');
    writeFileSync(sys, '[user]\n name = System Name\n email = system@example.invalid\n');
    writeFileSync(path.join(home, '.gitconfig'), '[user]\n email = global@example.invalid\n');
    const env = { PATH: process.env.PATH!, HOME: home, TZ, GIT_CONFIG_SYSTEM: sys };
    const got = await inProcess(env, 'm\n');
    expect(got.spawned).toBe(IN_PROCESS);
    expectSameAsGit(env, got, [], 'm\n');
    expect(raw(env, got.oid).toString()).toContain('author System Name <global@example.invalid>');
    // the machine's own system file, whatever it holds (identity from the environment here)
    const machine = { PATH: process.env.PATH!, HOME: home, TZ, GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@example.invalid', GIT_COMMITTER_NAME: 'C', GIT_COMMITTER_EMAIL: 'c@example.invalid' };
    const mine = await inProcess(machine, 'm\n');
    expect(mine.spawned).toBe(IN_PROCESS || (realpathSync(execFileSync('sh', ['-c', 'command -v git']).toString().trim()).startsWith('/usr/bin/') ? 0 : 1));
    expectSameAsGit(machine, mine, [], 'm\n');
  });

  it('i18n.commitEncoding set to a non-UTF-8 encoding: the encoding header, the message bytes as given', async () => {
    gitIn(baseEnv(), ['config', 'i18n.commitEncoding', 'ISO-8859-1']);
    const env = baseEnv({ GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@example.invalid', GIT_COMMITTER_NAME: 'C', GIT_COMMITTER_EMAIL: 'c@example.invalid' });
    const got = await inProcess(env, claimMessage);
    expect(got.spawned).toBe(IN_PROCESS);
    expectSameAsGit(env, got, [], claimMessage);
    expect(raw(env, got.oid).toString()).toMatch(/\nencoding ISO-8859-1\n\nClaim parser-crash/);
  });

  it('what it does not model goes to git, with the same result: a name git trims, no identity anywhere, a date in the environment', async () => {
    const trimmed = baseEnv({ GIT_AUTHOR_NAME: ' Trailing dot. ', GIT_AUTHOR_EMAIL: '<a@example.invalid>', GIT_COMMITTER_NAME: 'C', GIT_COMMITTER_EMAIL: 'c@example.invalid' });
    const a = await inProcess(trimmed, 'm\n');
    expect(a.spawned).toBe(1);
    expect(raw(trimmed, a.oid).toString()).toMatch(/\nauthor Trailing dot\.? <a@example.invalid> /);
    // no name or email set: git's own guess (or, where it cannot guess, the agent's name)
    const none = baseEnv();
    const b = await inProcess(none, 'm\n');
    expect(b.spawned).toBeGreaterThanOrEqual(1);
    let who: string | undefined;
    try {
      const guess = execFileSync('git', ['var', 'GIT_AUTHOR_IDENT'], { cwd: repo, env: none, stdio: ['ignore', 'pipe', 'ignore'] });
      who = /^(.*) \d+ [+-]\d{4}$/.exec(guess.toString().trim())?.[1];
    } catch {
      // git cannot guess here (no name in the password file, no domain): the agent's name stands in
    }
    expect(raw(none, b.oid).toString()).toContain(`author ${who ?? 'fallback-agent <fallback-agent@harness.invalid>'} `);
    const dated = baseEnv({ GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@example.invalid', GIT_COMMITTER_NAME: 'C', GIT_COMMITTER_EMAIL: 'c@example.invalid', GIT_AUTHOR_DATE: '@1000000000 +0200' });
    const c = await inProcess(dated, 'm\n');
    expect(c.spawned).toBe(1);
    expect(raw(dated, c.oid).toString()).toContain('author A <a@example.invalid> 1000000000 +0200\n');
  });

  it('an include or a per-worktree config goes to git, also when the environment names it', async () => {
    writeFileSync(path.join(root, 'who.inc'), '[user]\n name = Included\n email = inc@example.invalid\n');
    writeFileSync(path.join(home, '.gitconfig'), '[user]\n name = File Name\n email = file@example.invalid\n');
    const included = baseEnv(gitConfigVars([['include.path', path.join(root, 'who.inc')]]));
    const a = await inProcess(included, 'm\n');
    expect(a.spawned).toBe(1);
    expect(raw(included, a.oid).toString()).toContain('author Included <inc@example.invalid>');
    gitIn(baseEnv(), ['config', 'extensions.worktreeConfig', 'true']);
    gitIn(baseEnv(), ['config', '--worktree', 'user.name', 'Worktree Name']);
    const env = baseEnv();
    const b = await inProcess(env, 'm\n');
    expect(b.spawned).toBe(1);
    expect(raw(env, b.oid).toString()).toContain('author Worktree Name <file@example.invalid>');
  });

  it('a zone only the C library reads (a POSIX rule in TZ) goes to git, which stamps it', async () => {
    const rule = 'EST5EDT,M3.2.0,M11.1.0';
    process.env.TZ = rule;
    const env = baseEnv({ TZ: rule, GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@example.invalid', GIT_COMMITTER_NAME: 'C', GIT_COMMITTER_EMAIL: 'c@example.invalid' });
    const got = await inProcess(env, 'm\n');
    expect(got.spawned).toBe(1);
    expect(raw(env, got.oid).toString()).toMatch(/\nauthor A <a@example.invalid> \d+ -0[45]00\n/); // git's clock: EST or EDT, never the +0000 ICU would give
  });

  it('a repo whose config includes another file goes to git, which follows the include', async () => {
    writeFileSync(path.join(root, 'who.inc'), '[user]\n name = Included\n email = inc@example.invalid\n');
    gitIn(baseEnv(), ['config', 'include.path', path.join(root, 'who.inc')]);
    const env = baseEnv();
    const got = await inProcess(env, 'm\n');
    expect(got.spawned).toBe(1);
    expect(raw(env, got.oid).toString()).toContain('author Included <inc@example.invalid>');
  });
});

describe('config files parse as git reads them', () => {
  /** `git config --list -z` of one file: key, then newline and value (absent for a bare key). */
  function gitList(file: string): [string, string | null][] {
    const out = execFileSync('git', ['config', '--file', file, '--list', '-z'], { env: baseEnv() }).toString();
    return out
      .split('\0')
      .filter(Boolean)
      .map((e) => {
        const nl = e.indexOf('\n');
        return nl < 0 ? [e, null] : [e.slice(0, nl), e.slice(nl + 1)];
      });
  }
  const cases: Record<string, string> = {
    plain: '[user]\n\tname = Plain Name\n\temail=plain@example.invalid\n',
    quoting:
      '\uFEFF# comment\r\n[Section "Sub \\"q\\" \\\\ x"]\r\n  Key-2 = a   b\t c  ; trailing\r\n  quoted = " keep  # this ; too " and \\"more\\"\r\n' +
      '  esc = tab\\there\\nnewline\\\\back\n  cont = first \\\n   second\n  bare\n  empty =\n[old.Style]\n  k = v\n[user] name = same line\n',
  };
  it.each(Object.keys(cases))('%s', (name) => {
    const file = path.join(root, `${name}.cfg`);
    writeFileSync(file, cases[name]!);
    expect(parseConfig(cases[name]!)).toEqual(gitList(file));
  });

  it.each([
    ['an unknown escape', '[a]\n k = \\q\n'],
    ['an unclosed quote', '[a]\n k = "open\n'],
    ['junk after a key', '[a]\n k junk\n'],
  ])('answers null where git refuses the file: %s', (_what, text) => {
    const file = path.join(root, 'bad.cfg');
    writeFileSync(file, text);
    expect(() => gitList(file)).toThrow();
    expect(parseConfig(text)).toBeNull();
  });

  it('settings in the environment: keys as git spells them back, in order after the files; null where git refuses them', () => {
    const pairs: [string, string][] = [['Remote.Origin.URL', 'http://h/u.git'], ['http.extraHeader', 'A: 1'], ['http.extraHeader', 'B: 2'], ['a.B.c.D', 'v']];
    const env = { ...baseEnv(), ...gitConfigVars(pairs) };
    const listed = execFileSync('git', ['config', '--list', '--show-scope'], { env, cwd: root }).toString().split('\n').filter((l) => l.startsWith('command\t')).map((l) => l.slice('command\t'.length));
    expect(envConfigEntries(env)?.map(([k, v]) => `${k}=${v}`)).toEqual(listed);
    expect(envConfigEntries({ GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'nodot' })).toBeNull();
    expect(envConfigEntries({ GIT_CONFIG_COUNT: '1' })).toBeNull();
    expect(envConfigEntries({ GIT_CONFIG_COUNT: 'x' })).toBeNull();
  });

  it('answers null for what it does not model: a key before any section, a file that includes another', () => {
    expect(parseConfig('k = v\n')).toBeNull();
    expect(parseConfig('[include]\n path = other\n')).toBeNull();
    expect(parseConfig('[includeIf "gitdir:~/x/"]\n path = other\n')).toBeNull();
  });
});
