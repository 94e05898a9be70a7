// A recorded swarm, made up but real: a bare upstream whose main has claim, work and done
// commits with the protocol's trailers and oracle notes (written in one `git fast-import`,
// so even 20,000 commits take seconds), plus the events.jsonl and run.json a supervisor
// would have written. Used by the report tests and `npm run bench -- report`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface SynthOptions {
  agents: number;
  sessions: number;
  /** commits per session: a claim, work commits, and a done (or abandon) commit; at least 2 */
  commitsPerSession: number;
  /** every n-th commit carries an oracle record */
  notesEvery: number;
  /** every n-th session crashes (exit 1, its claim abandoned); 0 for never */
  crashEvery: number;
  /** every n-th crash's claim is reaped by the supervisor instead of released */
  reapEvery: number;
  sessionMs: number;
  tests: number;
  t0: number;
  maxCostUsd?: number;
}

export interface SynthSwarm {
  dir: string;
  upstream: string;
  commits: number;
  notes: number;
  sessions: number;
  crashed: number;
  reaps: number;
  done: number;
}

const iso = (t: number) => new Date(t).toISOString();
const gitTime = (t: number) => `${Math.floor(t / 1000)} +0000`;

export function synthSwarm(root: string, o: SynthOptions): SynthSwarm {
  const dir = path.join(root, '.swarm');
  const upstream = path.join(dir, 'upstream.git');
  mkdirSync(dir, { recursive: true });
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', upstream]);

  const events: object[] = [];
  const run = 'r1';
  const ev = (t: number, e: object) => events.push({ ts: iso(t), run, ...e });
  ev(o.t0, { type: 'run_start', agents: o.agents, agent: 'sim', sandbox: 'process', upstream, takeover: false });

  // Each agent runs its sessions back to back; commits are spread evenly through a session.
  type C = { t: number; agent: string; session: number; task: string; kind: 'claimed' | 'work' | 'done' | 'abandoned' | 'reaped'; n: number };
  const cs: C[] = [];
  let crashed = 0;
  let reaps = 0;
  let done = 0;
  const next = new Array(o.agents).fill(o.t0 + 1000) as number[];
  for (let s = 0; s < o.sessions; s++) {
    const a = s % o.agents;
    const agent = `agent-${a + 1}`;
    const session = Math.floor(s / o.agents) + 1;
    const start = next[a]!;
    const len = o.sessionMs * (0.75 + ((s * 7919) % 50) / 100);
    const end = start + len;
    const crash = o.crashEvery > 0 && (s + 1) % o.crashEvery === 0;
    const task = `task-${s}`;
    ev(start, { type: 'session_start', agent, session: String(session), log: `agent_logs/${agent}/${session}-0000000.log`, head: null });
    const step = len / (o.commitsPerSession + 1);
    for (let k = 0; k < o.commitsPerSession; k++) {
      const last = k === o.commitsPerSession - 1;
      const kind = k === 0 ? 'claimed' : !last ? 'work' : crash ? ((crashed + 1) % o.reapEvery === 0 ? 'reaped' : 'abandoned') : 'done';
      cs.push({ t: start + step * (k + 1), agent, session, task, kind, n: k });
    }
    const costUsd = 0.5 + (s % 10) / 10;
    ev(end, { type: 'session_end', agent, session: String(session), exit: crash ? 1 : 0, signal: null, durationMs: len, timedOut: false, stopped: false, usage: { costUsd, inputTokens: 10_000, outputTokens: 2_000, cacheReadTokens: null, cacheCreationTokens: null, numTurns: 10, isError: crash, subtype: null } });
    if (crash) {
      crashed++;
      if (crashed % o.reapEvery === 0) {
        reaps++;
        ev(end + 1, { type: 'claims_reaped', tasks: [task], why: 'ttl' });
      } else ev(end + 1, { type: 'claims_released', agent, session: String(session), tasks: [task] });
    } else done++;
    next[a] = end + 2000;
  }
  const tEnd = Math.max(...next);
  ev(tEnd, { type: 'run_end', reason: 'max-sessions', sessions: o.sessions });
  events.sort((x, y) => ((x as { ts: string }).ts < (y as { ts: string }).ts ? -1 : 1));
  cs.sort((x, y) => x.t - y.t);

  const out: string[] = [];
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  const notes: string[] = [];
  cs.forEach((c, i) => {
    const mark = i + 1;
    const who = `${c.agent} (sim) <${c.agent}@sim.invalid> ${gitTime(c.t)}`;
    const lock = `current_tasks/${c.task}.txt`;
    const trailers = c.kind === 'work' ? '' : `\n\nTask: ${c.task}\nTask-Status: ${c.kind}\nTask-Agent: ${c.agent}\nTask-Session: ${c.session}`;
    const subject = c.kind === 'work' ? `${c.task}: step ${c.n}` : `${c.kind[0]!.toUpperCase()}${c.kind.slice(1)} ${c.task}`;
    out.push(`commit refs/heads/main\nmark :${mark}\nauthor ${who}\ncommitter ${who}\n${data(subject + trailers)}`);
    if (c.kind === 'claimed') out.push(`M 100644 inline ${lock}\n${data(`Task: ${c.task}\nAgent: ${c.agent}\nSession: ${c.session}\nClaimed: ${iso(c.t)}\n\nworking on it\n`)}`);
    else if (c.kind === 'work') out.push(`M 100644 inline src/${c.agent}.txt\n${data(`${c.task} ${c.n}\n`)}`);
    else out.push(`D ${lock}\n`);
    if ((i + 1) % o.notesEvery === 0) {
      const k = notes.length;
      // Progress with plateaus: two records in a row share a pass count (the stalls).
      const pass = Math.min(o.tests, 1 + Math.floor(k / 2));
      const tests = Array.from({ length: o.tests }, (_, j) => [`t${j}`, j < pass ? 'pass' : 'fail', 1]);
      const rec = { at: iso(c.t + 500), v: 1, commit: String(mark), seed: 'full', pct: 100, mode: 'full', total: o.tests, selected: o.tests, counts: { pass, fail: o.tests - pass }, tests };
      notes.push(`N inline :${mark}\n${data(JSON.stringify(rec) + '\n')}`);
    }
  });
  if (notes.length) out.push(`commit refs/notes/test-oracle\ncommitter oracle <o@x.invalid> ${gitTime(tEnd)}\n${data('notes')}${notes.join('')}`);
  execFileSync('git', ['fast-import', '--quiet'], { cwd: upstream, input: out.join(''), maxBuffer: 1 << 30 });

  writeFileSync(path.join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ agents: o.agents, agent: 'sim', upstream, startedAt: iso(o.t0), pid: 0, host: 'recorded', maxCostUsd: o.maxCostUsd ?? null }, null, 2));
  return { dir, upstream, commits: cs.length, notes: notes.length, sessions: o.sessions, crashed, reaps, done };
}
