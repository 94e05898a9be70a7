// A read-only copy of an upstream reached by URL, kept in the swarm folder, so that
// `harness status` and `harness report` read git facts locally wherever the upstream is.
// The mirror is the harness's own (made here, never mounted into a sandbox), and git runs
// in it with hooks and fsmonitor off: nothing fetched can run on this host.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { EnvError } from '../kit/errors.js';
import { withGitConfig } from './config-env.js';
import { Git, gitReason } from '../kit/git.js';

/** A URL (scheme://...) or scp-like host:path, as opposed to a local path. */
export function isUrl(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^[^/]+@[^/]+:/.test(s);
}

const SAFE: [string, string][] = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
];

/** Brings `dir` up to date with `url` (every ref, pruned); makes it on first use. Returns its path. */
export async function syncMirror(url: string, dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const safe = withGitConfig(env, SAFE);
  if (!existsSync(path.join(dir, 'objects'))) {
    mkdirSync(path.dirname(dir), { recursive: true });
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    const r = await new Git(path.dirname(dir), safe).run(['clone', '--quiet', '--mirror', url, tmp]);
    if (r.code !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      throw new EnvError('UPSTREAM_UNREACHABLE', `cannot copy ${url} into ${dir}: ${gitReason(r)}; check the URL and your credentials for it`);
    }
    renameSync(tmp, dir);
    return dir;
  }
  const g = new Git(dir, safe);
  await g.run(['remote', 'set-url', 'origin', url]);
  const r = await g.run(['fetch', '--quiet', '--prune', 'origin']);
  if (r.code !== 0) throw new EnvError('UPSTREAM_UNREACHABLE', `cannot fetch ${url} into ${dir}: ${gitReason(r)}; check the URL and your credentials for it`);
  return dir;
}
