// `npm run bench -- startup [--reps 15] [--before DIR]`: what an agent pays per call of
// the CLIs, as whole processes, side by side in one run, each a ratio to `node -e 1`:
// --version, --help, `task list` in a clone with 50 locks, `test-oracle run --fast` on 10
// trivial tests, and one uncontended `task claim` against node's start plus the floor of
// a plain `git commit && git push`. Cases are interleaved rep by rep so machine noise hits
// all alike. --before REV (a commit of this repo, exported and built in a temporary
// folder) or --before DIR (another checkout, `npm install`ed) runs the same cases with
// that version's bin/ in the same run: the before/after of a change.
// Targets: --version and --help <= 2x `node -e 1`; claim <= 2x (node -e 1 + floor).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../harness/kit/paths.js';
import { median, table } from './_stats.js';

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'b',
    GIT_AUTHOR_EMAIL: 'b@b',
    GIT_COMMITTER_NAME: 'b',
    GIT_COMMITTER_EMAIL: 'b@b',
    HARNESS_AGENT: 'bench',
    ...extra,
  };
}
const git = (cwd: string, ...a: string[]) => execFileSync('git', a, { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

/** Commands an older build refused (`--version` before it existed): timed all the same, and said. */
const refused = new Set<string>();

function timeOne(cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status === 2 && args[1] === '--version') refused.add(`${args[0]} ${args[1]}`);
  else if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}) in ${cwd}: ${r.stderr}`);
  return ms;
}

interface Variant {
  name: string;
  harness: string;
  oracle: string;
}

/** Two upstreams: one holding exactly 50 locks (for listing), one for claims and the floor. */
function setup(root: string, v: Variant) {
  const mk = (name: string) => {
    const dir = path.join(root, name);
    execFileSync(process.execPath, [v.harness, 'init', '--dir', dir], { env: env(), stdio: 'ignore' });
    return path.join(dir, 'upstream.git');
  };
  const listUp = mk('list-swarm');
  const list = path.join(root, 'list');
  git(root, 'clone', '-q', listUp, list);
  mkdirSync(path.join(list, 'current_tasks'), { recursive: true });
  for (let i = 0; i < 50; i++) {
    writeFileSync(path.join(list, 'current_tasks', `t${i}.txt`), `Task: t${i}\nAgent: agent-${i % 16}\nClaimed: 2026-01-01T00:00:00Z\n\nworking on t${i}\n`);
  }
  // The oracle's suite: 10 trivial tests.
  mkdirSync(path.join(list, 'suite', 't'), { recursive: true });
  for (let i = 0; i < 10; i++) writeFileSync(path.join(list, 'suite', 't', `t${i}.sh`), 'exit 0\n');
  writeFileSync(path.join(list, 'suite', 'test-oracle.json'), JSON.stringify({ tests: 't', command: 'sh {test}' }));
  git(list, 'add', '-A');
  git(list, 'commit', '-qm', '50 locks and a suite');
  git(list, 'push', '-q', 'origin', 'HEAD:main');
  const claimUp = mk('claim-swarm');
  const claim = path.join(root, 'claim');
  git(root, 'clone', '-q', claimUp, claim);
  return { list, suite: path.join(list, 'suite'), claim, claimUp };
}

/** DIR as given, or REV exported from this repo into ROOT/before-src and built there. */
function beforeTree(what: string, root: string): string {
  if (existsSync(path.join(path.resolve(what), 'bin/harness.js'))) return path.resolve(what);
  const rev = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${what}^{commit}`], { cwd: PACKAGE_ROOT, encoding: 'utf8' }).stdout.trim();
  if (!rev) throw new Error(`--before ${what}: neither a folder with bin/harness.js nor a commit of ${PACKAGE_ROOT}`);
  const dir = path.join(root, 'before-src');
  mkdirSync(dir);
  execFileSync('sh', ['-c', 'git archive "$1" | tar -x -C "$2"', 'sh', rev, dir], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  symlinkSync(path.join(PACKAGE_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  if (existsSync(path.join(dir, 'scripts/build.mjs'))) execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: dir, stdio: 'inherit' });
  process.stderr.write(`before: ${rev.slice(0, 7)}, built in ${dir}\n`);
  return dir;
}

