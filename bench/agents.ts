// `npm run bench -- agents [--sessions N] [--kinds claude,codex] [--sandboxes process,bwrap]`:
// the harness's own cost per session with the REAL Claude Code and Codex CLIs, driven by the
// scripted model server (test/helpers/model-server.ts: no model, no network). Each session
// claims a task, commits a file and lands it with `harness task done` (4 model turns).
//
// A one-slot `harness run` per (CLI, sandbox), the CLI wrapped by a shell script that records
// when it starts and exits, so the slot's timeline splits into:
//   before  = session_start event -> CLI start   (sandbox and session setup)
//   agent   = CLI start -> CLI exit               (the agent's own run, model turns and tools included)
//   after   = CLI exit -> next session_start     (usage parsing, salvage, reset, release: slot ready)
// and the RSS of the slot's whole process tree (sandbox, CLI, its tools), sampled every 50 ms.
// As root the process sandbox runs with IS_SANDBOX=1 (the bench vouches for the machine).
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTool } from '../harness/sandbox/common.js';
import { gitEnv, HARNESS_BIN, ROOT } from '../test/helpers/repos.js';
import { startModelServer, type Script } from '../test/helpers/model-server.js';
import { median, table } from './_stats.js';
import { bwrapSandbox } from '../harness/sandbox/bwrap.js';

type Kind = 'claude' | 'codex';
const MODEL: Record<Kind, string> = { claude: 'claude-sonnet-4-5', codex: 'gpt-5.5' };

function opt(args: string[], flag: string, dflt: string): string {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
}

