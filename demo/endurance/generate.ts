// The endurance project: a generated project with hundreds of tasks, for the endurance
// benchmark (bench/endurance.ts). Its program is awk (one process per test costs about a
// millisecond, so a full gate over a thousand tests stays affordable): `src/main.awk`
// reads lines `NAME A B` and prints NAME(A, B); each task adds one function as one line
// in one of the shared tables `src/table-NN.awk`, right below the table's anchor, so two
// tasks of one table that land at once really conflict under git. Each task has one test
// (`tests/NAME.in` and `.expected`), failing until the task is solved. The output has
// the demo's shape (`prepareDemo`): `dir/project` (a fresh repo on main with tasks.json,
// test-oracle.json and tools/status.mjs, which the sim agent reads) and `dir/bank`.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mulberry32, sampleHash32 } from '../../harness/kit/hash.js';
import { UsageError } from '../../harness/kit/errors.js';
import { Git } from '../../harness/kit/git.js';
import type { PreparedDemo } from '../index.js';
import type { BankEntry } from '../solution.js';
import type { Edit } from '../spec/types.js';
import { MAIN_AWK, README, RUN_SH, STATUS_LIB_MJS, STATUS_MJS, ALL_AWK } from './files.js';

export interface EnduranceSpec {
  /** how many tasks (one function and one test each) */
  tasks: number;
  /** how many shared tables they are spread over; fewer tables, more conflicts */
  tables: number;
  seed: string;
}

export const MAX_TASKS = 9999;

/** Pure: a task's formula, its wrong twin (for --sim-regress) and its test, from the seed. */
export interface GenTask {
  name: string;
  table: number;
  /** the constants of (a * k1 + b * k2 + k3) % m */
  k: [number, number, number, number];
  inputs: [number, number][];
}

export function checkSpec(s: EnduranceSpec): EnduranceSpec {
  const errs: string[] = [];
  if (!Number.isInteger(s.tasks) || s.tasks < 1 || s.tasks > MAX_TASKS) errs.push(`tasks must be a whole number from 1 to ${MAX_TASKS} (got ${s.tasks})`);
  if (!Number.isInteger(s.tables) || s.tables < 1 || s.tables > 100) errs.push(`tables must be a whole number from 1 to 100 (got ${s.tables})`);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(s.seed)) errs.push(`seed must be 1-64 letters, digits, dots, dashes or underscores (got ${JSON.stringify(s.seed)})`);
  if (errs.length) throw new UsageError('BAD_ENDURANCE_SPEC', `endurance project: ${errs.join('; ')}`);
  return s;
}

export function planTasks(spec: EnduranceSpec): GenTask[] {
  const s = checkSpec(spec);
  const rnd = mulberry32(sampleHash32('endurance-project', s.seed));
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  return Array.from({ length: s.tasks }, (_, i) => ({
    name: taskName(i + 1),
    table: i % s.tables,
    k: [int(1, 97), int(1, 97), int(0, 500), int(101, 997)] as [number, number, number, number],
    inputs: [[int(0, 999), int(0, 999)], [int(0, 999), int(0, 999)], [0, int(1, 50)]],
  }));
}

export const taskName = (i: number) => `f${String(i).padStart(4, '0')}`;
export const tableFile = (t: number) => `src/table-${String(t).padStart(2, '0')}.awk`;
const ANCHOR = '# @functions';

export function formula(k: GenTask['k']): string {
  return `(a * ${k[0]} + b * ${k[1]} + ${k[2]}) % ${k[3]}`;
}

export function evaluate(k: GenTask['k'], a: number, b: number): number {
  return (a * k[0] + b * k[1] + k[2]) % k[3];
}

function edit(t: GenTask, k: GenTask['k']): Edit {
  const key = `if (name == "${t.name}")`;
  return { path: tableFile(t.table), anchor: ANCHOR, key, line: `  ${key} return ${formula(k)}` };
}

