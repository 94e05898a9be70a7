// docker, for real: a private dockerd this file starts and stops (test/helpers/dockerd.ts)
// and an image made from local files (test/helpers/docker-image.ts). The same contract and
// isolation tests as bwrap, then what only containers have: limits, --rm, the env file.
// Skipped only when dockerd is not installed or cannot start; CI installs it (.ci/run).
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvError, EXIT } from '../harness/kit/errors.js';
import { dockerSandbox, type DockerOptions } from '../harness/sandbox/docker.js';
import { sandboxFor } from '../harness/sandbox/index.js';
import { dockerFixture } from './helpers/docker-image.js';
import { contractTests } from './helpers/sandbox-contract.js';
import { HANDSHAKE, makeFixture, pidsWithArgv, token, waitFor } from './helpers/sandbox-fixture.js';
import { isolationTests } from './helpers/sandbox-isolation.js';

const { client, daemon, image } = await dockerFixture();

const title = daemon.ok ? 'docker sandbox (private dockerd)' : `docker sandbox: SKIPPED, ${daemon.reason}`;

describe.skipIf(!daemon.ok)(title, () => {
  const d = daemon.ok ? daemon.dockerd : undefined!;
  const opts = (extra: DockerOptions = {}): DockerOptions => ({ host: d.host, image: image!.image, extraMounts: image!.mounts, ...extra });
  const docker = () => sandboxFor('docker', opts());
  const inspect = async (name: string, format: string) => (await d.run(['inspect', '--format', format, name])).stdout.trim();
  const containers = async (name: string) => (await d.run(['ps', '--all', '--quiet', '--filter', `label=harness.session=${name}`])).stdout.trim();

  it('check() passes', async () => {
    await docker().check();
  });
  describe('contract', () => contractTests(docker));
  describe('isolation', () => isolationTests(docker));

  it("applies limits: docker inspect shows them and the container's cgroup holds them", async () => {
    const f = makeFixture();
    try {
      const spec = f.spec({ argv: ['sh', '-c', HANDSHAKE], limits: { cpus: 0.5, memoryMb: 256, pids: 64 } });
      const s = await docker().start(spec);
      await waitFor(() => readdirSync(f.ws).includes('.ready'), 30_000, 'the container');
      expect(await inspect(spec.name, '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}')).toBe(`500000000 ${256 * 1024 * 1024} 64`);
      await s.stop(0);

      // And the kernel enforces them: the container's own cgroup (v1 or v2 layout) says so.
      const cg = (v2: string, v1: string) => `cat /sys/fs/cgroup/${v2} 2>/dev/null || cat /sys/fs/cgroup/${v1}`;
      const read = f.spec({
        argv: ['sh', '-c', `echo "pids=$(${cg('pids.max', 'pids/pids.max')}) mem=$(${cg('memory.max', 'memory/memory.limit_in_bytes')}) cpu=$(${cg('cpu.max', 'cpu/cpu.cfs_quota_us')})"`],
        limits: { cpus: 0.5, memoryMb: 256, pids: 64 },
      });
      expect((await (await docker().start(read)).exited).code).toBe(0);
      expect(f.log()).toMatch(new RegExp(`pids=64 mem=${256 * 1024 * 1024} cpu=50000\\b`));
    } finally {
      f.cleanup();
    }
  });

  it('secrets: the env file is gone before the agent runs; not in argv, docker inspect Args or the daemon log', async () => {
    const f = makeFixture();
    try {
      const secretsDir = path.join(f.root, 'secrets');
      mkdirSync(secretsDir);
      const secret = `sk-docker-${token()}`;
      const spec = f.spec({ argv: ['sh', '-c', HANDSHAKE], secrets: { API_KEY: secret } });
      const s = await dockerSandbox(opts({ secretsDir })).start(spec);
      expect(readdirSync(secretsDir)).toEqual([]); // removed before start() returned
      await waitFor(() => readdirSync(f.ws).includes('.ready'), 30_000, 'the container');
      expect(pidsWithArgv(secret)).toEqual([]);
      expect(await inspect(spec.name, '{{.Path}} {{json .Args}}')).not.toContain(secret);
      // Known and documented: the container's configuration holds it, for those who can reach the daemon.
      expect(await inspect(spec.name, '{{json .Config.Env}}')).toContain(`API_KEY=${secret}`);
      await s.stop(0);
      expect(readFileSync(path.join(d.dir, 'dockerd.log'), 'utf8')).not.toContain(secret);
      expect(f.log()).not.toContain(secret);
    } finally {
      f.cleanup();
    }
  });

  it('removes the container when the session ends, and when its client is killed', async () => {
    const f = makeFixture();
    try {
      const done = f.spec({ argv: ['true'] });
      await (await docker().start(done)).exited;
      const killed = f.spec({ argv: ['sh', '-c', HANDSHAKE] });
      const s = await docker().start(killed);
      await waitFor(() => readdirSync(f.ws).includes('.ready'), 30_000, 'the container');
      process.kill(s.pid, 'SIGKILL');
      expect((await s.exited).signal).toBe('SIGKILL');
      for (const name of [done.name, killed.name]) {
        const deadline = Date.now() + 20_000;
        while ((await containers(name)) !== '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
        expect(await containers(name)).toBe('');
      }
    } finally {
      f.cleanup();
    }
  });

  it('check() names the image build command when the image is missing', async () => {
    const err = await dockerSandbox(opts({ image: 'no-such-image:1' })).check().catch((e: unknown) => e);
    expect((err as EnvError).code).toBe('SANDBOX_IMAGE_MISSING');
    expect((err as EnvError).message).toContain('scripts/build-image.sh');
  });

  it('network=true means the host network on a daemon without a bridge', async () => {
    const f = makeFixture();
    try {
      const spec = f.spec({ argv: ['sh', '-c', HANDSHAKE] });
      const s = await docker().start(spec);
      await waitFor(() => readdirSync(f.ws).includes('.ready'), 30_000, 'the container');
      expect(await inspect(spec.name, '{{.HostConfig.NetworkMode}}')).toBe('host');
      await s.stop(0);
    } finally {
      f.cleanup();
    }
  });
});

describe('docker/podman unavailable', () => {
  it('a missing client is exit 4 naming the package', async () => {
    for (const [kind, pkg] of [['docker', 'docker.io'], ['podman', 'podman']] as const) {
      const err = await dockerSandbox({ binary: `/nonexistent/${kind}` }, kind).check().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EnvError);
      expect((err as EnvError).exitCode).toBe(EXIT.env);
      expect((err as EnvError).message).toContain(`apt-get install ${pkg}`);
    }
  });

  it.skipIf(!client)('a client with no daemon behind it says how to start one or set DOCKER_HOST', async () => {
    const err = await dockerSandbox({ host: 'unix:///nonexistent/docker.sock' }).check().catch((e: unknown) => e);
    expect((err as EnvError).code).toBe('DOCKER_DAEMON_UNREACHABLE');
    expect((err as EnvError).exitCode).toBe(EXIT.env);
    expect((err as EnvError).message).toMatch(/dockerd|systemctl start docker/);
    expect((err as EnvError).message).toContain('DOCKER_HOST');
  });
});
