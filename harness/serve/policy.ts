// The upstream's rules, as one pure function over what a push changes. The server gathers
// the facts (facts.ts) and the pre-receive hook reports the refusals, each one line that
// the pusher sees as `remote: ERROR ...` and that says what to do instead.
import type { ParsedLock } from '../tasks/lockfile.js';
import type { Identity } from './tokens.js';
import { ZERO_OID as ZERO } from '../git/receive-pack.js';

export { ZERO };
export const MAIN = 'refs/heads/main';

export interface RefUpdate {
  old: string;
  new: string;
  ref: string;
}

export interface LockChange {
  task: string;
  kind: 'added' | 'deleted' | 'modified';
  before: ParsedLock | null;
  after: ParsedLock | null;
  /** the lock's blob after the push, to record who pushed a prose-only lock */
  blob?: string;
}

/** What a push to main does, read from git by the server. */
export interface MainFacts {
  /** the old tip is an ancestor of the new one */
  fastForward: boolean;
  locks: LockChange[];
  /** changed paths that are protected (tests, the suite's config, expected outputs) */
  protectedChanged: string[];
}

export interface PolicyOptions {
  /** --allow-test-edits: agents may change protected paths */
  allowTestEdits: boolean;
}

/** Who owns a lock: its Agent (and Session) headers, else the recorded pusher of a prose-only lock. */
export interface Owner {
  agent: string;
  /** the session that claimed it; null when the lock names none (an agent-wide claim) */
  session: string | null;
}
export type OwnerOf = (task: string, lock: ParsedLock | null) => Owner | null;

/** Whether a session of an agent still holds a valid token (it is running). */
export type LiveSession = (agent: string, session: string) => boolean;

export function checkPush(who: Identity, updates: RefUpdate[], main: MainFacts | null, ownerOf: OwnerOf, opts: PolicyOptions, live: LiveSession = () => false): string[] {
  const errors: string[] = [];
  if (who.role === 'salvage') return salvageRules(who, updates);
  for (const u of updates) {
    if (u.ref === MAIN) {
      if (u.new === ZERO) errors.push('ERROR main cannot be deleted: push your work to a branch of its own instead');
      else if (u.old !== ZERO && main && !main.fastForward) errors.push('ERROR main cannot move backwards (this push would drop commits others pushed): git fetch, rebase on origin/main, push again without --force');
      continue;
    }
    if (who.role === 'agent' && u.ref.startsWith('refs/heartbeat/')) {
      errors.push(`ERROR ${u.ref}: heartbeats are written by supervisors only (other runs judge liveness by them)`);
    }
    if (who.role === 'agent' && u.ref.startsWith('refs/heads/wip/')) {
      errors.push(`ERROR ${u.ref}: wip/ branches are written by the supervisor only (they hold saved work); push to another branch name`);
    }
  }
  if (!main || errors.length) return errors;
  if (who.role === 'supervisor') return errors;
  for (const c of main.locks) {
    const file = `current_tasks/${c.task}.txt`;
    if (c.kind !== 'deleted') {
      const lock = c.after!;
      if (!lock.readable) {
        errors.push(`ERROR ${file}: not a lock file (${lock.problem}); write "Agent: ${who.agent}" and a note, or use harness task claim`);
        continue;
      }
      const named = lock.headers.Agent;
      if (named !== undefined && named !== who.agent) {
        errors.push(`ERROR ${file}: claims in the name of ${named}, but you push as ${who.agent}; claim only in your own name (harness task claim ${c.task})`);
        continue;
      }
      const s = lock.headers.Session;
      if (named !== undefined && s !== undefined && who.session !== null && s !== who.session) {
        errors.push(`ERROR ${file}: names session ${s}, but you push as session ${who.session}; claim in your own session (harness task claim ${c.task})`);
        continue;
      }
    }
    if (c.kind !== 'added') {
      const owner = ownerOf(c.task, c.before);
      if (owner === null) errors.push(`ERROR ${file}: nobody is known to own this lock, so only the supervisor may remove it (it reaps stale claims); leave it and pick other work`);
      else if (owner.agent !== who.agent) errors.push(`ERROR ${file}: held by ${owner.agent}, not you (${who.agent}); only its owner releases it, and the supervisor reaps it when stale: leave it and pick other work`);
      else if (!sessionMayRelease(who, owner, live)) errors.push(`ERROR ${file}: held by ${owner.agent}'s session ${owner.session}, which is still running, not by you (session ${who.session}); only that session releases it, and the supervisor releases it when that session ends: leave it and pick other work`);
    }
  }
  if (!opts.allowTestEdits && main.protectedChanged.length) {
    const shown = main.protectedChanged.slice(0, 3).join(', ') + (main.protectedChanged.length > 3 ? `, and ${main.protectedChanged.length - 3} more` : '');
    errors.push(`ERROR protected test files changed (${shown}): agents may not edit the oracle's tests, its test-oracle.json or expected outputs in this run; fix the code instead (or run the swarm with --allow-test-edits)`);
  }
  return errors;
}

/**
 * Within one agent, a lock is its claiming session's: another session of the same agent may
 * release it only once that session has ended (its token revoked). Sessions of one agent
 * run one after another, and the supervisor releases an ended session's claims itself; a
 * successor that finishes the task before that release lands is the only one working on
 * it. A session still running (a second supervisor's slot of the same name, a leftover
 * whose token is still valid) keeps its lock. A lock naming no session is the agent's.
 */
function sessionMayRelease(who: Identity, owner: Owner, live: LiveSession): boolean {
  if (owner.session === null || who.session === null || owner.session === who.session) return true;
  return !live(owner.agent, owner.session);
}

/**
 * A push whose only update moves main from a tip that is no longer main's: someone pushed
 * first, and git would refuse the ref update after every check ran. Said at once, in words
 * git's clients and ours (pushTo) take for a lost race ("fetch first"). Unknown tip: null.
 */
export function staleMain(updates: RefUpdate[], tip: string | null): string | null {
  const u = updates.length === 1 ? updates[0]! : null;
  if (!u || u.ref !== MAIN || tip === null || u.old === ZERO || u.new === ZERO || u.old === tip) return null;
  return 'ERROR main moved since you fetched (another push landed first): fetch first, rebase on origin/main, push again';
}

/**
 * A remote session's entrypoint saves leftover work where it runs: it may create refs under
 * its own agent's wip/ and nothing else. Creating only, so saved work is never overwritten.
 */
function salvageRules(who: Identity, updates: RefUpdate[]): string[] {
  const own = `refs/heads/wip/${who.agent}/`;
  return updates
    .filter((u) => !(u.ref.startsWith(own) && u.old === ZERO && u.new !== ZERO))
    .map((u) => `ERROR ${u.ref}: a session's entrypoint may only create new refs under ${own} (saved work is never overwritten)`);
}

/** The paths a run protects, from the baseline's test-oracle.json at the repo root plus the run's own list. */
export function protectedPrefixes(suiteConfig: { tests?: unknown } | null, extra: string[]): string[] {
  const out = ['test-oracle.json'];
  if (suiteConfig) {
    const tests = typeof suiteConfig.tests === 'string' ? suiteConfig.tests : 'tests';
    const clean = tests.replace(/^\.\/+/, '').replace(/\/+$/, '');
    if (clean && clean !== '.' && !clean.startsWith('..')) out.push(clean + '/');
  }
  for (const p of extra) out.push(p.replace(/^\.\/+/, ''));
  return out;
}

export function isProtected(file: string, prefixes: string[]): boolean {
  return prefixes.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p || file.startsWith(p + '/')));
}
