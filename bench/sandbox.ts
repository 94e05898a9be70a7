// `npm run bench -- sandbox [--n 20]`: session start overhead, from the start() call until
// the agent's command has run (it creates a marker file, seen through inotify), for the
// process, bwrap, docker and podman sandboxes, interleaved so that machine load hits all
// alike. Docker runs on a private dockerd and podman on private storage, both with the tiny
// local test image (test/helpers/), so the number is the container machinery's cost, not
// an image's size.
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, watch } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTool } from '../harness/sandbox/common.js';
import { sandboxFor } from '../harness/sandbox/index.js';
import type { Sandbox, SandboxKind, SessionSpec } from '../harness/sandbox/types.js';
import { buildTestImage } from '../test/helpers/docker-image.js';
import { startDockerd, type Dockerd } from '../test/helpers/dockerd.js';
import { privatePodman, type PrivatePodman } from '../test/helpers/podman.js';
import { median, parseList, percentile, table } from './_stats.js';

/** Milliseconds from start() until `file` exists. */
export async function timeToMarker(sb: Sandbox, spec: SessionSpec, file: string): Promise<number> {
  const dir = path.dirname(file);
  let seen!: () => void;
  const appeared = new Promise<void>((res) => (seen = res));
  const w = watch(dir, () => existsSync(file) && seen());
  const t0 = performance.now();
  const s = await sb.start(spec);
  if (existsSync(file)) seen();
  await appeared;
  const ms = performance.now() - t0;
  w.close();
  await s.exited;
  return ms;
}

export interface Rig {
  /** the sandboxes that can run here, in the order asked */
  sandboxes: Map<SandboxKind, Sandbox>;
  /** one line per kind that could not run, with the reason */
  notes: string[];
  close: () => Promise<void>;
}

/**
 * The asked-for sandboxes, ready to start sessions: docker on a private dockerd and podman on
 * private storage, both with the tiny local test image. Kinds that cannot run are noted.
 */
export async function sandboxRig(kinds: readonly SandboxKind[]): Promise<Rig> {
  const sandboxes = new Map<SandboxKind, Sandbox>();
  const notes: string[] = [];
  let dockerd: Dockerd | undefined;
  let podman: PrivatePodman | undefined;
  const close = async () => {
    if (dockerd) await dockerd.stop();
    if (podman) await podman.stop();
  };
  try {
    for (const kind of kinds) {
      if (kind === 'process') sandboxes.set('process', sandboxFor('process'));
      if (kind === 'bwrap') {
        if ((await runTool('bwrap', ['--version'])).missing) notes.push('bwrap: skipped, not installed (apt-get install bubblewrap)');
        else sandboxes.set('bwrap', sandboxFor('bwrap'));
      }
      if (kind === 'docker') {
        const d = await startDockerd();
        if (!d.ok) notes.push(`docker: skipped, ${d.reason}`);
        else {
          dockerd = d.dockerd;
          const img = await buildTestImage(dockerd);
          sandboxes.set('docker', sandboxFor('docker', { host: dockerd.host, image: img.image, extraMounts: img.mounts }));
        }
      }
      if (kind === 'podman') {
        const p = await privatePodman();
        if (!p.ok) notes.push(`podman: skipped, ${p.reason}`);
        else {
          podman = p.podman;
          const img = await buildTestImage(podman);
          sandboxes.set('podman', sandboxFor('podman', { globalArgs: podman.globalArgs, image: img.image, extraMounts: img.mounts, network: 'host' }));
        }
      }
    }
    for (const sb of sandboxes.values()) await sb.check();
  } catch (e) {
    await close();
    throw e;
  }
  return { sandboxes, notes, close };
}

/** `n` start-overhead samples per sandbox (ms), interleaved so that machine load hits all alike, after one warm-up each. */
export async function measureStarts(sandboxes: Map<SandboxKind, Sandbox>, n: number): Promise<Map<SandboxKind, number[]>> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'bench-sandbox-'));
  const ws = path.join(root, 'workspace');
  mkdirSync(ws);
  const fd = openSync(path.join(root, 'session.log'), 'a');
  try {
    const times = new Map<SandboxKind, number[]>([...sandboxes.keys()].map((k) => [k, []]));
    let i = 0;
    const once = async (sb: Sandbox) => {
      const marker = path.join(ws, `marker-${i++}`);
      const spec: SessionSpec = { name: `bench-${process.pid}-${i}`, cwd: ws, mounts: [], argv: ['/bin/sh', '-c', `: > ${marker}`], env: { PATH: '/usr/bin:/bin' }, secrets: {}, outputFd: fd, network: true, limits: {} };
      return timeToMarker(sb, spec, marker);
    };
    for (const sb of sandboxes.values()) await once(sb); // warm caches, page in the binaries
    for (let r = 0; r < n; r++) {
      for (const [kind, sb] of sandboxes) times.get(kind)!.push(await once(sb));
    }
    return times;
  } finally {
    closeSync(fd);
    rmSync(root, { recursive: true, force: true });
  }
}

/** Rows of median, p90 and the ratio to `process` (the first kind when process is absent). */
export function overheadRows(times: Map<SandboxKind, number[]>): string[][] {
  const base = median(times.get('process') ?? [...times.values()][0]!);
  return [...times].map(([kind, xs]) => [kind, median(xs).toFixed(1), percentile(xs, 90).toFixed(1), (median(xs) / base).toFixed(1) + 'x']);
}

export const OVERHEAD_HEAD = ['sandbox', 'median ms', 'p90 ms', 'vs process'];

export async function run(args: string[]): Promise<number> {
  const [n] = parseList(args, '--n', [20]);
  const rig = await sandboxRig(['process', 'bwrap', 'docker', 'podman']);
  try {
    const times = await measureStarts(rig.sandboxes, n!);
    process.stdout.write(`session start overhead: start() until the agent's command has run, ${n} runs each, interleaved\n`);
    process.stdout.write(table(OVERHEAD_HEAD, overheadRows(times)) + '\n');
    for (const note of rig.notes) process.stdout.write(note + '\n');
    return 0;
  } finally {
    await rig.close();
  }
}
