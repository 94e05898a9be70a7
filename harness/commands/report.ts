// `harness report [--dir D] [--out report.html]`: the morning report, one HTML file that
// needs nothing else to open.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { defineCommand, type Io, type Register } from '../kit/cli-kit.js';
import { EnvError } from '../kit/errors.js';
import { loadSwarm, resolveSwarmDir } from '../events/load.js';
import { demoProfile, recordedConflictCounter } from '../swarm/profile.js';
import { renderReport } from '../report/html.js';
import { buildReport } from '../report/model.js';

interface ReportArgs {
  dir?: string;
  out?: string;
}

export async function writeReport(dir: string, out: string, io: Io): Promise<{ bytes: number }> {
  const d = await loadSwarm(dir, io.env, io.hostname(), { conflicts: recordedConflictCounter });
  // A report without the upstream's commits and claims would mislead the morning reader.
  if (d.upstreamProblem) throw new EnvError('UPSTREAM_UNREACHABLE', `${d.upstreamProblem}; bring it back (or pass the swarm's --dir) and run harness report again`);
  // The demo records no notes; judge a dozen of its commits instead.
  if (d.runJson?.demo === true) await (await demoProfile()).fillPass(d.facts, d.upstream, io.env, 12);
  const data = buildReport({ title: `Swarm report: ${path.basename(path.dirname(dir))}/${path.basename(dir)}`, events: d.events, facts: d.facts, budget: d.budget, now: io.now().getTime(), supervisorAlive: d.supervisorAlive, conflicts: d.conflicts, lostRaces: d.lostRaces });
  const html = renderReport(data);
  try {
    writeFileSync(out, html);
  } catch (e) {
    throw new EnvError('WRITE_FAILED', `could not write ${out}: ${(e as Error).message}`);
  }
  return { bytes: Buffer.byteLength(html) };
}

export function reportCommand(io: Io, setResult: Register) {
  return defineCommand<ReportArgs>(io, setResult, {
    command: 'report',
    describe: 'Write the morning report: one self-contained HTML file with charts of pass rate, commits, sessions, cost and lock churn',
    builder: (y) =>
      y
        .option('dir', { type: 'string', describe: 'the swarm folder (default .swarm if it exists, else .swarm-demo)' })
        .option('out', { type: 'string', describe: 'the HTML file to write (default report.html)' }) as never,
    run: async (args, io) => {
      const dir = resolveSwarmDir(io.cwd, args.dir);
      const out = path.resolve(io.cwd, args.out ?? 'report.html');
      const { bytes } = await writeReport(dir, out, io);
      io.out(`wrote ${out} (${(bytes / 1024).toFixed(0)} KiB)`);
    },
  });
}
