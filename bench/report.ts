// `npm run bench -- report [--sessions 2000] [--commits-per-session 10]`: the morning
// report and `harness status` on a big synthetic history (default 2,000 sessions and
// 20,000 commits on 16 agents, an oracle record on every 10th commit), built with git
// fast-import. Targets: the report in under 10 s and under 5 MB; status in under 1 s.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Io } from '../harness/kit/cli-kit.js';
import { writeReport } from '../harness/commands/report.js';
import { statusText } from '../harness/commands/status.js';
import { PACKAGE_ROOT } from '../harness/kit/paths.js';
import { synthSwarm } from '../test/helpers/recorded-swarm.js';
import { median, table } from './_stats.js';

function arg(args: string[], flag: string, dflt: number): number {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : dflt;
}

export async function run(args: string[]): Promise<number> {
  const sessions = arg(args, '--sessions', 2000);
  const perSession = arg(args, '--commits-per-session', 10);
  const root = mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
  try {
    let t = performance.now();
    const s = synthSwarm(root, { agents: 16, sessions, commitsPerSession: perSession, notesEvery: 10, crashEvery: 9, reapEvery: 3, sessionMs: 25 * 60_000, tests: 200, t0: Date.UTC(2026, 0, 10, 20, 0), maxCostUsd: 5000 });
    const buildS = (performance.now() - t) / 1000;
    process.stdout.write(`history: ${s.sessions} sessions, ${s.commits} commits, ${s.notes} oracle records (built in ${buildS.toFixed(1)} s with git fast-import)\n`);

    const io: Io = { env: process.env, cwd: root, now: () => new Date(), hostname: () => 'bench', out: () => {}, err: (l) => process.stderr.write(l + '\n') };
    const out = path.join(root, 'report.html');
    const reportMs: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      bytes = (await writeReport(s.dir, out, io)).bytes;
      reportMs.push(performance.now() - t);
    }
    const statusMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      t = performance.now();
      await statusText(s.dir, io, false);
      statusMs.push(performance.now() - t);
    }
    // The whole command as a person runs it: node start, tsx, git, print.
    const cliMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      execFileSync(process.execPath, [path.join(PACKAGE_ROOT, 'bin/harness.js'), 'status', '--dir', s.dir], { stdio: 'ignore' });
      cliMs.push(performance.now() - t);
    }
    const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    process.stdout.write(
      table(
        ['measure', 'median', 'target'],
        [
          ['report (in-process)', sec(median(reportMs)), '< 10 s'],
          ['report size', `${(bytes / 1024 / 1024).toFixed(2)} MB`, '< 5 MB'],
          ['status (in-process)', sec(median(statusMs)), '< 1 s'],
          ['harness status (process)', sec(median(cliMs)), '< 1 s'],
        ],
      ) + '\n',
    );
    return 0;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
