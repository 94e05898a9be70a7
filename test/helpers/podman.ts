// Podman for tests: daemonless, so "private" means its own storage and run roots in a temp
// folder (vfs, like the private dockerd), passed to every podman call as global options.
// Sessions use the host network: podman's default bridge would edit the host's firewall.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runTool } from '../../harness/sandbox/common.js';
import { unmountUnder } from './dockerd.js';

export interface PrivatePodman {
  globalArgs: string[];
  run: (args: string[]) => ReturnType<typeof runTool>;
  stop: () => Promise<void>;
}

export type PodmanOrReason = { ok: true; podman: PrivatePodman } | { ok: false; reason: string };

export async function privatePodman(): Promise<PodmanOrReason> {
  if ((await runTool('podman', ['--version'])).missing) return { ok: false, reason: 'podman is not installed (apt-get install podman catatonit)' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'the podman tests run rootful podman and need root' };
  const dir = mkdtempSync(path.join('/tmp', 'hp-'));
  const globalArgs = ['--root', `${dir}/root`, '--runroot', `${dir}/run`, '--tmpdir', `${dir}/tmp`, '--storage-driver', 'vfs'];
  const run = (args: string[]) => runTool('podman', [...globalArgs, ...args]);
  const stop = async () => {
    await run(['rm', '--all', '--force']);
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 }); // podman's own cleanup may still be writing there (ENOTEMPTY)
  };
  const v = await run(['info', '--format', '{{.Host.OCIRuntime.Name}}']);
  if (v.code !== 0) {
    await stop();
    return { ok: false, reason: `podman does not work here: ${v.stderr.trim().split('\n').pop()}` };
  }
  // `podman info` answers even where its runtime cannot start a container (crun refuses a
  // host in cgroup v1/v2 hybrid mode): run one, from the host's own root, before promising one.
  // with the open-file limit the sandbox passes (this process's own), as it does
  const nofile = /^Max open files\s+(\d+)\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const ulimits = nofile ? ['--ulimit', `nofile=${nofile[1]}:${nofile[2]}`] : [];
  const probe = await run(['run', '--rm', '--network', 'none', ...ulimits, '--ulimit', 'nproc=32768:32768', '--rootfs', '/', '/bin/true']);
  if (probe.code !== 0) {
    await stop();
    return { ok: false, reason: `podman cannot start a container here: ${probe.stderr.trim().split('\n').pop()}` };
  }
  return { ok: true, podman: { globalArgs, run, stop } };
}
