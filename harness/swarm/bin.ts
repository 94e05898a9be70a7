// The commands a session finds on its PATH: `harness` and `test-oracle`, as small wrapper
// scripts in DIR/bin that run this package's executables with this node. The folder, the
// package, its node_modules (often a symlink elsewhere) and node itself are mounted
// read-only into sandboxes, at the same paths, so the wrappers work inside too.
import { chmodSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../kit/paths.js';
import type { Mount } from '../sandbox/types.js';
import { shq } from '../kit/shell.js';

const SYSTEM = ['/usr', '/bin', '/sbin', '/lib', '/lib64', '/etc'];

export function writeBinDir(binDir: string, node = process.execPath): string {
  mkdirSync(binDir, { recursive: true });
  for (const [name, script] of [['harness', 'dist/harness.js'], ['test-oracle', 'dist/test-oracle.js']] as const) {
    const file = path.join(binDir, name);
    // A container image has its own node, maybe elsewhere: fall back to the one on PATH.
    const js = shq(path.join(PACKAGE_ROOT, script));
    writeFileSync(file, `#!/bin/sh\nif [ -x ${shq(node)} ]; then exec ${shq(node)} ${js} "$@"; fi\nexec node ${js} "$@"\n`);
    chmodSync(file, 0o755);
  }
  return binDir;
}

/** What a sandbox must see read-only for the wrappers to run. */
export function toolMounts(binDir: string, node = process.execPath): Mount[] {
  const paths = new Set<string>([binDir, PACKAGE_ROOT]);
  try {
    paths.add(realpathSync(path.join(PACKAGE_ROOT, 'node_modules')));
  } catch {
    /* no node_modules: the wrappers will say so */
  }
  const nodeDir = path.dirname(realpathSync(node));
  if (!SYSTEM.some((s) => nodeDir === s || nodeDir.startsWith(s + '/'))) paths.add(path.dirname(nodeDir)); // e.g. ~/.nvm/versions/node/v20/
  return [...paths].map((p) => ({ path: p, mode: 'ro' as const }));
}

