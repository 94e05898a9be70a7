// How far a swarm has got on the demo, read from committed history, never from a
// working tree: the tree of `ref` (default: main) is checked out into a temp folder
// and the project's own tools/status.mjs runs every test there in one process, judged
// like test-oracle judges them. A task is done when all its tests pass. Results are
// cached per commit, so asking again while upstream has not moved costs one rev-parse,
// and the tests' verdict per code tree, so a commit that only claims or releases a task
// (most of a swarm's commits) costs two ls-tree calls, not a checkout and a test run.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CheckFailedError, UsageError } from '../harness/kit/errors.js';
import { Git } from '../harness/kit/git.js';
import { LOCK_DIR } from '../harness/kit/task-name.js';
import { contentKey } from '../test-oracle/index.js';

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

const byCommit = new Map<string, DemoStatus>();
/** Test results per code tree: a commit that only moves lock files is judged once. */
const judged = new Map<string, Promise<StatusJson>>();

/** The lock files in current_tasks/ at `commit`: one git call. */
export async function claimsAt(git: Git, commit: string): Promise<string[]> {
  return (await git.must(['ls-tree', '--name-only', commit, `${LOCK_DIR}/`]))
    .split('\n')
    .filter((f) => f.endsWith('.txt'))
    .map((f) => path.basename(f, '.txt'));
}

/** `repoDir`: the bare upstream or any clone; `ref`: the branch or commit to judge. */
export async function demoStatus(repoDir: string, opts: { ref?: string; env?: NodeJS.ProcessEnv } = {}): Promise<DemoStatus> {
  const env = opts.env ?? process.env;
  const git = new Git(repoDir, env);
  const ref = opts.ref ?? 'main';
  const commit = await git.revParse(ref);
  if (!commit) throw new UsageError('NO_SUCH_REF', `${repoDir} has no commit "${ref}"; is it the demo's upstream?`);
  const at = `${path.resolve(repoDir)}\0${commit}`;
  const hit = byCommit.get(at);
  if (hit) return hit;
  const [claims, code] = await Promise.all([claimsAt(git, commit), codeKey(git, commit)]);
  const key = `${path.resolve(repoDir)}\0${code}`;
  if (!judged.has(key)) judged.set(key, judge(git, commit).catch((e) => { judged.delete(key); throw e; }));
  const parsed = await judged.get(key)!;
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
  byCommit.set(at, status);
  return status;
}

/** What the tests can see (the gate's rule: the root tree without current_tasks/). One git call. */
async function codeKey(git: Git, commit: string): Promise<string> {
  return contentKey(commit, await git.must(['ls-tree', commit]), [LOCK_DIR]);
}

/** Runs every test of `commit` in one process (the project's tools/status.mjs) in a throwaway checkout. */
async function judge(git: Git, commit: string): Promise<StatusJson> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'demo-status-'));
  try {
    const index = path.join(tmp, '.index');
    const tree = path.join(tmp, 'tree');
    await git.must(['read-tree', commit], { env: { GIT_INDEX_FILE: index } });
    // A throwaway index and work tree: works the same on a bare upstream and on a clone.
    mkdirSync(tree);
    await git.must(['--work-tree', tree, 'checkout-index', '--all', '--force'], { env: { GIT_INDEX_FILE: index } });
    try {
      const { stdout } = await run(process.execPath, ['tools/status.mjs', '--json'], { cwd: tree, timeout: 60_000, maxBuffer: 16 << 20 });
      return JSON.parse(stdout) as StatusJson;
    } catch (e) {
      throw new CheckFailedError('DEMO_STATUS', `could not judge ${commit.slice(0, 7)}: tools/status.mjs failed (${(e as Error).message.split('\n')[0]})`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
