// The smallest image a session can run in, made from local files only (nothing can be
// pulled here): a root filesystem of empty mount points and the host's merged-/usr
// symlinks, imported with `docker import`. The host's /usr and /etc are bind-mounted
// read-only into each session instead of copied, so the image is a few hundred bytes and
// every tool of the host (sh, git, node) works inside at its usual path.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readlinkSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import type { Mount } from '../../harness/sandbox/types.js';
import { tempDir } from './repos.js';
import { afterAll } from 'vitest';
import { runTool } from '../../harness/sandbox/common.js';
import { startDockerd, type Dockerd, type DockerdOrReason } from './dockerd.js';

export const TEST_IMAGE = 'harness-test-rootfs:1';

export interface TestImage {
  image: string;
  /** pass as DockerOptions.extraMounts */
  mounts: Mount[];
}

/** The top-level folders a Debian root has; symlinks are copied, folders mounted from the host. */
const TOP = ['usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'etc'];

export async function buildTestImage(d: Pick<Dockerd, 'run'>, image = TEST_IMAGE): Promise<TestImage> {
  const t = tempDir('harness-rootfs-');
  try {
    const root = path.join(t.dir, 'root');
    const mounts: Mount[] = [];
    for (const dir of ['tmp', 'proc', 'dev', 'sys', 'home', 'root', 'run']) mkdirSync(path.join(root, dir), { recursive: true });
    for (const name of TOP) {
      const host = `/${name}`;
      let st;
      try {
        st = lstatSync(host);
      } catch {
        continue;
      }
      // Docker mounts its init at /sbin/docker-init before the host's /usr arrives, so /sbin
      // must be a real folder in the image, not a link into a bind mount.
      if (name === 'sbin') mkdirSync(path.join(root, name));
      else if (st.isSymbolicLink()) symlinkSync(readlinkSync(host), path.join(root, name));
      else if (st.isDirectory()) mounts.push({ path: host, mode: 'ro' });
    }
    const tar = path.join(t.dir, 'rootfs.tar');
    execFileSync('tar', ['-C', root, '--numeric-owner', '--owner=0', '--group=0', '-cf', tar, '.']);
    const r = await d.run(['import', '--change', 'ENV PATH=/usr/local/bin:/usr/bin:/bin', tar, image]);
    if (r.code !== 0) throw new Error(`docker import failed: ${r.stderr.trim()}`);
    return { image, mounts };
  } finally {
    t.cleanup();
  }
}

/**
 * The docker fixture a test file shares: a private dockerd with the test image, stopped
 * after the file's tests, or the reason there is none (for describe.skipIf).
 */
export async function dockerFixture(): Promise<{ client: boolean; daemon: DockerdOrReason; image: TestImage | undefined }> {
  const client = !(await runTool('docker', ['--version'])).missing;
  const daemon: DockerdOrReason = client ? await startDockerd() : { ok: false, reason: 'the docker client is not installed (apt-get install docker.io)' };
  const image = daemon.ok ? await buildTestImage(daemon.dockerd) : undefined;
  afterAll(async () => {
    if (daemon.ok) await daemon.dockerd.stop();
  });
  return { client, daemon, image };
}
