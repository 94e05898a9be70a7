// `npm run bench -- swarm [--n 20] [--slots 64] [--sleep 5] [--demo-agents 16] [--parts abc]`:
// what a swarm costs the machine that supervises it.
//  (a) session start overhead per sandbox (process, bwrap, docker): start() until the
//      agent's command has run, median of n, as ratios to `process` (bench/sandbox.ts's
//      measurement, on the same private dockerd and tiny local image);
//  (b) the supervisor's memory with many slots: `harness run --agents 64` of `sleep` agents
//      in the process sandbox, its RSS (/proc/<pid>/status VmRSS) sampled while all slots
//      run a session, its peak (VmHWM), and the cost per slot against a 1-slot run;
//  (c) the embedded demo (`harness --agents 16`): wall time and commits per minute on the
//      demo upstream's main, once the demo is in this build (demo/index.ts).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../harness/kit/paths.js';
import { median, parseList, table } from './_stats.js';
import { measureStarts, OVERHEAD_HEAD, overheadRows, sandboxRig } from './sandbox.js';

const HARNESS = path.join(PACKAGE_ROOT, 'bin/harness.js');
const MiB = 1024 * 1024;

function gitEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@harness.invalid', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@harness.invalid' };
}

/** kB fields of /proc/<pid>/status, in bytes; null once the process is gone. */
function memOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Sessions started minus ended, from the swarm's event log. */
function runningSessions(eventsFile: string): number {
  let text = '';
  try {
    text = readFileSync(eventsFile, 'utf8');
  } catch {
    return 0;
  }
  return (text.match(/"type":"session_start"/g)?.length ?? 0) - (text.match(/"type":"session_end"/g)?.length ?? 0);
}

interface MemResult {
  slots: number;
  /** median RSS while every slot ran a session */
  rss: number;
  hwm: number;
  /** the most sessions seen running at once */
  maxRunning: number;
  seconds: number;
}

