// node tools/status.mjs [--json] [--only TEST...]: every test (or those named) in one
// process, judged like test-oracle judges them (stdout against NAME.expected, a missing or
// extra final newline ignored), then which tasks in tasks.json are done: a task is done
// when all its tests pass; with --only, only tasks whose tests were all run are reported.
// One process instead of one per test makes this cheap enough to run at every start.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const strip = (s) => (s.endsWith('\n') ? s.slice(0, -1) : s);

const onlyAt = process.argv.indexOf('--only');
const only = onlyAt < 0 ? null : new Set(process.argv.slice(onlyAt + 1));
const tests = readdirSync(path.join(root, 'tests'))
  .filter((f) => f.endsWith('.peb'))
  .sort()
  .map((f) => `tests/${f}`)
  .filter((id) => !only || only.has(id));
const results = {};
let runProgram = null;
let broken = '';
try {
  ({ runProgram } = await import('../src/compile.mjs'));
} catch (e) {
  broken = `the compiler does not load: ${e.message}`;
}
for (const id of tests) {
  const expectedFile = path.join(root, id.replace(/\.peb$/, '.expected'));
  if (!runProgram) {
    results[id] = { pass: false, reason: broken };
    continue;
  }
  const expected = existsSync(expectedFile) ? readFileSync(expectedFile, 'utf8') : '';
  const { output } = runProgram(readFileSync(path.join(root, id), 'utf8'));
  const pass = strip(output) === strip(expected);
  results[id] = pass ? { pass } : { pass, reason: (output.split('\n')[0] || 'no output').slice(0, 160) };
}
const taskList = existsSync(path.join(root, 'tasks.json')) ? JSON.parse(readFileSync(path.join(root, 'tasks.json'), 'utf8')).tasks : [];
const tasks = {};
for (const t of taskList) if (!only || t.tests.every((id) => id in results)) tasks[t.name] = t.tests.every((id) => results[id]?.pass === true);
const passed = Object.values(results).filter((r) => r.pass).length;
const summary = { tests: results, tasks, passed, total: tests.length, tasksDone: Object.values(tasks).filter(Boolean).length, tasksTotal: taskList.length };

if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(summary) + '\n');
else {
  for (const [id, r] of Object.entries(results)) if (!r.pass) process.stdout.write(`FAIL ${id}: ${r.reason}\n`);
  process.stdout.write(`${passed}/${tests.length} tests pass; ${summary.tasksDone}/${summary.tasksTotal} tasks done\n`);
}
