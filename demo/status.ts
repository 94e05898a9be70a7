// How far a swarm has got on the demo, read from committed history, never from a
// working tree: the tree of `ref` (default: main) is checked out into a temp folder
// and the project's own tools/status.mjs runs every test there in one process, judged
// like test-oracle judges them. A task is done when all its tests pass. Results are
// cached per commit, so asking again while upstream has not moved costs one rev-parse.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CheckFailedError, UsageError } from '../harness/kit/errors.js';
import { Git } from '../harness/kit/git.js';

const run = promisify(execFile);

export interface DemoStatus {
  commit: string;
  tasksDone: number;
  tasksTotal: number;
  /** tasks whose tests do not all pass */
  openTasks: string[];
  testsPassed: number;
  testsTotal: number;
  /** testsPassed / testsTotal, 0..1 */
  passRate: number;
  /** lock files in current_tasks/ at that commit */
  claims: string[];
  /** every task done and every test (core ones too) passing */
  allDone: boolean;
}

interface StatusJson {
  tests: Record<string, { pass: boolean; reason?: string }>;
  tasks: Record<string, boolean>;
  passed: number;
  total: number;
}

const cache = new Map<string, DemoStatus>();

/** `repoDir`: the bare upstream or any clone; `ref`: the branch or commit to judge. */
export async function demoStatus(repoDir: string, opts: { ref?: string; env?: NodeJS.ProcessEnv } = {}): Promise<DemoStatus> {
  const env = opts.env ?? process.env;
  const git = new Git(repoDir, env);
  const ref = opts.ref ?? 'main';
  const commit = await git.revParse(ref);
  if (!commit) throw new UsageError('NO_SUCH_REF', `${repoDir} has no commit "${ref}"; is it the demo's upstream?`);
  const key = `${path.resolve(repoDir)}\0${commit}`;
  const hit = cache.get(key);
  if (hit) return hit;

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'demo-status-'));
  try {
    const index = path.join(tmp, '.index');
    const tree = path.join(tmp, 'tree');
    await git.must(['read-tree', commit], { env: { GIT_INDEX_FILE: index } });
    // A throwaway index and work tree: works the same on a bare upstream and on a clone.
    mkdirSync(tree);
    await git.must(['--work-tree', tree, 'checkout-index', '--all', '--force'], { env: { GIT_INDEX_FILE: index } });
    const claims = (await git.must(['ls-tree', '--name-only', commit, 'current_tasks/']))
      .split('\n')
      .filter((f) => f.endsWith('.txt'))
      .map((f) => path.basename(f, '.txt'));
    let parsed: StatusJson;
    try {
      const { stdout } = await run(process.execPath, ['tools/status.mjs', '--json'], { cwd: tree, timeout: 60_000, maxBuffer: 16 << 20 });
      parsed = JSON.parse(stdout) as StatusJson;
    } catch (e) {
      throw new CheckFailedError('DEMO_STATUS', `could not judge ${commit.slice(0, 7)}: tools/status.mjs failed (${(e as Error).message.split('\n')[0]})`);
    }
    const tasks = Object.entries(parsed.tasks);
    const status: DemoStatus = {
      commit,
      tasksDone: tasks.filter(([, done]) => done).length,
      tasksTotal: tasks.length,
      openTasks: tasks.filter(([, done]) => !done).map(([t]) => t),
      testsPassed: parsed.passed,
      testsTotal: parsed.total,
      passRate: parsed.total ? parsed.passed / parsed.total : 0,
      claims,
      allDone: tasks.length > 0 && tasks.every(([, d]) => d) && parsed.passed === parsed.total,
    };
    cache.set(key, status);
    return status;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
