// Sessions left running by a supervisor that was killed.
import { readFileSync, rmSync } from 'node:fs';

/**
 * A session whose supervisor was kill -9'd keeps running in its own process group. Before
 * its workspace is saved and reset, the new supervisor ends it, so nothing writes there
 * while it is being saved. (A container outlives its killed client: see the docker sandbox.)
 */
export async function killOrphan(file: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return;
  }
  rmSync(file, { force: true });
  if (!Number.isInteger(pid) || pid <= 1) return;
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 20));
}
