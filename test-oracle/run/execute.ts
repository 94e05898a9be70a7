// Runs the selected tests of a suite in parallel and judges each one. The thin I/O
// layer around `runOne` and the pure `judge`.
import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, truncateSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { judge, type JudgeInput } from '../core/judge.js';
import { directArgv, fillTemplate, templateUses } from '../core/shell.js';
import type { TestOutcome } from '../core/types.js';
import { Spawner, type RunOneResult } from '../exec/spawner.js';
import { expectedPathFor, testName } from '../suite/discover.js';
import type { SuiteConfig } from '../suite/config.js';

export interface ExecuteOptions {
  suite: SuiteConfig;
  ids: readonly string[];
  jobs: number;
  timeoutSec: number;
  /** absolute folder for this run's logs */
  runDir: string;
  /** how log paths are shown: runDir as seen from where the user stands */
  runDirShown: string;
  env: NodeJS.ProcessEnv;
  onDone?: (o: TestOutcome, done: number) => void;
}

/** Bytes of actual output read beyond the expected length: enough to show a difference. */
const READ_MARGIN = 64 * 1024;
const TAIL = 4096;

export async function executeTests(o: ExecuteOptions): Promise<TestOutcome[]> {
  const s = o.suite;
  const madeDirs = new Set<string>();
  const ensureDir = (d: string) => {
    if (madeDirs.has(d)) return;
    mkdirSync(d, { recursive: true });
    madeDirs.add(d);
  };
  // `cwd: "tmp"`: each test starts in its own scratch folder, so files it writes never
  // land in the work tree; paths in the command are then absolute to still resolve.
  const inTmp = s.cwd === 'tmp';
  const usesTmp = inTmp || templateUses(s.command, 'tmp');
  if (usesTmp) ensureDir(join(o.runDir, 'tmp'));
  const separateStderr = s.judge === 'stdout';
  const toolEnv = s.tool ? { TEST_ORACLE_TOOL: s.tool } : {};
  const spawner = new Spawner({ ...o.env, ...s.env, ...toolEnv, TEST_ORACLE_ROOT: s.root }, o.jobs);
  let done = 0;
  try {
    // Everything is queued at once; the launcher keeps `jobs` running and we judge each
    // test as it comes back.
    const all = o.ids.map(async (id, index): Promise<TestOutcome | undefined> => {
      const logRel = `logs/${id}.log`;
      const logPath = join(o.runDir, logRel);
      ensureDir(dirname(logPath));
      const tmp = usesTmp ? join(o.runDir, 'tmp', String(index)) : undefined;
      // A failed test's scratch folder is kept for inspection until the next run.
      if (tmp && existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
      const command = fillTemplate(s.command, {
        test: inTmp ? join(s.root, id) : id,
        abs: join(s.root, id),
        id,
        dir: inTmp ? join(s.root, dirname(id)) : dirname(id),
        name: testName(s, id),
        tmp,
        root: s.root,
        tool: s.tool,
      });
      const r = await spawner.run({
        argv: directArgv(command),
        command,
        cwd: inTmp ? tmp! : s.root,
        env: { TEST_ORACLE_TEST: id, ...(tmp ? { TEST_ORACLE_TMP: tmp } : {}) },
        timeoutMs: o.timeoutSec * 1000,
        logPath,
        stderrPath: separateStderr ? logPath + '.stderr' : undefined,
        header: `$ ${command}\n`,
        mkdir: tmp,
      });
      if (r.cancelled) return undefined;
      const verdict = judgeRun(s, id, r, logPath, o.timeoutSec, separateStderr);
      if (verdict.result !== 'pass') {
        appendFileSync(logPath, `\n[test-oracle] ${verdict.result.toUpperCase()}: ${verdict.reason} (${Math.round(r.ms)}ms)\n`);
      } else if (tmp) rmSync(tmp, { recursive: true, force: true });
      const outcome: TestOutcome = { id, result: verdict.result, reason: verdict.reason, ms: r.ms, log: `${o.runDirShown}/${logRel}` };
      o.onDone?.(outcome, ++done);
      return outcome;
    });
    return (await Promise.all(all)).filter((x): x is TestOutcome => x !== undefined);
  } finally {
    spawner.close();
  }
}

/** Reads only what judging needs: the expected file, as much output as can differ, a tail. */
function judgeRun(s: SuiteConfig, id: string, r: RunOneResult, logPath: string, timeoutSec: number, separateStderr: boolean) {
  const input: JudgeInput = {
    judge: s.judge,
    expectExit: s.expectExit,
    exit: { code: r.code, signal: r.signal },
    timedOut: r.timedOut,
    timeoutSec,
    spawnError: r.spawnError,
  };
  if (s.judge !== 'exit' && !r.timedOut && !r.spawnError) {
    const expectedPath = expectedPathFor(s, id);
    input.expectedPath = expectedPath;
    input.expected = readOrNull(join(s.root, expectedPath));
    if (input.expected !== null) input.actual = readSlice(logPath, r.headerBytes, Buffer.byteLength(input.expected) + READ_MARGIN);
  }
  let verdict = judge(input);
  if (verdict.result !== 'pass' && !r.timedOut && !r.spawnError) {
    const tail = separateStderr ? readTail(logPath + '.stderr', 0) || readTail(logPath, r.headerBytes) : readTail(logPath, r.headerBytes);
    verdict = judge({ ...input, tail });
  }
  if (separateStderr) foldStderr(logPath);
  return verdict;
}

function readOrNull(p: string): string | null {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

function readSlice(p: string, from: number, max: number): string {
  const fd = openSync(p, 'r');
  try {
    const size = fstatSync(fd).size;
    const n = Math.max(0, Math.min(size - from, max));
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, from);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function readTail(p: string, min: number): string {
  try {
    const fd = openSync(p, 'r');
    const size = fstatSync(fd).size;
    closeSync(fd);
    const from = Math.max(min, size - TAIL);
    return readSlice(p, from, size - from);
  } catch {
    return '';
  }
}

/** One log per test: stderr, kept apart while stdout was judged, goes after stdout. */
function foldStderr(logPath: string): void {
  const errPath = logPath + '.stderr';
  try {
    const fd = openSync(errPath, 'r');
    const size = fstatSync(fd).size;
    closeSync(fd);
    if (size > 0) {
      appendFileSync(logPath, '\n[test-oracle] stderr:\n');
      appendFileSync(logPath, readFileSync(errPath));
      // Emptied, not deleted: next run reuses the file (creating files is the slow part).
      truncateSync(errPath);
    }
  } catch {
    // Nothing was written to stderr's file; nothing to fold.
  }
}
