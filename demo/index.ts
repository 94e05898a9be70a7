// The demo project shipped with the harness: "pebble", a small language whose lexer,
// parser, checks and code generator are table-driven, with 51 tasks that each add one
// feature and are each tied to failing tests. `prepareDemo` writes the project as a
// fresh git repo (tasks unsolved) and, beside it, the bank of known solutions that only
// the sim agent reads. `demoStatus` says how far a swarm has got.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageFile } from '../harness/kit/paths.js';
import { Git } from '../harness/kit/git.js';
import { TASKS as ALL_TASKS, type TaskSpec } from './spec/index.js';
import { UsageError } from '../harness/kit/errors.js';
import type { BankEntry } from './solution.js';

export { claimsAt, demoStatus, type DemoStatus } from './status.js';

// Found from the package root: the built CLI runs from dist/, not from this folder.
const HERE = packageFile('demo');
export const DEMO_TEMPLATE = path.join(HERE, 'project');

export interface PreparedDemo {
  /** a git repo on branch main: seed the upstream with `harness init --from <project>` */
  project: string;
  /** known solutions, one <task>.json each; keep it outside every agent's workspace */
  bank: string;
  tasks: string[];
}

export function testId(testName: string): string {
  return `tests/${testName}.peb`;
}

/**
 * Writes `dir/project` (a fresh repo) and `dir/bank`. Both are rewritten from scratch if
 * present: they are generated, and the swarm's work lives in the upstream, not here.
 * `tasks` limits the project to some tasks (for tests); by default it has all of them.
 */
export async function prepareDemo(dir: string, opts: { tasks?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<PreparedDemo> {
  const env = opts.env ?? process.env;
  const TASKS = selectTasks(opts.tasks);
  const project = path.resolve(dir, 'project');
  const bank = path.resolve(dir, 'bank');
  rmSync(project, { recursive: true, force: true });
  rmSync(bank, { recursive: true, force: true });
  mkdirSync(bank, { recursive: true });
  cpSync(DEMO_TEMPLATE, project, { recursive: true });

  for (const t of TASKS) {
    for (const ts of t.tests) {
      writeFileSync(path.join(project, testId(ts.name)), ts.src);
      writeFileSync(path.join(project, `tests/${ts.name}.expected`), ts.expected);
    }
    const entry: BankEntry = { name: t.name, title: t.title, tests: t.tests.map((x) => testId(x.name)), edits: t.edits, files: t.files, regress: t.regress };
    writeFileSync(path.join(bank, `${t.name}.json`), JSON.stringify(entry, null, 2) + '\n');
  }
  const list = TASKS.map((t) => ({ name: t.name, title: t.title, area: t.area, tests: t.tests.map((x) => testId(x.name)), touches: [...new Set(t.edits.map((e) => e.path))] }));
  writeFileSync(path.join(project, 'tasks.json'), JSON.stringify({ tasks: list }, null, 2) + '\n');
  writeFileSync(path.join(project, 'TASKS.md'), tasksMarkdown(list));
  writeFileSync(
    path.join(bank, 'README.md'),
    'Known solutions to the pebble demo tasks, one JSON file per task. Only the sim agent (a simulator) reads them;\n' +
      'they live outside the project so that no agent working in the project can see them.\n',
  );

  const git = new Git(project, {
    ...env,
    GIT_AUTHOR_NAME: 'harness demo',
    GIT_AUTHOR_EMAIL: 'demo@harness.invalid',
    GIT_COMMITTER_NAME: 'harness demo',
    GIT_COMMITTER_EMAIL: 'demo@harness.invalid',
  });
  await git.must(['init', '--quiet', '--initial-branch=main']);
  await git.must(['add', '--all']);
  await git.must(['commit', '--quiet', '--no-verify', '-m', `pebble: the demo project, ${TASKS.length} tasks open\n\nEvery task in tasks.json has failing tests; see TASKS.md.`]);
  return { project, bank, tasks: TASKS.map((t) => t.name) };
}

/** A subset keeps tests small; the demo itself always has every task. */
function selectTasks(names: string[] | undefined): TaskSpec[] {
  if (!names) return ALL_TASKS;
  const unknown = names.filter((n) => !ALL_TASKS.some((t) => t.name === n));
  if (unknown.length) throw new UsageError('UNKNOWN_TASK', `no demo task named ${unknown.join(', ')}`);
  return ALL_TASKS.filter((t) => names.includes(t.name));
}

export const ALL_TASK_NAMES = ALL_TASKS.map((t) => t.name);

function tasksMarkdown(list: { name: string; title: string; area: string; tests: string[]; touches: string[] }[]): string {
  const rows = list.map((t) => `| \`${t.name}\` | ${t.title.replace(/\|/g, '\\|')} | ${t.tests.map((x) => `\`${x}\``).join(' ')} | ${t.touches.join(', ')} |`);
  return [
    '# Tasks',
    '',
    `${list.length} tasks. A task is done when all of its tests pass (\`node tools/status.mjs\` says which).`,
    'Claim a task before you start it: `harness task claim <task>` (see current_tasks/README.md).',
    '',
    '| task | what | tests | shared files it edits |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
