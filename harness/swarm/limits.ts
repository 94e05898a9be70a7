// Resource limits for every session (--cpus, --memory, --pids-limit), as people type them.
// Pure: each parser names where the bad value came from, in one line, as a UsageError
// (exit 2), before anything is written. docker/podman apply the result; bwrap and process
// cannot (see harness/sandbox/README.md), and the run says so when limits are set there.
import { UsageError } from '../kit/errors.js';
import type { SandboxKind, SessionSpec } from '../sandbox/types.js';

export type Limits = SessionSpec['limits'];

const MIB_PER: Record<string, number> = { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 };
/** docker refuses a memory limit under 6 MiB */
export const MIN_MEMORY_MB = 6;

/** `512m`, `2g`, `1.5GiB`, `2048MB` -> MiB. A bare number is refused: bytes or MiB is a guess. */
export function parseMemory(v: unknown, from: string): number {
  const s = typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '';
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt])(?:i?b)?$/i.exec(s);
  if (!m) throw new UsageError('BAD_LIMIT', `${from}: ${JSON.stringify(v)} is not a memory size; write it with a unit, like 512m or 2g`);
  const mb = Math.round(Number(m[1]) * MIB_PER[m[2]!.toLowerCase()]!);
  if (mb < MIN_MEMORY_MB) throw new UsageError('BAD_LIMIT', `${from}: ${s} is below the ${MIN_MEMORY_MB}m that containers need to start`);
  return mb;
}

/** A CPU share like docker's --cpus: 0.5, 2, 1.25 (hundredths at most). */
export function parseCpus(v: unknown, from: string): number {
  const n = typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0.01 || n > 1024) {
    throw new UsageError('BAD_LIMIT', `${from}: ${JSON.stringify(v)} is not a number of CPUs from 0.01 to 1024, like 0.5 or 2`);
  }
  return Math.round(n * 100) / 100;
}

/** At most this many processes (and threads) in a session. */
export function parsePids(v: unknown, from: string): number {
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 8 || n > 4_194_304) {
    throw new UsageError('BAD_LIMIT', `${from}: ${JSON.stringify(v)} is not a whole number of processes from 8 to 4194304`);
  }
  return n;
}

/** The one line a run prints when limits were asked for where they cannot be applied, else null. */
export function unappliedLimitsNote(kind: SandboxKind, limits: Limits): string | null {
  if (kind === 'docker' || kind === 'podman') return null;
  const set = [limits.cpus !== undefined && '--cpus', limits.memoryMb !== undefined && '--memory', limits.pids !== undefined && '--pids-limit'].filter(Boolean);
  if (!set.length) return null;
  return `note: the ${kind} sandbox cannot apply ${set.join(', ')} (no cgroup of its own); use --sandbox docker or podman to hold sessions to limits`;
}
