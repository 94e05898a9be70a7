// A private one-node Slurm cluster for a test: munged with a generated key, slurmctld and
// slurmd with a generated slurm.conf (its own ports and folders, the job-completion log in
// a file), clients pointed at it through SLURM_CONF. stop() cancels every job of this
// cluster, waits for them to end, then stops the daemons by their pids, even on failure.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './net.js';

export interface SlurmFixture {
  env: { SLURM_CONF: string };
  /** the job-completion log (jobcomp/filetxt) */
  jobcomp: string;
  node: string;
  stop(): Promise<void>;
}

export function slurmUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (it runs munged as munge, slurmctld and slurmd)';
  for (const b of ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged', '/usr/sbin/mungekey', '/usr/bin/srun']) if (!existsSync(b)) return `${b} is missing (apt-get install slurm-wlm munge)`;
  return null;
}


const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startSlurm(root: string): Promise<SlurmFixture> {
  const dir = path.join(root, 'slurm');
  const munge = path.join(dir, 'munge');
  for (const d of ['state', 'spool', 'log']) mkdirSync(path.join(dir, d), { recursive: true });
  mkdirSync(munge, { recursive: true });
  chmodSync(root, 0o711); // munged (as munge) must reach its folder
  chmodSync(dir, 0o711);
  const conf = path.join(dir, 'slurm.conf');
  const env = { ...process.env, SLURM_CONF: conf };
  const procs: ChildProcess[] = [];
  const mungedPids: number[] = [];
  const node = os.hostname();
  const jobcomp = path.join(dir, 'log', 'jobcomp.txt');
  const mungePid = path.join(munge, 'munged.pid');
  const kill = (pid: number | undefined) => {
    if (!pid) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  };
  const stop = async () => {
    try {
      // every job of this private cluster is ours
      execFileSync('scancel', ['--user', 'root', '--full'], { env, stdio: 'ignore', timeout: 15_000 });
      for (let i = 0; i < 100; i++) {
        const q = execFileSync('squeue', ['--noheader', '--format=%i'], { env, encoding: 'utf8', timeout: 15_000 });
        if (!q.trim()) break;
        await sleep(200);
      }
    } catch {
      /* the controller is gone already */
    }
    const all = [...procs.reverse().map((p) => p.pid!), ...mungedPids];
    for (const p of all) kill(p);
    // a daemon that has not gone after 5 s (slurmctld saving state with munge gone) is killed
    for (let i = 0; i < 50 && all.some(alive); i++) await sleep(100);
    for (const p of all.filter(alive)) process.kill(p, 'SIGKILL');
  };
  const daemon = (argv: string[]) => {
    const p = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    procs.push(p);
    return () => err;
  };
  try {
    execFileSync('mungekey', ['-c', '-k', path.join(munge, 'munge.key')], { stdio: 'ignore' });
    const uid = Number(execFileSync('id', ['-u', 'munge'], { encoding: 'utf8' }).trim());
    chownSync(munge, uid, 0);
    chownSync(path.join(munge, 'munge.key'), uid, 0);
    chmodSync(munge, 0o711); // not 0700: clients connect to the socket inside
    chmodSync(path.join(munge, 'munge.key'), 0o400);
    const sock = path.join(munge, 'munge.sock');
    daemon(['runuser', '-u', 'munge', '--', 'munged', '-F', `--socket=${sock}`, `--key-file=${path.join(munge, 'munge.key')}`, `--pid-file=${mungePid}`, `--log-file=${path.join(munge, 'munged.log')}`, `--seed-file=${path.join(munge, 'seed')}`]);
    for (let i = 0; !existsSync(sock); i++) {
      if (i > 100) throw new Error('munged did not start');
      await sleep(50);
    }
    // munged -F writes no pid file, and runuser does not pass SIGTERM on: stop munged itself, by its pid
    const ru = procs[procs.length - 1]!.pid!;
    for (const c of readFileSync(`/proc/${ru}/task/${ru}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) mungedPids.push(Number(c));
    const [ctld, slurmd] = [await freePort(), await freePort()];
    writeFileSync(
      conf,
      [
        'ClusterName=hxtest',
        `SlurmctldHost=${node}`,
        'SlurmUser=root',
        `SlurmctldPort=${ctld}`,
        `SlurmdPort=${slurmd}`,
        'AuthType=auth/munge',
        'CredType=cred/munge',
        `AuthInfo=socket=${sock}`,
        `StateSaveLocation=${dir}/state`,
        `SlurmdSpoolDir=${dir}/spool`,
        `SlurmctldPidFile=${dir}/slurmctld.pid`,
        `SlurmdPidFile=${dir}/slurmd.pid`,
        `SlurmctldLogFile=${dir}/log/slurmctld.log`,
        `SlurmdLogFile=${dir}/log/slurmd.log`,
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_Core',
        'AccountingStorageType=accounting_storage/none',
        'JobCompType=jobcomp/filetxt',
        `JobCompLoc=${jobcomp}`,
        'MpiDefault=none',
        'ReturnToService=2',
        // Slurm's default: between a time limit's SIGTERM and its SIGKILL the entry saves the
        // session's work (a wip commit and an HTTP push); 15 s was not always enough on a loaded 2-core machine.
        'KillWait=30',
        'MinJobAge=600',
        `NodeName=${node} CPUs=${Math.max(1, os.cpus().length)} State=UNKNOWN`,
        // 3 slots on a 2-core machine: cores are shared
        `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:8`,
        '',
      ].join('\n'),
    );
    const ctldErr = daemon(['slurmctld', '-D', '-i', '-f', conf]);
    const dErr = daemon(['slurmd', '-D', '-f', conf]);
    for (let i = 0; ; i++) {
      const r = (() => {
        try {
          return execFileSync('sinfo', ['--noheader', '--format=%t'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
        } catch {
          return '';
        }
      })();
      if (r === 'idle') break;
      if (i > 150) throw new Error(`the Slurm node did not come up (sinfo: ${r || 'no answer'}):\n${ctldErr()}\n${dErr()}`);
      await sleep(100);
    }
    return { env: { SLURM_CONF: conf }, jobcomp, node, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The job-completion log's records, as key=value maps. */
export function jobRecords(file: string): Record<string, string>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => Object.fromEntries([...l.matchAll(/(\w+)=(\S*)/g)].map((m) => [m[1]!, m[2]!])));
}
