// Scenarios for swarms in real sandboxes: a project with a tiny oracle suite, an agent that
// does a whole task with the commands on its PATH, and a hostile agent that probes what it
// can reach of the swarm. Agents are inline `sh -c` text, not script files: /tmp (where the
// tests' files live) is private inside a sandbox.
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { git } from './repos.js';
import { makeProject } from './swarm.js';

/** A project with a one-test oracle suite that passes; returns its path. */
export function makeOracleProject(root: string): string {
  const proj = makeProject(root);
  mkdirSync(path.join(proj, 'tests'));
  writeFileSync(path.join(proj, 'tests/ok.sh'), 'exit 0\n');
  writeFileSync(path.join(proj, 'test-oracle.json'), JSON.stringify({ tests: 'tests', match: '*.sh', command: 'sh {abs}', judge: 'exit', timeout: 20 }) + '\n');
  writeFileSync(path.join(proj, '.gitignore'), '.test-oracle/\n');
  git(proj, 'add', '.');
  git(proj, 'commit', '-qm', 'a suite');
  return proj;
}

/**
 * A whole task, the way the prompt asks: claim, work, land it with the lock removal, run
 * the oracle and share its results. Prints what it saw of HARNESS_* and the limits it runs
 * under (its cgroup's, v2 or v1) for the test to read from the session log.
 */
export const WORKER = `set -e
echo "SEEN agent=$HARNESS_AGENT session=$HARNESS_SESSION upstream=$HARNESS_UPSTREAM"
echo "PIDS $(cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || echo none)"
t="t-$HARNESS_AGENT-$HARNESS_SESSION"
harness task claim "$t" --note "sandbox test"
echo "$HARNESS_AGENT in session $HARNESS_SESSION" > "work-$HARNESS_AGENT.txt"
git add -A
harness task done "$t" -m "work of $HARNESS_AGENT"
test-oracle run
test-oracle notes-sync
echo WORKER-OK`;

/**
 * Tries to read the other agent's workspace and the swarm's logs and to kill the
 * supervisor, whose pid the test writes to `pidDir/sup.pid` (mounted read-only) once it
 * knows it. One `P name ok|fail` line per probe.
 */
export function prober(swarm: string, pidDir: string): string {
  const p = (name: string, cmd: string) => `if ( ${cmd} ) >/dev/null 2>&1; then echo "P ${name} ok"; else echo "P ${name} fail"; fi`;
  return [
    'other=agent-1; [ "$HARNESS_AGENT" = agent-1 ] && other=agent-2',
    `while [ ! -s ${pidDir}/sup.pid ]; do sleep 0.05; done`,
    p('own', 'cat README.md'),
    p('readOther', `cat ${swarm}/agents/$other/workspace/README.md`),
    p('listAgents', `ls ${swarm}/agents | grep -q "$other"`),
    p('events', `cat ${swarm}/events.jsonl`),
    p('logs', `ls ${swarm}/agent_logs/$other | grep -q log`),
    p('runJson', `cat ${swarm}/run.json`),
    p('killSupervisor', `kill -9 $(cat ${pidDir}/sup.pid)`),
  ].join('\n');
}

/** `name -> ok|fail` from a session log. */
export function probes(log: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of log.matchAll(/^P (\S+) (ok|fail)$/gm)) out[m[1]!] = m[2]!;
  return out;
}