/** Every descendant of `pid` (by walking /proc ppids), with their RSS in KiB. */
function treeRssKiB(pid: number): number {
  const kids = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(d)]);
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d}/status`, 'utf8'));
      rss.set(Number(d), m ? Number(m[1]) : 0);
    } catch {
      /* gone */
    }
  }
  let total = 0;
  const stack = [...(kids.get(pid) ?? [])];
  while (stack.length) {
    const p = stack.pop()!;
    total += rss.get(p) ?? 0;
    stack.push(...(kids.get(p) ?? []));
  }
  return total;
}

interface Row {
  before: number[];
  agent: number[];
  after: number[];
  peakSlotMiB: number;
  supervisorMiB: number;
  sessions: number;
  ok: number;
}

async function one(kind: Kind, sandbox: string, sessions: number): Promise<Row> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'bench-agents-'));
  // each session's task is named by its own shell ($HARNESS_SESSION): the script stays stateless
  const server = await startModelServer(((ctx) => {
    return [
      { run: 'harness task claim "task-$HARNESS_SESSION"' },
      { run: 'echo "$HARNESS_SESSION" > "s-$HARNESS_SESSION.txt" && git add -A' },
      { run: 'harness task done "task-$HARNESS_SESSION" -m "Session $HARNESS_SESSION"' },
      { say: 'done' },
    ][ctx.outputs.length] ?? null;
  }) as Script);
  try {
    const proj = path.join(root, 'proj');
    mkdirSync(proj);
    const env = gitEnv();
    const sh = (cmd: string, args: string[]) => runTool(cmd, args, env);
    await sh('git', ['init', '-q', '-b', 'main', proj]);
    writeFileSync(path.join(proj, 'README.md'), '# bench\n');
    await sh('git', ['-C', proj, 'add', '.']);
    await sh('git', ['-C', proj, 'commit', '-qm', 'start']);
    // The wrapper: records CLI start and exit (ms since epoch) next to the swarm, then runs the pinned CLI.
    const bin = path.join(root, 'bin');
    mkdirSync(bin);
    const markDir = path.join(root, 'marks');
    mkdirSync(markDir);
    const times = path.join(markDir, 'times');
    writeFileSync(path.join(bin, kind), `#!/bin/sh\necho "start $(date +%s%3N)" >> ${times}\n${path.join(ROOT, 'node_modules/.bin', kind)} "$@"\nrc=$?\necho "exit $(date +%s%3N)" >> ${times}\nexit $rc\n`);
    chmodSync(path.join(bin, kind), 0o755);
    const secrets = kind === 'claude' ? { ANTHROPIC_BASE_URL: server.anthropicBase, ANTHROPIC_API_KEY: 'sk-bench' } : { OPENAI_BASE_URL: server.openaiBase, OPENAI_API_KEY: 'sk-bench' };
    const args = ['run', '--agent', kind, '--model', MODEL[kind], '--from', 'proj', '--max-sessions', String(sessions), '--sandbox', sandbox, '--backoff-base', '10ms', '--backoff-cap', '10ms', '--mount', bin, '--mount', `${markDir}:rw`, '--session-timeout', '10m']; // bwrap sees only what is mounted
    // bwrap has its own network: the scripted model server must be allowed, as a real API host would be
    if (sandbox !== 'process') args.push('--allow-host', new URL(server.anthropicBase).host);
    const runEnv = { ...gitEnv(), PATH: `${bin}:${process.env.PATH}`, ...secrets, ...(process.getuid?.() === 0 && sandbox === 'process' ? { IS_SANDBOX: '1' } : {}), HARNESS_PLAIN: '1' };
    const child = spawn(process.execPath, [HARNESS_BIN, ...args], { cwd: root, env: runEnv, stdio: ['ignore', 'ignore', 'inherit'] });
    let done = false;
    const exited = new Promise<void>((res) => child.once('exit', () => res()));
    void exited.then(() => (done = true));
    let peak = 0;
    let sup = 0;
    while (!done) {
      peak = Math.max(peak, treeRssKiB(child.pid!));
      try {
        sup = Math.max(sup, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0));
      } catch {
        /* exited */
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await exited;
    const ev = readFileSync(path.join(root, '.swarm/events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; ts: string; exit?: number });
    const starts = ev.filter((e) => e.type === 'session_start').map((e) => Date.parse(e.ts));
    const ends = ev.filter((e) => e.type === 'session_end');
    const marks = existsSync(times) ? readFileSync(times, 'utf8').trim().split('\n').map((l) => l.split(' ')) : [];
    const cliStart = marks.filter((m) => m[0] === 'start').map((m) => Number(m[1]));
    const cliExit = marks.filter((m) => m[0] === 'exit').map((m) => Number(m[1]));
    const row: Row = { before: [], agent: [], after: [], peakSlotMiB: peak / 1024, supervisorMiB: sup / 1024, sessions: starts.length, ok: ends.filter((e) => e.exit === 0).length };
    for (let i = 0; i < cliStart.length && i < cliExit.length; i++) {
      row.before.push(cliStart[i]! - starts[i]!);
      row.agent.push(cliExit[i]! - cliStart[i]!);
      if (starts[i + 1] !== undefined) row.after.push(starts[i + 1]! - cliExit[i]!);
    }
    return row;
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<number> {
  const sessions = Number(opt(args, '--sessions', '4'));
  const kinds = opt(args, '--kinds', 'claude,codex').split(',') as Kind[];
  let sandboxes = opt(args, '--sandboxes', 'process,bwrap').split(',');
  for (const k of kinds) if (!existsSync(path.join(ROOT, 'node_modules/.bin', k))) throw new Error(`node_modules/.bin/${k} is missing: run npm install`);
  if (sandboxes.includes('bwrap') && !(await bwrapSandbox().check().then(() => true, () => false))) {
    console.log('bwrap does not work here: process sandbox only');
    sandboxes = sandboxes.filter((s) => s !== 'bwrap');
  }
  console.log(`real CLIs against the scripted model server; ${sessions} sessions per row, one slot; ${os.loadavg()[0]!.toFixed(1)} load on ${os.cpus().length} cores`);
  const rows: string[][] = [];
  for (const kind of kinds) {
    for (const sandbox of sandboxes) {
      const r = await one(kind, sandbox, sessions);
      const b = median(r.before);
      const a = median(r.agent);
      const f = median(r.after);
      rows.push([kind, sandbox, `${r.ok}/${r.sessions}`, (b / 1000).toFixed(2), (f / 1000).toFixed(2), (a / 1000).toFixed(2), `${(((b + f) / a) * 100).toFixed(0)}%`, r.peakSlotMiB.toFixed(0), r.supervisorMiB.toFixed(0)]);
    }
  }
  console.log(table(['cli', 'sandbox', 'ok', 'before s', 'after s', 'agent s', 'overhead/agent', 'peak slot MiB', 'supervisor MiB'], rows));
  console.log('before: session_start -> CLI start; after: CLI exit -> next session_start (slot ready); agent: the CLI\'s own run (medians).');
  console.log('peak slot: the highest RSS of the slot\'s process tree (sandbox, CLI, tools); supervisor: its own peak RSS (VmHWM).');
  return 0;
}