export function bankEntry(t: GenTask): BankEntry {
  const wrong: GenTask['k'] = [t.k[0], t.k[1], t.k[2] + 1, t.k[3]];
  return { name: t.name, title: `${t.name}(a, b) = ${formula(t.k)}`, tests: [`tests/${t.name}.in`], edits: [edit(t, t.k)], regress: [edit(t, wrong)] };
}

function tableSource(n: number): string {
  return [`# Table ${n}: one function per line, each added by a task (see TASKS.md).`, `function table_${n}(name, a, b) {`, `  ${ANCHOR}`, '  return ""', '}', ''].join('\n');
}

/** Writes `dir/project` (a fresh repo, tasks unsolved) and `dir/bank`, both from scratch. */
export async function generateEnduranceProject(dir: string, spec: EnduranceSpec, env: NodeJS.ProcessEnv = process.env): Promise<PreparedDemo> {
  const tasks = planTasks(spec);
  const project = path.resolve(dir, 'project');
  const bank = path.resolve(dir, 'bank');
  for (const d of [project, bank]) rmSync(d, { recursive: true, force: true });
  for (const d of ['src', 'tests', 'tools']) mkdirSync(path.join(project, d), { recursive: true });
  mkdirSync(bank, { recursive: true });
  const tables = Array.from({ length: spec.tables }, (_, i) => tableFile(i));
  const w = (rel: string, text: string) => writeFileSync(path.join(project, rel), text);
  w('src/main.awk', MAIN_AWK(spec.tables));
  tables.forEach((f, i) => w(f, tableSource(i)));
  w('tools/run.sh', RUN_SH(tables));
  w('tools/all.awk', ALL_AWK);
  w('tools/status-lib.mjs', STATUS_LIB_MJS);
  w('tools/status.mjs', STATUS_MJS);
  w('README.md', README(spec.tasks, spec.tables));
  const program = `-f src/main.awk ${tables.map((f) => `-f ${f}`).join(' ')}`;
  // batch: every test of a batch in one awk process, its output marked by tools/all.awk
  w('test-oracle.json', JSON.stringify({ tests: 'tests', match: '*.in', command: `awk ${program} {test}`, batch: `awk -f tools/all.awk ${program} {tests}`, judge: 'stdout', expectExit: null, timeout: 10 }, null, 2) + '\n');
  for (const t of tasks) {
    w(`tests/${t.name}.in`, t.inputs.map(([a, b]) => `${t.name} ${a} ${b}\n`).join(''));
    w(`tests/${t.name}.expected`, t.inputs.map(([a, b]) => `${evaluate(t.k, a, b)}\n`).join(''));
    writeFileSync(path.join(bank, `${t.name}.json`), JSON.stringify(bankEntry(t), null, 2) + '\n');
  }
  const list = tasks.map((t) => ({ name: t.name, title: bankEntry(t).title, area: `table-${t.table}`, tests: [`tests/${t.name}.in`], touches: [tableFile(t.table)] }));
  w('tasks.json', JSON.stringify({ tasks: list }) + '\n');
  w('TASKS.md', `# Tasks\n\n${list.length} tasks: each adds one function to a table in src/ and makes tests/NAME.in print tests/NAME.expected.\nA task is done when its test passes (\`node tools/status.mjs\`). Claim a task first: \`harness task claim NAME\`.\n`);
  writeFileSync(path.join(bank, 'README.md'), 'Known solutions of the endurance project, one JSON file per task. Only the sim agent (a simulator) reads them.\n');
  const git = new Git(project, { ...env, GIT_AUTHOR_NAME: 'harness bench', GIT_AUTHOR_EMAIL: 'bench@harness.invalid', GIT_COMMITTER_NAME: 'harness bench', GIT_COMMITTER_EMAIL: 'bench@harness.invalid' });
  await git.must(['init', '--quiet', '--initial-branch=main']);
  await git.must(['add', '--all']);
  await git.must(['commit', '--quiet', '--no-verify', '-m', `endurance project: ${tasks.length} tasks open over ${spec.tables} tables (seed ${spec.seed})`]);
  return { project, bank, tasks: tasks.map((t) => t.name) };
}
