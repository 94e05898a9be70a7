// `npm run bench -- executors [--n 20]`: session start overhead per executor, from the
// start() call until the agent's command has run (it creates a marker file, seen through
// inotify): a local process, local bwrap, an ssh host (a private sshd on loopback, another
// user) and a Slurm job (a private one-node cluster), interleaved so that machine load hits
// all alike, as ratios to the local process. A remote start includes what its entrypoint
// does before the agent (ship itself, clone or fetch from the served upstream, look for
// leftovers, reset to main); the local path does that in the supervisor before start(),
// which is not counted here.
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { sshExecutor, parseHosts } from '../harness/executors/ssh.js';
import { slurmExecutor } from '../harness/executors/slurm.js';
import type { Executor } from '../harness/executors/types.js';
import { serveSwarm } from '../harness/serve/service.js';
import { runTool } from '../harness/sandbox/common.js';
import { sandboxFor } from '../harness/sandbox/index.js';
import type { Sandbox, SessionSpec } from '../harness/sandbox/types.js';
import { startSlurm, slurmUnavailable } from '../test/helpers/slurm.js';
import { sshUnavailable, startSshd } from '../test/helpers/sshd.js';
import { median, parseList, percentile, table } from './_stats.js';
import { timeToMarker } from './sandbox.js';

export async function run(args: string[]): Promise<number> {
  const [n] = parseList(args, '--n', [20]);
  const root = mkdtempSync(path.join(os.tmpdir(), 'bench-exec-'));
  chmodSync(root, 0o755);
  const stops: (() => Promise<void>)[] = [];
  const notes: string[] = [];
  try {
    const proj = path.join(root, 'proj');
    const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x' };
    execFileSync('git', ['init', '-q', '-b', 'main', proj], { env });
    execFileSync('git', ['-C', proj, 'commit', '-q', '--allow-empty', '-m', 'start'], { env });
    execFileSync('git', ['clone', '-q', '--bare', proj, path.join(root, 'upstream.git')], { env });
    const served = await serveSwarm({ repo: path.join(root, 'upstream.git'), stateDir: path.join(root, 'serve'), env: process.env, allowTestEdits: false, protect: [], allowHost: [] });
    stops.push(() => served.close());
    const marks = path.join(root, 'marks');
    mkdirSync(marks);
    chmodSync(marks, 0o1777); // the ssh "host" is another user
    const remote = (base: string) => ({ base, upstream: served.url, node: 'node', sandbox: 'process' as const, network: 'host' as const, allowHost: [], timeoutMs: 600_000, graceMs: 2000 });
    const kinds = new Map<string, (session: string) => Sandbox>();
    kinds.set('local process', () => sandboxFor('process'));
    if ((await runTool('bwrap', ['--version'])).missing) notes.push('local bwrap: skipped, not installed');
    else kinds.set('local bwrap', () => sandboxFor('bwrap'));
    const remoteKind = (name: string, ex: Executor) => kinds.set(name, (session) => {
      const cred = served.issue('agent-1', session);
      return ex.sandbox({ agent: 'agent-1', session, run: 'bench', gitEnv: cred.salvage, onReport: () => {} });
    });
    const noSsh = sshUnavailable();
    if (noSsh) notes.push(`ssh: skipped, ${noSsh}`);
    else {
      const ssh = await startSshd(root, String(process.pid));
      stops.push(() => ssh.stop());
      remoteKind('ssh', sshExecutor({ hosts: parseHosts('host-a'), dir: root, sshConfig: ssh.config, remote: remote('~/.hxbench'), env: process.env }));
    }
    const noSlurm = slurmUnavailable();
    if (noSlurm) notes.push(`slurm: skipped, ${noSlurm}`);
    else {
      const slurm = await startSlurm(root);
      stops.push(() => slurm.stop());
      remoteKind('slurm', slurmExecutor({ partition: null, args: [], remote: remote(path.join(root, 'nodes')), env: { ...process.env, ...slurm.env } }));
    }
    const slot = path.join(root, 'slot');
    const ws = path.join(slot, 'workspace');
    mkdirSync(ws, { recursive: true });
    const fd = openSync(path.join(root, 'session.log'), 'a');
    let i = 0;
    const once = async (kind: string, make: (session: string) => Sandbox) => {
      const session = String(++i);
      // bwrap's /tmp is its own: local sessions mark in their workspace, remote ones (another user) in a shared folder
      const marker = path.join(kind.startsWith('local') ? ws : marks, `m-${session}`);
      const spec: SessionSpec = { name: `bench-${process.pid}-${session}`, cwd: ws, mounts: [], argv: ['/bin/sh', '-c', `: > ${marker}`], env: { PATH: '/usr/bin:/bin', HOME: path.join(slot, 'home') }, secrets: {}, outputFd: fd, network: true, limits: {} };
      const limit = new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`${kind}: the agent did not run within 60 s (see ${root}/session.log)`)), 60_000).unref());
      return Promise.race([timeToMarker(make(session), spec, marker), limit]);
    };
    const times = new Map<string, number[]>([...kinds.keys()].map((k) => [k, []]));
    try {
      for (const [k, make] of kinds) await once(k, make); // warm up: the first remote session clones
      for (let r = 0; r < n!; r++) for (const [k, make] of kinds) times.get(k)!.push(await once(k, make));
    } finally {
      closeSync(fd);
    }
    const base = median(times.get('local process')!);
    process.stdout.write(`session start overhead: start() until the agent's command has run, ${n} runs each, interleaved (remote: entrypoint shipped, fetch + reset included)\n`);
    process.stdout.write(table(['executor', 'median ms', 'p90 ms', 'vs local process'], [...times].map(([k, xs]) => [k, median(xs).toFixed(1), percentile(xs, 90).toFixed(1), (median(xs) / base).toFixed(1) + 'x'])) + '\n');
    for (const note of notes) process.stdout.write(note + '\n');
    return 0;
  } finally {
    for (const s of stops.reverse()) await s().catch(() => {});
    rmSync(root, { recursive: true, force: true });
  }
}
