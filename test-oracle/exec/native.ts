// Builds launcher.c once per machine (per source version) with the system's C compiler
// and caches the binary. Null when there is no compiler: the Node launcher is used then.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { packageFile } from '../../harness/kit/paths.js';

// Found from the package root: the built CLI runs from dist/, not from this folder.
const SOURCE = packageFile('test-oracle/exec/launcher.c');
let cached: string | null | undefined;

export function nativeLauncher(env: NodeJS.ProcessEnv): string | null {
  if (cached !== undefined) return cached;
  cached = build(env);
  return cached;
}

function build(env: NodeJS.ProcessEnv): string | null {
  const src = readFileSync(SOURCE);
  const hash = createHash('sha1').update(src).update(process.platform + process.arch).digest('hex').slice(0, 12);
  const cc = [env.CC, 'cc', 'gcc', 'clang'].find((c) => c && onPath(c, env.PATH ?? ''));
  // A sandbox may have a read-only home: fall back to the temp folder.
  const dirs = [
    env.TEST_ORACLE_CACHE,
    join(env.XDG_CACHE_HOME || join(env.HOME || tmpdir(), '.cache'), 'test-oracle'),
    join(tmpdir(), `test-oracle-${process.getuid?.() ?? 'u'}`),
  ].filter((d): d is string => !!d);
  for (const dir of dirs) {
    const bin = join(dir, `launcher-${hash}`);
    if (existsSync(bin) && works(bin)) return bin;
    if (!cc) continue;
    // Build beside, then rename: concurrent first runs never see a half-written binary.
    const tmp = `${bin}.${process.pid}.tmp`;
    try {
      mkdirSync(dir, { recursive: true });
      execFileSync(cc, ['-O2', '-o', tmp, SOURCE], { stdio: 'ignore', env: { ...env } });
      renameSync(tmp, bin);
      if (works(bin)) return bin;
    } catch {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // The folder itself is unusable; try the next one.
      }
    }
  }
  return null;
}

/** A cached binary may come from another machine sharing this home: try it once. */
function works(bin: string): boolean {
  try {
    execFileSync(bin, [], { input: '', stdio: ['pipe', 'ignore', 'ignore'], timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

export function onPath(cmd: string, path: string): boolean {
  if (cmd.includes('/')) return existsSync(cmd);
  return path.split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}
