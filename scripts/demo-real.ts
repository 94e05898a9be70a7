// `npm run demo:claude` / `npm run demo:codex`: the demo project worked by the REAL Claude Code
// or Codex CLI, pinned in devDependencies, under `harness run` -- driven by a SCRIPTED
// local model server, not a model. No network and no API key are needed, and nothing here
// is intelligent: each session's model turns are fixed. The CLI lists the claims, then runs
// the demo's simulated work step (the `sim` agent's session: a known solution from the
// bank, through the real protocol), then stops. What is real: the CLI binary, its prompt
// delivery, tool calls, event stream, usage and cost accounting, the sandbox, the loop.
//
//   npm run demo:claude|demo:codex -- [--agents N] [--sandbox bwrap|process] [--dir DIR] [--tasks N]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { prepareDemo, demoStatus, ALL_TASK_NAMES } from '../demo/index.js';
import { simAgentArgv } from '../demo/sim/index.js';
import { PACKAGE_ROOT } from '../harness/kit/paths.js';
import { startModelServer, type Script } from '../test/helpers/model-server.js';
import { bwrapSandbox } from '../harness/sandbox/bwrap.js';

const kind = process.argv[2] === 'codex' ? 'codex' : 'claude';
const { values: o } = parseArgs({
  args: process.argv.slice(3),
  options: { agents: { type: 'string', default: '4' }, sandbox: { type: 'string' }, dir: { type: 'string', default: `.swarm-demo-${kind}` }, tasks: { type: 'string' }, help: { type: 'boolean' } },
});
if (o.help) {
  console.log(`usage: npm run demo:${kind} -- [--agents N] [--sandbox bwrap|process] [--dir DIR] [--tasks N]`);
  process.exit(0);
}
const fail = (code: number, msg: string): never => {
  console.error(`demo:${kind}: ${msg}`);
  process.exit(code);
};
const agents = Number(o.agents);
if (!Number.isInteger(agents) || agents < 1 || agents > 16) fail(2, `--agents must be a whole number from 1 to 16, got ${o.agents}`);
const nTasks = o.tasks === undefined ? ALL_TASK_NAMES.length : Number(o.tasks);
if (!Number.isInteger(nTasks) || nTasks < 1 || nTasks > ALL_TASK_NAMES.length) fail(2, `--tasks must be from 1 to ${ALL_TASK_NAMES.length}`);
const cli = path.join(PACKAGE_ROOT, 'node_modules/.bin', kind);
if (!existsSync(cli)) fail(4, `${cli} is missing: run npm install (the CLIs are pinned devDependencies)`);

// bwrap if it works here; the process sandbox otherwise, where root needs the user's IS_SANDBOX=1.
const bwrapOk = await bwrapSandbox().check().then(() => true, () => false);
const sandbox = o.sandbox ?? (bwrapOk ? 'bwrap' : 'process');
if (kind === 'claude' && sandbox === 'process' && process.getuid?.() === 0 && process.env.IS_SANDBOX !== '1') {
  fail(4, 'as root Claude Code needs a sandbox: install bubblewrap (apt-get install bubblewrap), or run IS_SANDBOX=1 npm run demo:claude on a disposable machine');
}

const dir = path.resolve(o.dir!);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const demo = await prepareDemo(path.join(dir, 'demo'), { tasks: ALL_TASK_NAMES.slice(0, nTasks) });
const sim = simAgentArgv({ crash: 0, regress: 0, thinkMs: 100, bank: demo.bank, idleMs: 3000 });
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
// The script every session plays: look, do the (simulated) work, stop. Usage is made up and
// fixed, so the cost line is predictable: 3 turns a session.
const script: Script = (ctx) =>
  [
    { run: 'harness task list', usage: { input: 1500, output: 40, cacheRead: 4000 } },
    { run: `${sim.map(q).join(' ')} 2>&1 | tail -n 12`, usage: { input: 800, output: 120, cacheRead: 6000 } },
    { say: 'Scripted session over.', usage: { input: 600, output: 20, cacheRead: 7000 } },
  ][ctx.outputs.length] ?? null;
const server = await startModelServer(script);

console.log(`SCRIPTED DEMO: the real ${kind === 'claude' ? 'Claude Code' : 'Codex'} CLI (${cli}) driven by a scripted model server at ${server.url}.`);
console.log('No model runs and nothing leaves this machine: each session lists the claims, runs the demo simulator\'s work step (known solutions), and stops.');
console.log(`${agents} agents, ${nTasks} tasks, --sandbox ${sandbox}, swarm in ${dir}\n`);

const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...(kind === 'claude'
    ? { ANTHROPIC_BASE_URL: server.anthropicBase, ANTHROPIC_API_KEY: 'sk-scripted-demo' }
    : { OPENAI_BASE_URL: server.openaiBase, OPENAI_API_KEY: 'sk-scripted-demo' }),
  HARNESS_PLAIN: '1',
};
const model = kind === 'claude' ? 'claude-sonnet-4-5' : 'gpt-5.5';
const args = ['run', '--agent', kind, '--model', model, '--from', demo.project, '--dir', dir, '--agents', String(agents), '--sandbox', sandbox, ...(sandbox === 'process' ? [] : ['--allow-host', new URL(server.anthropicBase).host]), '--mount', demo.bank, '--backoff-base', '1s', '--backoff-cap', '5s', '--grace', '10s'];
const child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'bin/harness.js'), ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
const exited = new Promise<number>((res) => child.once('exit', (c) => res(c ?? 1)));
process.on('SIGINT', () => child.kill('SIGINT'));

// Done is the demo's own rule (every task's tests pass, no claim left): then stop the run as a user would, with one Ctrl-C.
const upstream = path.join(dir, 'upstream.git');
let finished = false;
const poll = setInterval(() => {
  if (finished || !existsSync(upstream)) return;
  void demoStatus(upstream, { env }).then((st) => {
    if (!finished && st.allDone && st.claims.length === 0) {
      finished = true;
      console.log(`\ndemo:${kind}: every task done (${st.tasksDone}/${st.tasksTotal}, ${st.testsPassed}/${st.testsTotal} tests pass): stopping the run`);
      child.kill('SIGINT');
    }
  }, () => {});
}, 2000);
const code = await exited;
clearInterval(poll);
await server.close();
const sessions = server.requests.filter((r) => r.turn === 0 && r.answer === 'stream').length;
const polls = server.requests.filter((r) => r.poll).length;
console.log(`demo:${kind}: ${sessions} real ${kind} sessions, ${server.requests.length} scripted model requests${kind === 'codex' ? ` (${polls} of them polls of a command still running)` : ''}; run exit ${code}`);
process.exit(finished ? 0 : code || 1);
