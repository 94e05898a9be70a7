// The endurance project's fixed files, as text. `tools/status.mjs` runs every test in ONE
// awk process (tools/all.awk marks where each test's output starts) with the program files
// named in test-oracle.json, and judges each output like test-oracle's stdout judge.

export const MAIN_AWK = (tables: number) =>
  [
    '# The program: each input line is `NAME A B`; it prints NAME(A, B).',
    '# Functions live in src/table-NN.awk, one line each; a name nobody defined is an error.',
    '# Function fN lives in table (N - 1) % TABLES: only that table is asked, so a lookup',
    '# costs the same however many tables are full.',
    '{',
    '  r = calc($1, $2 + 0, $3 + 0)',
    '  if (r == "") print "error: no function named " $1',
    '  else print r',
    '}',
    'function calc(name, a, b,   t) {',
    '  if (name !~ /^f[0-9]+$/) return ""',
    `  t = (substr(name, 2) - 1) % ${tables}`,
    ...Array.from({ length: tables }, (_, i) => `  if (t == ${i}) return table_${i}(name, a, b)`),
    '  return ""',
    '}',
    '',
  ].join('\n');

export const ALL_AWK = '# For tools/status.mjs and test-oracle\'s "batch": marks where each test\'s output starts.\nFNR == 1 { printf "\\036%s\\n", FILENAME }\n';

export const RUN_SH = (tables: string[]) =>
  `#!/bin/sh\n# Runs one test by hand: sh tools/run.sh tests/f0001.in (test-oracle runs the same command).\ncd "$(dirname "$0")/.." || exit 2\nexec awk -f src/main.awk ${tables.map((f) => `-f ${f}`).join(' ')} "$1"\n`;

export const README = (tasks: number, tables: number) =>
  `# The endurance project\n\nA generated project for the harness's endurance benchmark: ${tasks} tasks, each adding one function\n(one line in one of ${tables} shared tables under src/) and making its test pass. Tasks of one table\nconflict under git when they land at once, on purpose. Run a test: \`sh tools/run.sh tests/f0001.in\`;\nall of them: \`node tools/status.mjs\`; through the oracle: \`test-oracle run\`.\n`;

// The status tool is a library (tools/status-lib.mjs) with a thin command in front, so an
// agent that lives in node (the sim) can ask it without starting a second node per look.
export const STATUS_LIB_MJS = `// projectStatus(root, only?): every test (or those named) in one awk process, judged like
// test-oracle's stdout judge (a missing or extra final newline ignored), then which tasks in
// tasks.json are done: a task is done when all its tests pass. With only, only tasks whose
// tests were all run are reported. tools/status.mjs is its command line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const strip = (s) => (s.endsWith('\\n') ? s.slice(0, -1) : s);

export function projectStatus(root, only = null) {
  const config = JSON.parse(readFileSync(path.join(root, 'test-oracle.json'), 'utf8'));
  const program = [...config.command.matchAll(/-f (\\S+)/g)].flatMap((m) => ['-f', m[1]]);
  const pick = only ? new Set(only) : null;
  const tests = readdirSync(path.join(root, 'tests')).filter((f) => f.endsWith('.in')).sort().map((f) => 'tests/' + f).filter((id) => !pick || pick.has(id));
  const r = spawnSync('awk', ['-f', 'tools/all.awk', ...program, ...tests], { cwd: root, encoding: 'utf8', maxBuffer: 256 << 20 });
  const outputs = new Map();
  for (const part of (r.stdout ?? '').split('\\x1e').slice(1)) {
    const nl = part.indexOf('\\n');
    outputs.set(part.slice(0, nl), part.slice(nl + 1));
  }
  const broken = r.error ? r.error.message : (r.stderr ?? '').split('\\n')[0];
  const results = {};
  for (const id of tests) {
    const out = outputs.get(id);
    if (out === undefined) {
      results[id] = { pass: false, reason: ('no output: ' + (broken || 'awk stopped early')).slice(0, 160) };
      continue;
    }
    const expectedFile = path.join(root, id.replace(/\\.in$/, '.expected'));
    const expected = existsSync(expectedFile) ? readFileSync(expectedFile, 'utf8') : '';
    const pass = strip(out) === strip(expected);
    results[id] = pass ? { pass } : { pass, reason: (out.split('\\n')[0] || 'no output').slice(0, 160) };
  }
  const taskList = existsSync(path.join(root, 'tasks.json')) ? JSON.parse(readFileSync(path.join(root, 'tasks.json'), 'utf8')).tasks : [];
  const tasks = {};
  for (const t of taskList) if (!pick || t.tests.every((id) => id in results)) tasks[t.name] = t.tests.every((id) => results[id]?.pass === true);
  const passed = Object.values(results).filter((x) => x.pass).length;
  return { tests: results, tasks, passed, total: tests.length, tasksDone: Object.values(tasks).filter(Boolean).length, tasksTotal: taskList.length };
}
`;

export const STATUS_MJS = `// node tools/status.mjs [--json] [--only TEST...]: tools/status-lib.mjs's projectStatus,
// printed (--json: the whole summary).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectStatus } from './status-lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const onlyAt = process.argv.indexOf('--only');
const summary = projectStatus(root, onlyAt < 0 ? null : process.argv.slice(onlyAt + 1));
if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(summary) + '\\n');
else {
  for (const [id, x] of Object.entries(summary.tests)) if (!x.pass) process.stdout.write('FAIL ' + id + ': ' + x.reason + '\\n');
  process.stdout.write(summary.passed + '/' + summary.total + ' tests pass; ' + summary.tasksDone + '/' + summary.tasksTotal + ' tasks done\\n');
}
`;
