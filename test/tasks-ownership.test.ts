// Only the owner removes a lock, checked after every fetch and rebase. The interleaving is
// made real and exact with a `git` shim on A's PATH: on A's first push it runs, as other
// processes, a forced release of the task and B's claim of it, then lets A's push go on
// (and lose). Real git, real harness processes.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { git, harness, harnessProcess, HARNESS_BIN, makeSwarm, type Swarm } from './helpers/repos.js';

function interleaving(s: Swarm, task: string): { PATH: string } {
  const shim = path.join(s.root, 'shim');
  mkdirSync(shim);
  const c = s.clone('c');
  const b = s.clone('b');
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const steps = path.join(shim, 'interleave.sh');
  writeFileSync(steps, [
    '#!/bin/sh',
    `cd ${c} && HARNESS_AGENT=agent-c node ${HARNESS_BIN} task release ${task} --force --reason "forced in the test" || exit 1`,
    `cd ${b} && HARNESS_AGENT=agent-b HARNESS_SESSION=1 node ${HARNESS_BIN} task claim ${task} || exit 1`,
    '',
  ].join('\n'));
  writeFileSync(path.join(shim, 'git'), [
    '#!/bin/sh',
    `if [ "$1" = push ] && mkdir "${shim}/fired" 2>/dev/null; then sh ${steps} > ${shim}/interleave.log 2>&1 || touch ${shim}/failed; fi`,
    `exec ${realGit} "$@"`,
    '',
  ].join('\n'));
  chmodSync(path.join(shim, 'git'), 0o755);
  return { PATH: `${shim}:${process.env.PATH}` };
}

const A = { HARNESS_AGENT: 'agent-a', HARNESS_SESSION: '1' };

describe('only the owner removes a lock', () => {
  it('A claims x; x is force-released; B claims x; A runs task done x -m: exit 3 naming B, B\'s lock intact, A\'s commit kept', async ({ swarm: s }) => {
    const a = s.clone('a');
    expect((await harness(a, ['task', 'claim', 'x'], A)).code).toBe(0);
    writeFileSync(path.join(a, 'work.txt'), 'the work\n');
    git(a, 'add', 'work.txt');
    const env = interleaving(s, 'x');
    const r = await harnessProcess(a, ['task', 'done', 'x', '-m', 'do x'], { ...A, ...env });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/held by agent-b.*kept locally/);
    expect(r.stderr).toMatch(/\[TASK_HELD\]/);
    expect(git(s.upstream, 'show', 'main:current_tasks/x.txt')).toMatch(/^Agent: agent-b$/m);
    expect(git(a, 'log', '-1', '--format=%s')).toBe('do x');
    expect(git(a, 'show', 'HEAD:work.txt')).toBe('the work');
    expect(() => git(s.upstream, 'cat-file', '-e', `${git(a, 'rev-parse', 'HEAD')}^{commit}`)).toThrow(); // never pushed
  }, 60_000);

  it('the same interleaving with task release and task done without -m: exit 3, B\'s lock intact', async () => {
    for (const cmd of [['release', 'y'], ['done', 'y']]) {
      const s = await makeSwarm();
      try {
        const a = s.clone('a');
        expect((await harness(a, ['task', 'claim', 'y'], A)).code).toBe(0);
        const r = await harnessProcess(a, ['task', ...cmd], { ...A, ...interleaving(s, 'y') });
        expect(r.code, `${cmd[0]}: ${r.stderr}`).toBe(3);
        expect(r.stderr).toMatch(/agent-b/);
        expect(git(s.upstream, 'show', 'main:current_tasks/y.txt')).toMatch(/^Agent: agent-b$/m);
      } finally {
        s.cleanup();
      }
    }
  }, 90_000);
});