export async function run(args: string[]): Promise<number> {
  const i = args.indexOf('--reps');
  const reps = i >= 0 ? Number(args[i + 1]) : 15;
  const b = args.indexOf('--before');
  const variants: Variant[] = [{ name: 'now', harness: path.join(PACKAGE_ROOT, 'dist/harness.js'), oracle: path.join(PACKAGE_ROOT, 'dist/test-oracle.js') }];
  if (!existsSync(variants[0]!.harness)) throw new Error('dist/ is not built: run npm run build');
  const root = mkdtempSync(path.join(os.tmpdir(), 'bench-startup-'));
  try {
    if (b >= 0) {
      const dir = beforeTree(args[b + 1] ?? '', root);
      variants.push({ name: 'before', harness: path.join(dir, 'bin/harness.js'), oracle: path.join(dir, 'bin/test-oracle.js') });
    }
    const places = variants.map((v) => {
      mkdirSync(path.join(root, v.name));
      return setup(path.join(root, v.name), v);
    });
    // Floor: a plain commit and push of a one-line file, on a branch of its own.
    const floorDir = path.join(root, 'floor');
    git(root, 'clone', '-q', places[0]!.claimUp, floorDir);
    const node = process.execPath;
    type Case = { name: string; run: (v: Variant, k: number, rep: number) => number };
    const cases: Case[] = [
      { name: 'node -e 1', run: () => timeOne(node, ['-e', '1'], root) },
      { name: 'harness --version', run: (v) => timeOne(node, [v.harness, '--version'], root) },
      { name: 'harness --help', run: (v) => timeOne(node, [v.harness, '--help'], root) },
      { name: 'test-oracle --version', run: (v) => timeOne(node, [v.oracle, '--version'], root) },
      { name: 'harness task list (50 locks)', run: (v, k) => timeOne(node, [v.harness, 'task', 'list'], places[k]!.list) },
      { name: 'test-oracle run --fast (10 tests)', run: (v, k) => timeOne(node, [v.oracle, 'run', '--fast', '--seed', 's'], places[k]!.suite) },
      { name: 'harness task claim (uncontended)', run: (v, k, rep) => timeOne(node, [v.harness, 'task', 'claim', `c${rep}`], places[k]!.claim) },
      {
        name: 'floor: git commit && git push',
        run: (_v, _k, rep) => {
          writeFileSync(path.join(floorDir, 'floor.txt'), `line ${rep}\n`);
          git(floorDir, 'add', 'floor.txt');
          return timeOne('git', ['commit', '-qm', `floor ${rep}`], floorDir) + timeOne('git', ['push', '-q', 'origin', 'HEAD:floor'], floorDir);
        },
      },
    ];
    const perVariant = (c: Case) => (c.name.startsWith('node') || c.name.startsWith('floor') ? [variants[0]!] : variants);
    const times = new Map<string, number[]>();
    const key = (c: Case, v: Variant) => `${c.name}|${v.name}`;
    // One untimed round first: the disk cache and git's first-run work are not start-up.
    for (const c of cases) perVariant(c).forEach((v, k) => c.run(v, k, -1));
    for (let rep = 0; rep < reps; rep++) {
      for (const c of cases) {
        perVariant(c).forEach((v, k) => {
          const xs = times.get(key(c, v)) ?? [];
          xs.push(c.run(v, k, rep));
          times.set(key(c, v), xs);
        });
      }
      process.stderr.write(`\r  rep ${rep + 1}/${reps}`);
    }
    process.stderr.write('\n');
    const med = (c: Case, v: Variant) => median(times.get(key(c, v)) ?? []);
    const nodeMs = med(cases[0]!, variants[0]!);
    const floorMs = med(cases[cases.length - 1]!, variants[0]!);
    const head = ['command', ...variants.flatMap((v) => [`${v.name} ms`, `${v.name} / node`])];
    const rows = cases.slice(1, -1).map((c) => [c.name, ...variants.flatMap((v) => [med(c, v).toFixed(0), `${(med(c, v) / nodeMs).toFixed(1)}x`])]);
    // Processes per claim: one more claim each, with every git call traced.
    const procs = variants.map((v, k) => {
      const r = spawnSync(node, [v.harness, 'task', 'claim', 'traced'], { cwd: places[k]!.claim, env: env({ HARNESS_TRACE_GIT: '1' }), encoding: 'utf8' });
      return r.stderr.split('\n').filter((l) => /^git .*: [\d.]+ ms/.test(l)).length;
    });
    process.stdout.write(`startup, median of ${reps} (interleaved), ${os.cpus().length} cores; node -e 1: ${nodeMs.toFixed(0)} ms; floor: ${floorMs.toFixed(0)} ms\n`);
    process.stdout.write(table(head, rows) + '\n');
    const claimCase = cases[cases.length - 2]!;
    for (const [k, v] of variants.entries()) {
      const c = med(claimCase, v);
      process.stdout.write(`${v.name}: claim ${c.toFixed(0)} ms = ${(c / (nodeMs + floorMs)).toFixed(2)}x (node -e 1 + floor = ${(nodeMs + floorMs).toFixed(0)} ms); git processes per claim: ${procs[k]}\n`);
    }
    for (const r of refused) process.stdout.write(`note: ${r} exits 2 there (no --version there); its time is that of the refusal\n`);
    process.stdout.write('targets: --version and --help <= 2x node -e 1; uncontended claim <= 2x (node -e 1 + floor)\n');
    return 0;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
