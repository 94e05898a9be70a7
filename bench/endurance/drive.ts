// Drives one endurance run: generates the project, seeds the upstream (with the gate),
// starts `harness run` as a real process, and applies the plan's run events as the
// sessions count passes them: SIGKILL and SIGTERM of the supervisor (then a restart, as a
// service manager would), and the upstream moved away for a while. Anything else that
// stops the supervisor is a human touch: it is counted, and the run restarted.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PACKAGE_ROOT } from '../../harness/kit/paths.js';
import { demoStatus } from '../../demo/index.js';
import { generateEnduranceProject } from '../../demo/endurance/generate.js';
import type { Plan, RunEvent } from './plan.js';
import type { Window } from './checks.js';

const HARNESS = path.join(PACKAGE_ROOT, 'bin/harness.js');
const MAX_TOUCHES = 5;

export interface DriveOptions {
  root: string;
  agents: number;
  sessions: number;
  tasks: number;
  tables: number;
  seed: string;
  thinkMs: number;
  /** null: no gate; else the percentage of tests the gate runs (100: all) */
  gatePct: number | null;
  plan: Plan;
  /** give up (a human touch) after this long */
  maxMs: number;
  say: (line: string) => void;
  /** true once the user asked the benchmark to stop (Ctrl-C): the supervisor is stopped gracefully */
  interrupted?: () => boolean;
}

export interface DriveResult {
  swarm: string;
  upstream: string;
  commitLog: string;
  startedAt: number;
  endedAt: number;
  /** when a supervisor process ended, planned or not */
  deaths: number[];
  outages: Window[];
  applied: (RunEvent & { at: number })[];
  touches: string[];
  peakRssBytes: number;
  supervisorRuns: number;
  /** planned run events that never came due because the swarm finished first */
  unapplied: RunEvent[];
}

export function benchEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    GIT_CONFIG_NOSYSTEM: '1',
    HARNESS_PLAIN: '1',
    GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@harness.invalid', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@harness.invalid',
  };
}

/** Counts session_start lines in events.jsonl, reading only what was appended since the last call. */
class StartCounter {
  private offset = 0;
  private rest = '';
  count = 0;
  constructor(private readonly file: string) {}
  poll(): number {
    if (!existsSync(this.file)) return this.count;
    const size = statSync(this.file).size;
    if (size <= this.offset) return this.count;
    const fd = openSync(this.file, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const lines = (this.rest + buf.toString('utf8')).split('\n');
      this.rest = lines.pop() ?? '';
      for (const l of lines) if (l.includes('"type":"session_start"')) this.count++;
    } finally {
      closeSync(fd);
    }
    return this.count;
  }
}

