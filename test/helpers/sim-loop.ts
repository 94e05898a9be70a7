// A stand-in for the supervisor, for the sim's tests: N clones, sim sessions run
// concurrently in rounds until nothing is left; a session that crashed or gave up is
// cleaned up the way the supervisor does it (its claims released, its clone reset).
import { execa } from 'execa';
import { simAgentArgv, type SimOptions } from '../../harness/agents/sim/index.js';
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
  rounds: number;
  finished: boolean;
}

export async function runSimRounds(opts: {
  swarm: Swarm;
  agents: number;
  sim: Omit<SimOptions, 'bank'> & { bank: string };
  maxRounds: number;
}): Promise<LoopResult> {
  const clones = Array.from({ length: opts.agents }, (_, i) => opts.swarm.clone(`agent-${i + 1}`));
  const argv = simAgentArgv(opts.sim);
  const sessions: SessionLog[] = [];
  let n = 0;
  for (let round = 1; round <= opts.maxRounds; round++) {
    const runs = await Promise.all(
      clones.map(async (dir, i) => {
        const agent = `agent-${i + 1}`;
        const session = ++n;
        const env = { HARNESS_AGENT: agent, HARNESS_SESSION: String(session), HARNESS_UPSTREAM: opts.swarm.upstream };
        const r = await execa(argv[0]!, argv.slice(1), { cwd: dir, env: gitEnv(env), extendEnv: false, reject: false, all: true });
        const s: SessionLog = { agent, session, code: r.exitCode ?? -1, log: r.all ?? '', dirty: '', heldClaims: [] };
        if (s.code !== 0) await cleanUp(dir, s, opts.swarm.upstream);
        return s;
      }),
    );
    sessions.push(...runs);
    if (runs.every((r) => r.code === 0 && /NOTHING LEFT/.test(r.log))) return { sessions, rounds: round, finished: true };
  }
  return { sessions, rounds: opts.maxRounds, finished: false };
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
