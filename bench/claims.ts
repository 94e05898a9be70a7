// `npm run bench -- claims [--n 1,4,16,64] [--per 4]`: contenders on one bare repo, each
// claiming its own distinct tasks from a shared list, against the floor: one uncontended
// `git commit && git push` of a one-line file, measured in the same run.
// `--transport http`: the same contenders against the upstream served over smart HTTP
// (the harness server, a token per contender, the pre-receive policy) and, side by side in
// the same run, against the local path, alternating local, http and http pushed by git
// push (HARNESS_PUSH_WITH_GIT=1: the harness's own HTTP push off) --reps times (5) per N;
// prints the median of the per-run ratios to local and the programs one claim starts on each path.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { main as harnessMain } from '../harness/cli.js';
import type { Io } from '../harness/kit/cli-kit.js';
import { median, parseList, percentile, table } from './_stats.js';
import { Git } from '../harness/kit/git.js';
import { readClaims } from '../harness/tasks/read.js';
import { encodeTree, writeLooseObject } from '../harness/git/objects.js';
import { claimFromFile } from '../harness/tasks/claims.js';
import { LOCK_DIR, taskOfFile } from '../harness/kit/task-name.js';
import fs from 'node:fs';
import { serveSwarm } from '../harness/serve/service.js';
import { claimTask } from '../harness/tasks/ops.js';
import { defaultRetry } from '../harness/git/sync.js';
import { spawn } from 'node:child_process';

// Loaded only by the listing bench: the served-upstream bench runs the server in this
// process, and a library this size makes every program the server starts cost more to fork.
const isoGit = async () => (await import('isomorphic-git')).default;

/** The same listing in-process with isomorphic-git: the alternative this bench measures. */
async function readClaimsIso(gitdir: string, branch: string) {
  const iso = await isoGit();
  const oid = await iso.resolveRef({ fs, gitdir, ref: `refs/heads/${branch}` });
  const tree = await iso.readTree({ fs, gitdir, oid, filepath: LOCK_DIR });
  const files = tree.tree.filter((e) => e.type === 'blob' && taskOfFile(e.path));
  return Promise.all(files.map(async (e) => claimFromFile(taskOfFile(e.path)!, (await iso.readBlob({ fs, gitdir, oid: e.oid })).blob)));
}

const ROOT = path.resolve(import.meta.dirname, '..');
const WORKER = path.join(ROOT, 'test/fixtures/claim-worker.ts');

function env(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
}
const git = (cwd: string, ...a: string[]) => execFileSync('git', a, { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

async function swarm(): Promise<{ root: string; upstream: string }> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'bench-claims-'));
  const io: Io = { env: env(), cwd: root, now: () => new Date(), hostname: () => 'bench', out: () => {}, err: (l) => process.stderr.write(l + '\n') };
  if ((await harnessMain(['init'], io)) !== 0) throw new Error('init failed');
  return { root, upstream: path.join(root, '.swarm/upstream.git') };
}

function floorMs(root: string, upstream: string, reps: number): number[] {
  const dir = path.join(root, 'floor');
  git(root, 'clone', '-q', upstream, dir);
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    writeFileSync(path.join(dir, 'floor.txt'), `line ${i}\n`);
    git(dir, 'add', 'floor.txt');
    const t0 = performance.now();
    git(dir, 'commit', '-qm', `floor ${i}`);
    git(dir, 'push', '-q', 'origin', 'HEAD:main');
    times.push(performance.now() - t0);
  }
  return times;
}

interface Out { agent: string; won: { task: string; ms: number; attempts: number; procs: number }[]; lost: unknown[] }

type Transport = 'local' | 'http' | 'http-git';
const pushEnv = (t: Transport): Record<string, string> => (t === 'http-git' ? { HARNESS_PUSH_WITH_GIT: '1' } : {});

