// The demo records no oracle notes on its upstream: its pass rate is judged by running
// the demo project's tests on a commit (demo/status.ts, cached per commit). For a demo
// folder, this fills the pass-rate points in from up to `samples` evenly spaced commits.
import { demoStatus } from './index.js';
import type { GitFacts, PassPoint } from '../harness/events/facts.js';

export async function fillDemoPass(facts: GitFacts, upstream: string, env: NodeJS.ProcessEnv, samples: number): Promise<void> {
  if (facts.pass.length > 0 || facts.commits.length === 0) return;
  const n = facts.commits.length;
  const picks = new Set<number>([0, n - 1]);
  for (let i = 1; i < samples - 1; i++) picks.add(Math.round((i * (n - 1)) / (samples - 1)));
  const points: PassPoint[] = [];
  for (const index of [...picks].sort((a, b) => a - b)) {
    const c = facts.commits[index]!;
    const st = await demoStatus(upstream, { ref: c.sha, env }).catch(() => null);
    if (st) points.push({ sha: c.sha, index, t: c.t, pass: st.testsPassed, total: st.testsTotal });
  }
  facts.pass = points;
}
