// For the supervisor's tests: a project repo to seed the swarm, `harness run` in-process or
// as a real process, and the swarm folder's event log.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { readEvents, type LoggedEvent } from '../../harness/events/log.js';
import { git, gitEnv, HARNESS_BIN } from './repos.js';

/** A small git project in `root/proj`; returns its path. */
export function makeProject(root: string): string {
  const proj = path.join(root, 'proj');
  mkdirSync(proj, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main', proj], { env: gitEnv() });
  writeFileSync(path.join(proj, 'README.md'), '# a project\n');
  git(proj, 'add', '.');
  git(proj, 'commit', '-qm', 'start');
  return proj;
}

/** A shell script agent in `root`, run as `sh FILE`. */
export function agentScript(root: string, name: string, body: string): string {
  const file = path.join(root, `${name}.sh`);
  writeFileSync(file, body);
  return `sh ${file}`;
}

/** Fast settings so tests never wait on production backoffs. */
export const FAST = ['--backoff-base', '20ms', '--backoff-cap', '80ms', '--idle-base', '20ms', '--idle-cap', '80ms', '--grace', '2s'];
/** FAST without its --grace, for a test that sets its own (a flag given twice is refused). */
export const FAST_NO_GRACE = FAST.slice(0, 4);

/** FAST's flags that `args` does not set itself (a flag given twice is refused). */
export function fastUnless(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < FAST.length; i += 2) if (!args.includes(FAST[i]!)) out.push(FAST[i]!, FAST[i + 1]!);
  return out;
}

export function events(root: string, dir = '.swarm'): LoggedEvent[] {
  return readEvents(path.join(root, dir, 'events.jsonl'));
}

export function spawnHarness(cwd: string, args: string[], env: Record<string, string> = {}): ResultPromise<{ reject: false }> {
  return execa('node', [HARNESS_BIN, ...args], { cwd, env: gitEnv(env), extendEnv: false, reject: false });
}

export { alive, waitFor } from './poll.js';

/** Every session log of the swarm in `root`, concatenated: the message of an assertion about what a session did. */
export function sessionLogs(root: string): string {
  const dir = path.join(root, '.swarm/agent_logs');
  if (!existsSync(dir)) return '(no session logs)';
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.log'))
    .map((f) => `--- ${f}\n${readFileSync(path.join(dir, f), 'utf8').slice(-4000)}`)
    .join('\n');
}

/**
 * A plain-git agent for remote executors: it claims in its own name, writes `work-<task>.txt`
 * (a line ending in `workTail`, shell-expanded where it runs), and lands the work with the
 * lock removal. A session for which the shell condition `hangIf` holds leaves its work
 * uncommitted and waits instead, to be killed.
 */
export function landingAgent(note: string, workTail: string, hangIf: string): string {
  return `set -e
t="t-$HARNESS_AGENT-$HARNESS_SESSION"
mkdir -p current_tasks
printf 'Agent: %s\\nSession: %s\\nRun: %s\\n\\n${note}\\n' "$HARNESS_AGENT" "$HARNESS_SESSION" "$HARNESS_RUN" > "current_tasks/$t.txt"
git add current_tasks && git commit -qm "claim $t"
land() { for i in 1 2 3 4 5 6 7 8 9 10; do git push -q origin HEAD:main && return 0; git pull -q --rebase origin main; done; return 1; }
land
echo "work of $HARNESS_AGENT session $HARNESS_SESSION ${workTail}" > "work-$t.txt"
if ${hangIf}; then echo HANGING; exec sleep 600; fi
git rm -q "current_tasks/$t.txt"; git add -A; git commit -qm "done $t"
land`;
}