async function contenders(n: number, per: number, transport: Transport = 'local') {
  const { root, upstream } = await swarm();
  const served = transport !== 'local' ? await serveSwarm({ repo: upstream, stateDir: path.join(root, 'serve'), env: env(), allowTestEdits: false, protect: [], allowHost: [] }) : null;
  try {
    const creds = Array.from({ length: n }, (_, i) => served?.issue(`agent-${i}`, '1').secrets ?? {});
    const clones: string[] = [];
    for (let i = 0; i < n; i++) {
      const d = path.join(root, `c${i}`);
      await execa('git', ['clone', '-q', served?.url ?? upstream, d], { cwd: root, env: { ...env(), ...creds[i] }, extendEnv: false });
      clones.push(d);
    }
    const all = Array.from({ length: n * per }, (_, i) => `task-${i}`);
    const startAt = Date.now() + 2000 + n * 150;
    const t0 = startAt;
    const runs = await Promise.all(
      clones.map((c, i) =>
        execa('node', ['--import', 'tsx', WORKER, c, `agent-${i}`, String(startAt), 'each', all.filter((_, k) => k % n === i).join(',')], { cwd: ROOT, env: { ...env(), ...creds[i], ...pushEnv(transport) }, extendEnv: false }),
      ),
    );
    const wall = Date.now() - t0;
    const outs = runs.map((r) => JSON.parse(r.stdout) as Out);
    const won = outs.flatMap((o) => o.won);
    const claimCommits = git(upstream, 'log', '--format=%(trailers:key=Task,valueonly)', '--grep=Task-Status: claimed', 'main').split('\n').filter(Boolean);
    const doubles = claimCommits.length - new Set(claimCommits).size + (all.length - won.length);
    return { won, wall, doubles, lost: outs.reduce((s, o) => s + o.lost.length, 0) };
  } finally {
    await served?.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Listing current_tasks/ of a bare upstream: isomorphic-git in-process against git
 * processes (ls-tree + cat-file), on the same repo, loose and then packed.
 */
async function listing(locks: number, historyCommits: number): Promise<string[][]> {
  const { root, upstream } = await swarm();
  try {
    const work = path.join(root, 'w');
    git(root, 'clone', '-q', upstream, work);
    // History: many commits of many files, then the locks.
    const script = `for i in $(seq 1 ${historyCommits}); do mkdir -p src/d$((i % 20)); echo $i > src/d$((i % 20))/f$i.c; done; git add -A; git commit -qm files
      for i in $(seq 1 ${locks}); do printf 'Task: t%s\nAgent: a\nClaimed: 2026-01-01T00:00:00Z\n\nnote\n' $i > current_tasks/t$i.txt; git add -A; git commit -qm "Claim t$i"; done
      git push -q origin HEAD:main`;
    execFileSync('bash', ['-c', script], { cwd: work, env: env() });
    const g = new Git(upstream, env());
    const time = async (f: () => Promise<unknown>) => {
      const xs: number[] = [];
      for (let i = 0; i < 15; i++) {
        const t0 = performance.now();
        await f();
        xs.push(performance.now() - t0);
      }
      return median(xs);
    };
    const rows: string[][] = [];
    // Writing a claim's blob and two trees: in-process vs hash-object + mktree processes.
    const lockText = 'Task: t\nAgent: a\n\nnote\n';
    const iso = await isoGit();
    const isoW = await time(async () => {
      const blob = await iso.writeBlob({ fs, gitdir: upstream, blob: Buffer.from(lockText + Math.random()) });
      const sub = await iso.writeTree({ fs, gitdir: upstream, tree: [{ mode: '100644', path: 'x.txt', oid: blob, type: 'blob' }] });
      await iso.writeTree({ fs, gitdir: upstream, tree: [{ mode: '040000', path: 'current_tasks', oid: sub, type: 'tree' }] });
    });
    const cliW = await time(async () => {
      const blob = await g.must(['hash-object', '-w', '--stdin'], { input: lockText + Math.random() });
      const sub = await g.must(['mktree'], { input: `100644 blob ${blob}\tx.txt\n` });
      await g.must(['mktree'], { input: `040000 tree ${sub}\tcurrent_tasks\n` });
    });
    rows.push(['write blob+2 trees', '-', isoW.toFixed(1), cliW.toFixed(1), `${(cliW / isoW).toFixed(2)}x`]);
    // What claims use now: loose objects written directly (no git library to load).
    const ownW = await time(async () => {
      const blob = writeLooseObject(path.join(upstream, 'objects'), 'blob', Buffer.from(lockText + Math.random()));
      const sub = writeLooseObject(path.join(upstream, 'objects'), 'tree', encodeTree([{ mode: '100644', type: 'blob', sha: blob, name: 'x.txt' }]));
      writeLooseObject(path.join(upstream, 'objects'), 'tree', encodeTree([{ mode: '040000', type: 'tree', sha: sub, name: 'current_tasks' }]));
    });
    const loadMs = await (async () => {
      const t0 = performance.now();
      execFileSync(process.execPath, ['-e', "import('isomorphic-git')"], { cwd: ROOT });
      const t1 = performance.now();
      execFileSync(process.execPath, ['-e', '1']);
      return t1 - t0 - (performance.now() - t1);
    })();
    rows.push(['write blob+2 trees: harness (loose objects)', '-', ownW.toFixed(1), '-', `${(isoW / ownW).toFixed(2)}x faster than iso`]);
    rows.push(['loading isomorphic-git (once per process)', '-', loadMs.toFixed(0), '-', '-']);
    for (const state of ['loose', 'packed']) {
      if (state === 'packed') git(upstream, 'gc', '-q');
      const isoMs = await time(() => readClaimsIso(upstream, 'main'));
      const cliMs = await time(() => readClaims(g, 'refs/heads/main'));
      rows.push([`list (${state})`, String(locks), isoMs.toFixed(1), cliMs.toFixed(1), `${(cliMs / isoMs).toFixed(2)}x`]);
    }
    return rows;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A whole `harness task claim` process, start-up included, as an agent runs it, one after another. */
async function wholeProcess(reps: number): Promise<number> {
  const { root, upstream } = await swarm();
  try {
    const dir = path.join(root, 'agent');
    git(root, 'clone', '-q', upstream, dir);
    const xs: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await execa('node', [path.join(ROOT, 'bin/harness.js'), 'task', 'claim', `whole-${i}`], { cwd: dir, env: { ...env(), HARNESS_AGENT: 'bench' }, extendEnv: false });
      xs.push(performance.now() - t0);
    }
    return median(xs);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Programs started per uncontended claim, server and client together: this process (the
 * bench serves the upstream itself) claims `k` tasks under `strace -f -e execve`, and every
 * program that started is counted. Deterministic, unlike times on a shared machine.
 * null when strace cannot attach here.
 */
async function programsPerClaim(transport: Transport, k: number): Promise<number | null> {
  const { root, upstream } = await swarm();
  const served = transport !== 'local' ? await serveSwarm({ repo: upstream, stateDir: path.join(root, 'serve'), env: env(), allowTestEdits: false, protect: [], allowHost: [] }) : null;
  const trace = path.join(root, 'execve.trace');
  try {
    const cred = served?.issue('agent-0', '1').secrets ?? {};
    const clone = path.join(root, 'c');
    await execa('git', ['clone', '-q', served?.url ?? upstream, clone], { env: { ...env(), ...cred }, extendEnv: false });
    const ctx = { git: new Git(clone, { ...env(), ...cred, ...pushEnv(transport) }), upstream: { remote: 'origin', branch: 'main' }, me: { agent: 'agent-0', session: '1', host: 'bench' }, now: () => new Date(), retry: defaultRetry() };
    await claimTask(ctx, 'warm-up');
    const tracer = spawn('strace', ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', trace, '-p', String(process.pid)], { stdio: 'ignore' });
    const gone = new Promise<void>((r) => (tracer.on('close', () => r()), tracer.on('error', () => r())));
    const t0 = Date.now();
    while (!/TracerPid:\s+[1-9]/.test(fs.readFileSync('/proc/self/status', 'utf8'))) {
      if (tracer.exitCode !== null || Date.now() - t0 > 10_000) return null;
      await new Promise((r) => setTimeout(r, 20));
    }
    for (let i = 0; i < k; i++) await claimTask(ctx, `counted-${i}`);
    tracer.kill('SIGINT');
    await gone;
    return fs.readFileSync(trace, 'utf8').split('\n').filter((l) => /execve\(.*\) = 0$/.test(l)).length / k;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  } finally {
    await served?.close();
    rmSync(root, { recursive: true, force: true });
  }
}

const load = () => os.loadavg()[0]!.toFixed(1);

/** Local path, served HTTP and served HTTP pushed by git, alternating per N so all see the same machine load; `reps` runs each. */
async function transports(ns: number[], per: number, reps: number): Promise<number> {
  const rows: string[][] = [];
  let ok = true;
  const ways: Transport[] = ['local', 'http', 'http-git'];
  const procs: (number | null)[] = [];
  for (const t of ways) procs.push(await programsPerClaim(t, 4)); // one tracer at a time: each attaches to this process
  const shownProcs = procs.some((p) => p === null) ? 'n/a (no strace)' : procs.map((p) => p!.toFixed(0)).join(' / ');
  for (const n of ns) {
    const loadBefore = load();
    const med: Record<Transport, number[]> = { local: [], http: [], 'http-git': [] };
    const retries: Record<Transport, number[]> = { local: [], http: [], 'http-git': [] };
    for (let r = 0; r < reps; r++) {
      for (const t of ways) {
        const x = await contenders(n, per, t);
        ok &&= x.doubles === 0;
        med[t].push(median(x.won.map((w) => w.ms)));
        retries[t].push(x.won.reduce((s, w) => s + w.attempts - 1, 0) / Math.max(1, x.won.length));
        process.stderr.write(`  N=${n} ${t} run ${r + 1}: median ${med[t].at(-1)!.toFixed(0)} ms\n`);
      }
    }
    const ratios = (t: Transport) => med[t].map((x, i) => x / med.local[i]!);
    rows.push([
      String(n),
      ...ways.map((t) => median(med[t]).toFixed(0)),
      ways.map((t) => median(retries[t]).toFixed(2)).join(' / '),
      `${median(ratios('http')).toFixed(2)}x`,
      ratios('http').map((x) => x.toFixed(2)).join(' '),
      `${median(ratios('http-git')).toFixed(2)}x`,
      shownProcs,
      `${loadBefore}-${load()}`,
    ]);
  }
  process.stdout.write(`claims over the served upstream (smart HTTP: the harness server running upload-pack/receive-pack, a token each, the pre-receive policy) against the local path, ${per} claims per contender, ${reps} runs each, local, http and http-git alternating:\n`);
  process.stdout.write(table(['N', 'local median ms', 'http median ms', 'http-git median ms', 'retries/claim local / http / http-git', 'http/local (median of runs)', 'per run', 'http-git/local', 'programs/claim local / http / http-git', 'load'], rows) + '\n');
  process.stdout.write('http: the harness pushes over HTTP itself; http-git: the same, pushed by git push (HARNESS_PUSH_WITH_GIT=1)\n');
  process.stdout.write('programs/claim: every program started for one uncontended claim, client and server together (strace -f -e execve); load: 1-minute load average before and after, on 2 cores\n');
  process.stdout.write('target: at N=16 http is at most 1.5x the local path; double claims must be 0\n');
  return ok ? 0 : 1;
}

export async function run(args: string[]): Promise<number> {
  const ti = args.indexOf('--transport');
  if (ti >= 0) {
    const t = args[ti + 1];
    if (t !== 'http') {
      process.stderr.write(`bench claims: --transport ${t ?? ''} is not known; use --transport http (it measures http against the local path)\n`);
      return 2;
    }
    return transports(parseList(args, '--n', [1, 4, 16]), parseList(args, '--per', [4])[0]!, parseList(args, '--reps', [5])[0]!);
  }
  const ns = parseList(args, '--n', [1, 4, 16, 64]);
  const per = parseList(args, '--per', [4])[0]!;
  const { root, upstream } = await swarm();
  const floor = median(floorMs(root, upstream, 20));
  rmSync(root, { recursive: true, force: true });
  process.stdout.write(`floor: uncontended git commit && git push of a one-line file: median ${floor.toFixed(1)} ms (20 runs)\n`);
  const whole = await wholeProcess(10);
  process.stdout.write(`whole process: \`harness task claim\` as agents run it (node start-up included), uncontended: median ${whole.toFixed(0)} ms (10 runs) = ${(whole / floor).toFixed(1)}x the floor\n`);
  const rows: string[][] = [];
  let ok = true;
  for (const n of ns) {
    const r = await contenders(n, per);
    const ms = r.won.map((w) => w.ms);
    const med = median(ms);
    const retries = r.won.reduce((s, w) => s + w.attempts - 1, 0) / Math.max(1, r.won.length);
    ok &&= r.doubles === 0;
    const procs = r.won.reduce((s, w) => s + w.procs, 0) / Math.max(1, r.won.length);
    rows.push([String(n), String(r.won.length), (r.won.length / (r.wall / 1000)).toFixed(1), med.toFixed(0), percentile(ms, 95).toFixed(0), retries.toFixed(2), procs.toFixed(1), String(r.doubles), `${(med / floor).toFixed(1)}x`]);
    process.stderr.write(`  N=${n} done\n`);
  }
  process.stdout.write(table(['N', 'claims', 'claims/s', 'median ms', 'p95 ms', 'retries/claim', 'git procs/claim', 'double claims', 'median/floor'], rows) + '\n');
  process.stdout.write('target: at N=16 the median claim is at most 5x the floor; double claims must be 0\n');
  process.stdout.write('git procs/claim: git processes a claim starts (the clone is checked by `harness task claim` itself, one more), retries included\n\n');
  const lrows = [...(await listing(50, 2000))];
  process.stdout.write('reading and writing upstream objects: isomorphic-git in-process vs git processes (2000 files of history, 50 locks), median of 15:\n');
  process.stdout.write(table(['operation', 'locks', 'isomorphic-git ms', 'git processes ms', 'git/iso'], lrows) + '\n');
  return ok ? 0 : 1;
}