/** One `harness run --agents N` of sleeping agents; samples the supervisor every 20 ms. */
async function supervisorMemory(slots: number, sleepS: number): Promise<MemResult> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'bench-swarm-'));
  try {
    const proj = path.join(root, 'proj');
    mkdirSync(proj);
    execFileSync('git', ['init', '-q', '-b', 'main', proj], { env: gitEnv() });
    writeFileSync(path.join(proj, 'README.md'), '# bench\n');
    execFileSync('git', ['-C', proj, 'add', '.'], { env: gitEnv() });
    execFileSync('git', ['-C', proj, 'commit', '-qm', 'start'], { env: gitEnv() });
    const args = ['run', '--agents', String(slots), '--agent', 'cmd', '--agent-cmd', `sleep ${sleepS}`, '--from', 'proj', '--max-sessions', String(slots), '--sandbox', 'process'];
    const t0 = performance.now();
    const child = spawn(process.execPath, [HARNESS, ...args], { cwd: root, env: gitEnv(), stdio: ['ignore', 'ignore', 'inherit'] });
    const exited = new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
    let done = false;
    void exited.then(() => (done = true));
    const events = path.join(root, '.swarm/events.jsonl');
    const full: number[] = [];
    let hwm = 0;
    let maxRunning = 0;
    while (!done) {
      const m = memOf(child.pid!);
      const n = runningSessions(events);
      if (m) {
        hwm = Math.max(hwm, m.hwm);
        if (n >= slots) full.push(m.rss);
      }
      maxRunning = Math.max(maxRunning, n);
      await new Promise((r) => setTimeout(r, 20));
    }
    const code = await exited;
    if (code !== 0) throw new Error(`harness run --agents ${slots} exited ${code}`);
    return { slots, rss: full.length ? median(full) : NaN, hwm, maxRunning, seconds: (performance.now() - t0) / 1000 };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The demo, once it is in this build: wall time and commits per minute on its upstream's main. */
async function demoRun(agents: number): Promise<string[] | string> {
  if (!['ts', 'js'].some((x) => existsSync(path.join(PACKAGE_ROOT, `demo/index.${x}`)))) return 'demo: not in this build yet (demo/index.ts arrives with branch `demo`); row left empty';
  const root = mkdtempSync(path.join(os.tmpdir(), 'bench-demo-'));
  try {
    const t0 = performance.now();
    const out = execFileSync(process.execPath, [HARNESS, '--agents', String(agents)], { cwd: root, env: gitEnv(), encoding: 'utf8', maxBuffer: 256 * MiB });
    const min = (performance.now() - t0) / 60_000;
    const commits = Number(execFileSync('git', ['--git-dir', path.join(root, '.swarm-demo/upstream.git'), 'rev-list', '--count', 'main'], { encoding: 'utf8' }).trim());
    const summary = out.split('\n').filter((l) => /^summary:|^\s+claims|^\s+stopped/.test(l)).join(' | ');
    return [`demo, ${agents} agents`, (min * 60).toFixed(1), String(commits), (commits / min).toFixed(1), summary];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<number> {
  const [n] = parseList(args, '--n', [20]);
  const [slots] = parseList(args, '--slots', [64]);
  const [sleepS] = parseList(args, '--sleep', [5]);
  const [demoAgents] = parseList(args, '--demo-agents', [16]);
  const i = args.indexOf('--parts');
  const parts = i >= 0 ? (args[i + 1] ?? '') : 'abc';
  const w = (s: string) => process.stdout.write(s + '\n');

  if (parts.includes('a')) await overhead(n!, w);
  if (parts.includes('b')) await memory(slots!, sleepS!, w);
  if (parts.includes('c')) {
    w(`(c) the demo: harness --agents ${demoAgents} in a temp folder`);
    const demo = await demoRun(demoAgents!);
    const head = ['run', 'wall s', 'commits on main', 'commits/min'];
    if (typeof demo === 'string') w(table(head, [[`demo, ${demoAgents} agents`, '-', '-', '-']]) + '\n' + demo);
    else w(table(head, [demo.slice(0, 4)]) + '\n' + demo[4]);
  }
  return 0;
}

async function overhead(n: number, w: (s: string) => void): Promise<void> {
  const rig = await sandboxRig(['process', 'bwrap', 'docker']);
  try {
    const times = await measureStarts(rig.sandboxes, n);
    w(`(a) session start overhead: sandbox start() until the agent's command runs, median of ${n}, interleaved`);
    w(table(OVERHEAD_HEAD, overheadRows(times)));
    for (const note of rig.notes) w(note);
  } finally {
    await rig.close();
  }
  w('');
}

async function memory(slots: number, sleepS: number, w: (s: string) => void): Promise<void> {
  const one = await supervisorMemory(1, sleepS);
  const many = await supervisorMemory(slots, sleepS);
  w(`(b) supervisor memory: harness run --agents N --agent cmd --agent-cmd 'sleep ${sleepS}' (process sandbox), RSS while all N sessions run`);
  const mib = (b: number) => (Number.isNaN(b) ? 'n/a' : (b / MiB).toFixed(1));
  w(table(['slots', 'RSS MiB', 'peak MiB', 'max running', 'wall s'], [one, many].map((r) => [String(r.slots), mib(r.rss), mib(r.hwm), String(r.maxRunning), r.seconds.toFixed(1)])));
  if (many.maxRunning < slots) w(`note: only ${many.maxRunning} of ${slots} sessions ran at once (slots ended before the last started); pass a longer --sleep`);
  else w(`per slot: ${((many.rss - one.rss) / (slots - 1) / 1024).toFixed(0)} KiB ((RSS at ${slots} - RSS at 1) / ${slots - 1}); ${(many.rss / slots / MiB).toFixed(2)} MiB of RSS per slot in all`);
  w('');
}
