// podman, for real, through the same implementation as docker with the other binary:
// private storage (test/helpers/podman.ts), the same local image, the same contract and
// isolation tests, and the limits. Skipped only when podman is not installed.
import { afterAll, describe, expect, it } from 'vitest';
import { sandboxFor } from '../harness/sandbox/index.js';
import { buildTestImage, type TestImage } from './helpers/docker-image.js';
import { privatePodman, type PodmanOrReason } from './helpers/podman.js';
import { contractTests } from './helpers/sandbox-contract.js';
import { makeFixture } from './helpers/sandbox-fixture.js';
import { isolationTests } from './helpers/sandbox-isolation.js';

const pm: PodmanOrReason = await privatePodman();
const image: TestImage | undefined = pm.ok ? await buildTestImage(pm.podman) : undefined;
afterAll(async () => {
  if (pm.ok) await pm.podman.stop();
});

describe.skipIf(!pm.ok)(pm.ok ? 'podman sandbox (private storage)' : `podman sandbox: SKIPPED, ${pm.reason}`, () => {
  const podman = () => sandboxFor('podman', { globalArgs: pm.ok ? pm.podman.globalArgs : [], image: image!.image, extraMounts: image!.mounts, network: 'host' });

  it('check() passes', async () => {
    await podman().check();
  });
  describe('contract', () => contractTests(podman));
  describe('isolation', () => isolationTests(podman));

  it("applies limits: the container's cgroup holds them", async () => {
    const f = makeFixture();
    try {
      const cg = (v2: string, v1: string) => `cat /sys/fs/cgroup/${v2} 2>/dev/null || cat /sys/fs/cgroup/${v1}`;
      const spec = f.spec({
        argv: ['sh', '-c', `echo "pids=$(${cg('pids.max', 'pids/pids.max')}) mem=$(${cg('memory.max', 'memory/memory.limit_in_bytes')}) cpu=$(${cg('cpu.max', 'cpu/cpu.cfs_quota_us')})"`],
        limits: { cpus: 0.5, memoryMb: 256, pids: 64 },
      });
      expect((await (await podman().start(spec)).exited).code).toBe(0);
      expect(f.log()).toMatch(new RegExp(`pids=64 mem=${256 * 1024 * 1024} cpu=50000\\b`));
    } finally {
      f.cleanup();
    }
  });
});
