// The git seam against the real git binary: a timeout on every call that kills git and
// everything it started, separate limits for local and network commands, ssh that never
// prompts, and the errors a user meets when git or the folder is missing.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, UsageError } from '../harness/kit/errors.js';
import { Git, GitTimeoutError, gitProcessCount, gitSubcommand, resolveTimeouts } from '../harness/kit/git.js';
import { alive, waitUntil } from './helpers/poll.js';
import { git, gitEnv, tempDir } from './helpers/repos.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('git-seam-'));
  git(dir, 'init', '-q');
});
afterEach(() => cleanup());

describe('git seam', () => {
  it('kills a local command past its limit, with the shell and sleep it started', async () => {
    const pidFile = path.join(dir, 'sleeper.pid');
    const g = new Git(dir, gitEnv());
    // A git alias runs through a shell: git -> sh -> sleep, three processes deep.
    const slow = ['-c', `alias.slow=!sh -c 'echo $$ > ${pidFile}; exec sleep 60'`, 'slow'];
    const err = await g.run(slow, { timeoutMs: 800 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitTimeoutError);
    const t = err as GitTimeoutError;
    expect(t.code).toBe('GIT_TIMEOUT');
    expect(t.exitCode).toBe(EXIT.env);
    expect(t.kind).toBe('local');
    expect(t.message).toMatch(/git slow in .* took longer than 800ms and was killed; .*HARNESS_GIT_TIMEOUT_LOCAL=/);
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    expect(sleeper).toBeGreaterThan(0);
    expect(await waitUntil(() => !alive(sleeper))).toBe(true);
  });

  it('gives network commands their own limit: a remote that never answers (ext:: transport)', async () => {
    const pidFile = path.join(dir, 'remote.pid');
    const env = gitEnv({ HARNESS_GIT_TIMEOUT_NETWORK: '700ms', HARNESS_GIT_TIMEOUT_LOCAL: '1m' });
    const g = new Git(dir, env);
    expect(g.timeouts).toEqual({ localMs: 60_000, networkMs: 700 });
    const hang = path.join(dir, 'hang.sh'); // ext:: splits its command on spaces: a script keeps it simple
    writeFileSync(hang, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 60\n`, { mode: 0o755 });
    const remote = `ext::${hang}`;
    const err = await g.run(['-c', 'protocol.ext.allow=always', 'fetch', remote, 'main']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitTimeoutError);
    expect((err as GitTimeoutError).kind).toBe('network');
    expect((err as GitTimeoutError).message).toMatch(/git fetch .*700ms.*check that the upstream is reachable.*HARNESS_GIT_TIMEOUT_NETWORK=1.4s/);
    const helper = Number(readFileSync(pidFile, 'utf8'));
    expect(await waitUntil(() => !alive(helper))).toBe(true);
    // The same env's local limit still lets a local command finish.
    expect((await g.run(['rev-parse', '--git-dir'])).stdout.trim()).toBe('.git');
  });

  it('refuses a malformed limit in the environment with one clear line (exit 2)', () => {
    expect(() => new Git(dir, gitEnv({ HARNESS_GIT_TIMEOUT_LOCAL: 'soon' }))).toThrow(UsageError);
    expect(() => new Git(dir, gitEnv({ HARNESS_GIT_TIMEOUT_NETWORK: '0s' }))).toThrow(/HARNESS_GIT_TIMEOUT_NETWORK: must be more than 0/);
    expect(resolveTimeouts({}, { localMs: 5 })).toEqual({ localMs: 5, networkMs: 600_000 });
  });

  it('classifies commands past git options', () => {
    expect(gitSubcommand(['-c', 'a=b', '-C', 'x', 'fetch', 'origin'])).toBe('fetch');
    expect(gitSubcommand(['--no-pager', 'log'])).toBe('log');
  });

  it('runs ssh in batch mode unless the user chose their own ssh command', async () => {
    const show = ['-c', 'alias.show-ssh=!printf %s "$GIT_SSH_COMMAND"', 'show-ssh'];
    expect((await new Git(dir, gitEnv()).run(show)).stdout).toBe('ssh -o BatchMode=yes');
    expect((await new Git(dir, gitEnv({ GIT_SSH_COMMAND: 'ssh -i key -o BatchMode=yes' })).run(show)).stdout).toBe('ssh -i key -o BatchMode=yes');
  });

  it('returns a failing exit instead of throwing, keeps binary output, feeds stdin (empty too)', async () => {
    const g = new Git(dir, gitEnv());
    const before = gitProcessCount();
    const bad = await g.run(['rev-parse', '--verify', 'nope']);
    expect(bad.code).toBe(128);
    expect(bad.stderr).toMatch(/fatal/);
    expect(await g.must(['hash-object', '-w', '--stdin'], { input: '' })).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    const bytes = Buffer.from([0, 255, 10, 13, 128]);
    const sha = await g.must(['hash-object', '-w', '--stdin'], { input: bytes });
    expect((await g.run(['cat-file', 'blob', sha])).raw.equals(bytes)).toBe(true);
    expect(gitProcessCount() - before).toBe(4);
  });

  it('says which is missing: the folder (exit 2) or git itself (exit 4)', async () => {
    const gone = path.join(dir, 'gone');
    expect(existsSync(gone)).toBe(false);
    await expect(new Git(gone, gitEnv()).run(['status'])).rejects.toMatchObject({ code: 'NO_SUCH_DIR', exitCode: EXIT.usage });
    await expect(new Git(dir, { PATH: '/nonexistent' }).run(['status'])).rejects.toMatchObject({ code: 'GIT_MISSING', exitCode: EXIT.env });
  });
});