function hwm(pid: number): number {
  try {
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

export async function prepare(o: DriveOptions): Promise<{ swarm: string; upstream: string; commitLog: string }> {
  const swarm = path.join(o.root, '.swarm');
  mkdirSync(swarm, { recursive: true });
  const env = benchEnv();
  const proj = await generateEnduranceProject(path.join(swarm, 'demo'), { tasks: o.tasks, tables: o.tables, seed: o.seed }, env);
  const gate = o.gatePct === null ? [] : ['--gate', `test-oracle gate -j 2${o.gatePct < 100 ? ` --fast=${o.gatePct} --seed "$TEST_ORACLE_COMMIT"` : ''}`, '--gate-timeout', '20m'];
  execFileSync(process.execPath, [HARNESS, 'init', '--from', proj.project, '--dir', swarm, ...gate], { cwd: o.root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const faults = path.join(o.root, 'faults.json');
  writeFileSync(faults, JSON.stringify(o.plan.faults, null, 1) + '\n');
  const commitLog = path.join(o.root, 'commits.jsonl');
  const d = o.plan.durations;
  // Everything in the project's config file, so a restart is the same bare `harness run`.
  writeFileSync(
    path.join(o.root, 'harness.config.json'),
    JSON.stringify({
      dir: '.swarm', agents: o.agents, agent: 'sim', until: 'done',
      sessionTimeout: d.sessionTimeoutMs, grace: d.graceMs, backoffBase: 1000, backoffCap: 10_000,
      simCrash: 0, simRegress: 0, simThink: o.thinkMs, simFaults: faults, simCommitLog: commitLog,
    }, null, 2) + '\n',
  );
  return { swarm, upstream: path.join(swarm, 'upstream.git'), commitLog };
}

export async function drive(o: DriveOptions): Promise<DriveResult> {
  const { swarm, upstream, commitLog } = await prepare(o);
  const env = benchEnv();
  const logFd = openSync(path.join(o.root, 'supervisor.log'), 'a');
  const counter = new StartCounter(path.join(swarm, 'events.jsonl'));
  const r: DriveResult = { swarm, upstream, commitLog, startedAt: Date.now(), endedAt: 0, deaths: [], outages: [], applied: [], touches: [], peakRssBytes: 0, supervisorRuns: 0, unapplied: [] };
  let child: ChildProcess | null = null;
  let exit: { code: number | null; signal: string | null } | null = null;
  let planned: RunEvent['kind'] | null = null;
  const start = () => {
    exit = null;
    planned = null;
    r.supervisorRuns++;
    const c = spawn(process.execPath, [HARNESS, 'run'], { cwd: o.root, env, stdio: ['ignore', logFd, logFd] });
    c.once('exit', (code, signal) => {
      exit = { code, signal };
      r.deaths.push(Date.now());
    });
    child = c;
  };
  const events = [...o.plan.events];
  let outage: { until: number; from: number } | null = null;
  const away = `${upstream}.away`;
  let lastReport = 0;
  start();
  try {
    for (;;) {
      await sleep(250);
      const started = counter.poll();
      if (child) r.peakRssBytes = Math.max(r.peakRssBytes, hwm((child as ChildProcess).pid!));
      if (Date.now() - lastReport > 30_000) {
        lastReport = Date.now();
        o.say(`  ${((Date.now() - r.startedAt) / 60_000).toFixed(1)} min: ${started} sessions started; next fault: ${events[0] ? `${events[0].kind} at session ${events[0].atSession}` : 'none left'}`);
      }
      if (outage && Date.now() >= outage.until) {
        bringBack(away, upstream, r.touches);
        r.outages.push({ from: outage.from, to: Date.now() });
        o.say(`  upstream back after ${((Date.now() - outage.from) / 1000).toFixed(0)} s`);
        outage = null;
      }
      if (exit) {
        const e = exit as { code: number | null; signal: string | null };
        if (planned) {
          if (outage) continue; // restart once the upstream is back: a service manager would retry too
          await sleep(o.plan.durations.restartDelayMs);
          start();
          continue;
        }
        if (e.code === 0 && (await finished(upstream))) break;
        const why = `the supervisor exited (${e.code !== null ? `code ${e.code}` : `signal ${e.signal}`}) at session ${started} without being asked: ${lastLine(path.join(o.root, 'supervisor.log'))}`;
        r.touches.push(why);
        o.say(`  HUMAN TOUCH: ${why}; restarting it`);
        if (r.touches.length >= MAX_TOUCHES) break;
        if (outage) continue;
        start();
        continue;
      }
      const over = Date.now() - r.startedAt > o.maxMs;
      if (over || o.interrupted?.()) {
        r.touches.push(over ? `the run took longer than ${Math.round(o.maxMs / 60_000)} min; stopped by the benchmark` : 'interrupted (Ctrl-C)');
        (child as ChildProcess | null)?.kill('SIGINT');
        await waitExit(() => exit !== null, 120_000);
        break;
      }
      const ev = events[0];
      if (!ev || outage || planned || started < ev.atSession) continue;
      events.shift();
      r.applied.push({ ...ev, at: Date.now() });
      if (ev.kind === 'outage') {
        renameSync(upstream, away);
        outage = { from: Date.now(), until: Date.now() + ev.durationMs };
        o.say(`  fault: upstream moved away for ${Math.round(ev.durationMs / 1000)} s at session ${started}`);
      } else {
        planned = ev.kind;
        o.say(`  fault: ${ev.kind.toUpperCase()} of the supervisor at session ${started}`);
        (child as ChildProcess | null)?.kill(ev.kind === 'sigkill' ? 'SIGKILL' : 'SIGTERM');
      }
    }
  } finally {
    if (outage) bringBack(away, upstream, r.touches);
    if (!exit && child) {
      (child as ChildProcess).kill('SIGINT');
      await waitExit(() => exit !== null, 120_000);
    }
    closeSync(logFd);
    r.endedAt = Date.now();
  }
  r.unapplied = events;
  return r;
}

/**
 * Ends an outage. Something that recreated the upstream's folder meanwhile is a defect of
 * the harness (it would shadow the real repository), so it is set aside and counted as a
 * human touch, never a crash of the benchmark.
 */
function bringBack(away: string, upstream: string, touches: string[]): void {
  if (existsSync(upstream)) {
    const ghost = `${upstream}.ghost-${Date.now()}`;
    renameSync(upstream, ghost);
    touches.push(`something recreated ${path.basename(upstream)} during the outage; set aside in ${ghost}`);
  }
  renameSync(away, upstream);
}

async function finished(upstream: string): Promise<boolean> {
  const st = await demoStatus(upstream, { env: benchEnv() }).catch(() => null);
  return !!st && st.allDone && st.claims.length === 0;
}

async function waitExit(done: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!done() && Date.now() - t0 < ms) await sleep(100);
}

function lastLine(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ').slice(0, 300);
  } catch {
    return '(no log)';
  }
}
