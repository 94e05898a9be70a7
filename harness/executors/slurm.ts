// Sessions as Slurm jobs: each session is one `srun` (its own allocation, one task), so its
// output streams back and its exit is the agent's. Slurm enforces the time limit (--time
// from --session-timeout, rounded up to whole minutes); stopping a session starts
// by closing its channel (the entrypoint stops the agent and saves its work), and cancels
// the job if it is still there after the grace period; stopping the swarm cancels its jobs.
import { UsageError } from '../kit/errors.js';
import { lastLine, runTool } from '../sandbox/common.js';
import type { SessionExit } from '../sandbox/types.js';
import { remoteSandbox, type RemoteOptions, type Transport } from './remote.js';
import type { Executor } from './types.js';

export interface SlurmOptions {
  partition: string | null;
  /** extra srun arguments, split on spaces (no shell) */
  args: string[];
  /** the run's tag: job names are harness-<tag>-<agent>-s<session> */
  remote: Omit<RemoteOptions, 'transport'>;
  env: NodeJS.ProcessEnv;
}

/** `--slurm-args "--mem=4G --cpus-per-task=2"` -> words; quotes are refused (there is no shell to honour them). */
export function parseSlurmArgs(v: string | null, from = '--slurm-args'): string[] {
  if (v === null) return [];
  if (/["'\\$`;&|<>]/.test(v)) throw new UsageError('BAD_SLURM_ARGS', `${from}: ${JSON.stringify(v)} has shell characters; give plain srun options separated by spaces, e.g. "--mem=4G --cpus-per-task=2"`);
  const words = v.trim().split(/\s+/).filter(Boolean);
  for (const w of words) if (!w.startsWith('-')) throw new UsageError('BAD_SLURM_ARGS', `${from}: "${w}" is not an srun option (they start with -)`);
  return words;
}

/** Slurm counts time limits in minutes: a session timeout becomes its whole minutes, rounded up. */
export function slurmMinutes(ms: number): number {
  return Math.max(1, Math.ceil(ms / 60_000));
}

export function srunArgs(o: Pick<SlurmOptions, 'partition' | 'args'>, timeoutMs: number, name: string): string[] {
  return ['srun', `--job-name=${name}`, '--nodes=1', '--ntasks=1', `--time=${slurmMinutes(timeoutMs)}`, '--quiet', '--kill-on-bad-exit=1', ...(o.partition ? [`--partition=${o.partition}`] : []), ...o.args];
}

export function slurmExecutor(o: SlurmOptions): Executor {
  const names = new Set<string>();
  const scancel = async (args: string[]) => void (await runTool('scancel', args, o.env, 30_000));
  return {
    kind: 'slurm',
    placeOf: () => `slurm${o.partition ? `:${o.partition}` : ''}`,
    check: async () => {
      const r = await runTool('sinfo', ['--noheader', '--format=%P %a %D %t', ...(o.partition ? [`--partition=${o.partition}`] : [])], o.env, 30_000);
      if (r.missing) throw new UsageError('EXECUTOR_MISSING', 'sinfo/srun are not installed here: apt-get install slurm-client (and point it at your cluster)');
      if (r.code !== 0 || !r.stdout.trim()) throw new UsageError('SLURM_UNUSABLE', `Slurm does not answer here (${lastLine(r.stderr) || 'no partition listed'}); check slurm.conf and that slurmctld runs`);
    },
    sandbox: (r) => {
      const transport: Transport = {
        env: o.env,
        command: (argv, name) => (names.add(name), [...srunArgs(o, o.remote.timeoutMs, name), ...argv]),
        entryTimeout: () => 0,
        cancel: (name) => scancel([`--name=${name}`]),
        after: async (name, jobId): Promise<Partial<SessionExit>> => {
          names.delete(name);
          if (!jobId) return {};
          // srun returns while the job may still be completing: wait for its final state a little
          for (let i = 0; i < 20; i++) {
            const s = await runTool('scontrol', ['show', 'job', '-o', jobId], o.env, 30_000);
            const state = /JobState=(\w+)/.exec(s.stdout)?.[1];
            if (state === 'TIMEOUT') return { timedOut: true };
            if (state !== 'RUNNING' && state !== 'COMPLETING' && state !== 'PENDING') return {};
            await new Promise((r) => setTimeout(r, 500));
          }
          return {};
        },
      };
      return remoteSandbox({ ...o.remote, transport }, r);
    },
    close: async () => {
      for (const n of names) await scancel([`--name=${n}`]);
    },
  };
}
