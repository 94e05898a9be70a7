import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main as harnessMain } from '../harness/cli.js';
import { serveSwarm } from '../harness/serve/service.js';
import { claimTask } from '../harness/tasks/ops.js';
import { raceCtx } from '../test/fixtures/race-ctx.js';
import { median } from '../bench/_stats.js';

const env = { PATH: process.env.PATH!, HOME: process.env.HOME!, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
const root = mkdtempSync(path.join(os.tmpdir(), 'prof-'));
await harnessMain(['init'], { env, cwd: root, now: () => new Date(), hostname: () => 'b', out: () => {}, err: (l) => console.error(l) });
const upstream = path.join(root, '.swarm/upstream.git');
const served = await serveSwarm({ repo: upstream, stateDir: path.join(root, 'serve'), env, allowTestEdits: false, protect: [], allowHost: [] });
const cred = served.issue('a1', '1').secrets;
const reps = Number(process.argv[2] ?? 20);
const t = async (f: () => Promise<unknown>) => { const t0 = performance.now(); await f(); return performance.now() - t0; };
for (const [name, url, e] of [['local', upstream, env], ['http', served.url, { ...env, ...cred }]] as const) {
  const d = path.join(root, name);
  await execa('git', ['clone', '-q', url, d], { env: e, extendEnv: false });
  Object.assign(process.env, e);
  const ctx = raceCtx(d, 'a1');
  const fetch: number[] = [], lsr: number[] = [], claim: number[] = [];
  for (let i = 0; i < reps; i++) {
    fetch.push(await t(() => execa('git', ['fetch', '-q', 'origin'], { cwd: d, env: e, extendEnv: false })));
    lsr.push(await t(() => execa('git', ['ls-remote', 'origin', 'main'], { cwd: d, env: e, extendEnv: false })));
    const t0 = performance.now();
    await claimTask(ctx, `${name}-${i}`);
    claim.push(performance.now() - t0);
  }
  console.log(name, 'fetch', median(fetch).toFixed(1), 'ls-remote', median(lsr).toFixed(1), 'claim', median(claim).toFixed(1));
}
await served.close();
rmSync(root, { recursive: true, force: true });
