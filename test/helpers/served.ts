// A served upstream for tests: a seeded bare repo behind the harness server, clones made
// with a session's credential, and git run as that session. Cleaned up by the caller's list.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { serveSwarm, type UpstreamService } from '../../harness/serve/service.js';
import { gitEnv, tempDir } from './repos.js';

/** git with this credential's environment; async, so the in-process server keeps serving. */
export async function g(cwd: string, creds: Record<string, string>, ...args: string[]) {
  const r = await execa('git', args, { cwd, env: { ...gitEnv(), ...creds }, extendEnv: false, reject: false });
  return { code: r.exitCode ?? -1, out: r.stdout + r.stderr };
}

export async function served(cleanups: (() => Promise<void> | void)[], opts: { allowTestEdits?: boolean; withSuite?: boolean } = {}) {
  const t = tempDir();
  const repo = path.join(t.dir, 'upstream.git');
  const seed = path.join(t.dir, 'seed');
  execFileSync('git', ['init', '-q', '-b', 'main', seed], { env: gitEnv() });
  mkdirSync(path.join(seed, 'current_tasks'));
  writeFileSync(path.join(seed, 'current_tasks/README.md'), 'locks\n');
  if (opts.withSuite) {
    mkdirSync(path.join(seed, 'tests'));
    writeFileSync(path.join(seed, 'tests/a.sh'), 'exit 0\n');
    writeFileSync(path.join(seed, 'tests/a.expected'), 'ok\n');
    writeFileSync(path.join(seed, 'test-oracle.json'), JSON.stringify({ tests: 'tests', match: '*.sh', command: 'sh {abs}' }) + '\n');
  }
  writeFileSync(path.join(seed, 'src.c'), 'int main(){}\n');
  execFileSync('sh', ['-c', 'git add -A && git commit -qm seed && git clone -q --bare . ../upstream.git'], { cwd: seed, env: gitEnv() });
  const s: UpstreamService = await serveSwarm({ repo, stateDir: path.join(t.dir, 'serve'), env: gitEnv(), allowTestEdits: !!opts.allowTestEdits, protect: [], allowHost: [] });
  cleanups.push(() => t.cleanup(), () => s.close());
  const sup = s.supervisorEnv({}) as Record<string, string>;
  const clone = async (name: string, creds: Record<string, string>) => {
    const dir = path.join(t.dir, name);
    const r = await g(t.dir, creds, 'clone', '-q', s.url, dir);
    expect(r.code, r.out).toBe(0);
    return dir;
  };
  return { t, s, repo, sup, clone };
}
