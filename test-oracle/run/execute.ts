// Runs the selected tests of a suite in parallel and judges each one: one process per
// test, or per batch when the suite has a "batch" command (core/batch.ts). The thin I/O
// layer around the launcher and the pure `judge`.
import { appendFileSync, closeSync, constants, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { batchesOf, readBatch } from '../core/batch.js';
import { dirname, join } from 'node:path';
import { judge, type JudgeInput } from '../core/judge.js';
import { directArgv, fillTemplate, templateUses } from '../core/shell.js';
import type { TestOutcome } from '../core/types.js';
import { Spawner, type RunOneResult } from '../exec/spawner.js';
import { readExpected, testName } from '../suite/discover.js';
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
  /** a line worth showing: tests a batch left to run one by one, and why */
  onNote?: (line: string) => void;
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
  const finish = (o2: TestOutcome): TestOutcome => {
    o.onDone?.(o2, ++done);
    return o2;
  };
  const indexOf = new Map(o.ids.map((id, i) => [id, i]));
  const runOne = async (id: string): Promise<TestOutcome | undefined> => {
    const index = indexOf.get(id)!;
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
    const verdict = judgeRun(s, id, r, fileOutput(logPath, r.headerBytes, separateStderr), o.timeoutSec);
    if (separateStderr) foldStderr(logPath);
    if (verdict.result !== 'pass') {
      appendFileSync(logPath, verdictLine(verdict, ` (${Math.round(r.ms)}ms)`));
    } else if (tmp) rmSync(tmp, { recursive: true, force: true });
    return finish({ id, result: verdict.result, reason: verdict.reason, ms: r.ms, log: `${o.runDirShown}/${logRel}` });
  };
  try {
    // Everything is queued at once; the launcher keeps `jobs` running and we judge each
    // test (or batch) as it comes back.
    const all = s.batch
      ? batchesOf(o.ids, o.jobs).map(async (ids, k) => {
          const b = await runBatch({ ...o, batch: s.batch!, ids, k, spawner, ensureDir });
          if (b.why) o.onNote?.(`batch ${k + 1}: ${ids.length - b.judged.length} of its ${ids.length} tests ran one by one: ${b.why}`);
          const known = new Set(b.judged.map((x) => x.id));
          return [...b.judged.map(finish), ...(await Promise.all(ids.filter((id) => !known.has(id)).map(runOne)))];
        })
      : o.ids.map(async (id) => [await runOne(id)]);
    const byId = new Map((await Promise.all(all)).flat().filter((x): x is TestOutcome => x !== undefined).map((x) => [x.id, x]));
    return o.ids.map((id) => byId.get(id)).filter((x): x is TestOutcome => x !== undefined);
  } finally {
    spawner.close();
  }
}

/** One batch: its tests' outputs split by marker into their own logs and judged; the rest named, for running one by one. */
async function runBatch(b: ExecuteOptions & { batch: string; k: number; spawner: Spawner; ensureDir: (d: string) => void }): Promise<{ judged: TestOutcome[]; why?: string }> {
  const s = b.suite;
  const dir = join(b.runDir, 'batch');
  b.ensureDir(dir);
  const command = fillTemplate(b.batch, { tests: b.ids, root: s.root, tool: s.tool });
  const out = join(dir, `${b.k + 1}.out`);
  const r = await b.spawner.run({
    argv: directArgv(command),
    command,
    cwd: s.root,
    env: {},
    timeoutMs: b.timeoutSec * 1000,
    logPath: out,
    stderrPath: join(dir, `${b.k + 1}.err`),
    header: '',
  });
  if (r.cancelled) return { judged: [] };
  const how = r.spawnError ? `could not start (${r.spawnError})` : r.timedOut ? `ran past the timeout (${b.timeoutSec}s for the whole batch)` : r.signal ? `was killed by ${r.signal}` : `exited ${r.code}`;
  const reading = readBatch(readOrNull(out) ?? '', b.ids, { clean: !r.spawnError && !r.timedOut && !r.signal && r.code === 0, how });
  const judged: TestOutcome[] = [];
  const ms = r.ms / b.ids.length;
  for (const [id, text] of reading.outputs) {
    const logRel = `logs/${id}.log`;
    const logPath = join(b.runDir, logRel);
    b.ensureDir(dirname(logPath));
    // Judged from memory, and each log written once: a batch of thousands of tests is
    // otherwise mostly file operations.
    const verdict = judgeRun(s, id, { code: r.code, signal: null, timedOut: false, ms, headerBytes: 0 }, memoryOutput(text), b.timeoutSec);
    const header = `$ ${fillTemplate(b.batch, { tests: [id], root: s.root, tool: s.tool })}\n# ran in batch ${b.k + 1} of ${b.ids.length} tests; its stderr: ${b.runDirShown}/batch/${b.k + 1}.err\n`;
    rewriteFile(logPath, header + text + (verdict.result === 'pass' ? '' : verdictLine(verdict, '')));
    judged.push({ id, result: verdict.result, reason: verdict.reason, ms, log: `${b.runDirShown}/${logRel}` });
  }
  return { judged, ...(reading.why ? { why: `the batch ${reading.why}` } : {}) };
}

/** A failed test's log ends with its verdict; `took` is how long it ran, where that is its own. */
function verdictLine(verdict: { result: string; reason: string }, took: string): string {
  return `\n[test-oracle] ${verdict.result.toUpperCase()}: ${verdict.reason}${took}\n`;
}

/** What judging reads of a test's output: as much as can differ from the expected, and a tail. */
interface OutputView {
  head(maxBytes: number): string;
  tail(): string;
}

function fileOutput(logPath: string, headerBytes: number, separateStderr: boolean): OutputView {
  return {
    head: (max) => readSlice(logPath, headerBytes, max),
    tail: () => (separateStderr && readTail(logPath + '.stderr', 0)) || readTail(logPath, headerBytes),
  };
}

/** A batch's test output, already in memory whole: nothing to bound. */
function memoryOutput(text: string): OutputView {
  return { head: () => text, tail: () => text.slice(-TAIL) };
}

/** Reads only what judging needs: the expected file, as much output as can differ, a tail. */
function judgeRun(s: SuiteConfig, id: string, r: RunOneResult, out: OutputView, timeoutSec: number) {
  const input: JudgeInput = {
    judge: s.judge,
    expectExit: s.expectExit,
    exit: { code: r.code, signal: r.signal },
    timedOut: r.timedOut,
    timeoutSec,
    spawnError: r.spawnError,
  };
  if (s.judge !== 'exit' && !r.timedOut && !r.spawnError) {
    const expected = readExpected(s, id);
    input.expectedPath = expected.path;
    input.expected = expected.text;
    if (input.expected !== null) input.actual = out.head(Buffer.byteLength(input.expected) + READ_MARGIN);
  }
  const verdict = judge(input);
  if (verdict.result === 'pass' || r.timedOut || r.spawnError) return verdict;
  return judge({ ...input, tail: out.tail() });
}

/**
 * Overwrites in place, then cuts to length: ext4 flushes a file truncated to zero and written
 * again when it is closed (auto_da_alloc), which made writing a batch's logs 10x slower.
 */
function rewriteFile(p: string, text: string): void {
  const buf = Buffer.from(text);
  const fd = openSync(p, constants.O_WRONLY | constants.O_CREAT, 0o644);
  try {
    writeSync(fd, buf, 0, buf.length, 0);
    ftruncateSync(fd, buf.length);
  } finally {
    closeSync(fd);
  }
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
