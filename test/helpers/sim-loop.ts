// A stand-in for the supervisor, for the sim's tests: N clones, each running sim
// sessions back to back, all at once, until nothing is left; a session that crashed or
// gave up is cleaned up the way the supervisor does it (claims released, clone reset).
import { execa } from 'execa';
import { simAgentArgv, type SimOptions } from '../../demo/sim/index.js';
import { git, gitEnv, harness, type Swarm } from './repos.js';

export interface SessionLog {
  agent: string;
  session: number;
  code: number;
  log: string;
  /** uncommitted changes the session left behind */
  dirty: string;
  /** claims on upstream still held by the session when it ended */
  heldClaims: string[];
}

export interface LoopResult {
  sessions: SessionLog[];
  /** every agent's last session found nothing left */
  finished: boolean;
}

/**
 * Each agent runs sessions back to back, as under the supervisor, until a session says
 * NOTHING LEFT or the agent has used `maxSessions`.
 */
export async function runSimLoop(opts: {
  swarm: Swarm;
  agents: number;
  sim: Omit<SimOptions, 'bank'> & { bank: string };
  maxSessions: number;
}): Promise<LoopResult> {
  const argv = simAgentArgv(opts.sim);
  const sessions: SessionLog[] = [];
  let n = 0;
  const agentLoop = async (i: number): Promise<boolean> => {
    const agent = `agent-${i + 1}`;
    const dir = opts.swarm.clone(agent);
    for (let k = 0; k < opts.maxSessions; k++) {
      const session = ++n;
      const env = { HARNESS_AGENT: agent, HARNESS_SESSION: String(session), HARNESS_UPSTREAM: opts.swarm.upstream };
      const r = await execa(argv[0]!, argv.slice(1), { cwd: dir, env: gitEnv(env), extendEnv: false, reject: false, all: true });
      const s: SessionLog = { agent, session, code: r.exitCode ?? -1, log: r.all ?? '', dirty: '', heldClaims: [] };
      sessions.push(s);
      if (s.code !== 0) await cleanUp(dir, s, opts.swarm.upstream);
      else if (/NOTHING LEFT/.test(s.log)) return true;
    }
    return false;
  };
  const done = await Promise.all(Array.from({ length: opts.agents }, (_, i) => agentLoop(i)));
  return { sessions: sessions.sort((a, b) => a.session - b.session), finished: done.every(Boolean) };
}

/** What the supervisor does after a session ends badly: release its claims, reset the clone. */
async function cleanUp(dir: string, s: SessionLog, upstream: string): Promise<void> {
  s.dirty = git(dir, 'status', '--porcelain');
  const list = await harness(dir, ['task', 'list', '--json', '--upstream', upstream]);
  const claims = JSON.parse(list.out.join('\n')) as { task: string; agent: string | null; session: string | null }[];
  s.heldClaims = claims.filter((c) => c.agent === s.agent && c.session === String(s.session)).map((c) => c.task);
  for (const task of s.heldClaims) {
    const r = await harness(dir, ['task', 'release', task, '--reason', 'session ended'], { HARNESS_AGENT: s.agent, HARNESS_SESSION: String(s.session) });
    if (r.code !== 0) throw new Error(`release ${task} failed: ${r.err.join('\n')}`);
  }
  git(dir, 'fetch', '-q', 'origin');
  git(dir, 'reset', '-q', '--hard', 'origin/main');
  git(dir, 'clean', '-qfd');
}

export function countMatches(sessions: SessionLog[], re: RegExp): number {
  return sessions.reduce((k, s) => k + (s.log.match(new RegExp(re.source, 'gm'))?.length ?? 0), 0);
}
