// The one seam between the harness and the git binary. Everything that runs git goes
// through `Git`: it spawns git directly (no wrapper library: simple-git waited 50 ms after
// every command that printed nothing, and refused half our environment), puts a timeout
// on every call, turns a missing binary into EnvError, and returns exit codes and output
// instead of throwing on a non-zero exit, so callers decide what a failure means.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { existsSync, readdirSync } from 'node:fs';
import { parseDuration } from './duration.js';
import { EnvError, UsageError } from './errors.js';
import { procStat, transientSpawnFailure } from './proc.js';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout's exact bytes, for binary output (cat-file) */
  raw: Buffer;
}

export interface RunOpts {
  /** written to git's stdin (hash-object --stdin, mktree, commit-tree -F -) */
  input?: string | Buffer;
  /** extra environment on top of the seam's own */
  env?: Record<string, string>;
  /** this call's limit, instead of the default for its kind (local or network) */
  timeoutMs?: number;
  /**
   * A conversation with git over its stdin and stdout (`cat-file --batch`: ask, read the
   * answer, ask again, all in one process). stdin ends when it resolves; the call's time
   * limit covers the whole conversation, and its failure is the call's failure.
   */
  talk?: (stdin: Writable, stdout: Readable) => Promise<void>;
}

/** How long a git call may take before it is killed. */
export interface GitTimeouts {
  /** plumbing and porcelain on local repos: rev-parse, cat-file, commit, rebase, ... */
  localMs: number;
  /** commands that talk to a remote: fetch, push, clone, ls-remote, pull */
  networkMs: number;
}

export interface GitOptions {
  timeouts?: Partial<GitTimeouts>;
}

/**
 * Defaults: a local command that runs two minutes is stuck; a push may wait on the
 * upstream's gate hook (`harness init --gate-timeout`, 5 minutes by default) and a slow
 * link, so network commands get ten.
 */
export const DEFAULT_GIT_TIMEOUTS: GitTimeouts = { localMs: 120_000, networkMs: 600_000 };

/** The environment variables that override the defaults (durations: 30s, 5m). */
export const GIT_TIMEOUT_ENV = { localMs: 'HARNESS_GIT_TIMEOUT_LOCAL', networkMs: 'HARNESS_GIT_TIMEOUT_NETWORK' } as const;

const NETWORK_COMMANDS = new Set(['fetch', 'push', 'pull', 'clone', 'ls-remote', 'remote', 'submodule']);

export class GitFailure extends Error {
  constructor(
    readonly args: string[],
    readonly result: GitResult,
  ) {
    super(`git ${args.join(' ')} failed (exit ${result.code}): ${gitReason(result)}`);
  }
}

/** A git call ran past its limit; git and everything it started were killed. Exit 4. */
export class GitTimeoutError extends EnvError {
  constructor(
    readonly args: string[],
    readonly kind: 'local' | 'network',
    readonly timeoutMs: number,
    readonly dir: string,
  ) {
    const env = kind === 'network' ? GIT_TIMEOUT_ENV.networkMs : GIT_TIMEOUT_ENV.localMs;
    super(
      'GIT_TIMEOUT',
      `git ${gitSubcommand(args) ?? args[0]} in ${dir} took longer than ${fmtMs(timeoutMs)} and was killed; ` +
        (kind === 'network' ? 'check that the upstream is reachable, or ' : 'check for a stuck git process or lock, or ') +
        `raise the limit with ${env}=${fmtMs(timeoutMs * 2)}`,
    );
  }
}

let spawned = 0;
/** git processes this Node process has started so far (benchmarks count them per operation). */
export function gitProcessCount(): number {
  return spawned;
}

// On a timeout, git dies with everything it started (ssh, remote helpers, hooks). Git is
// not put in a process group of its own: then a session killed as a group, or a Ctrl-C,
// would leave it running (a claim landing after its session ended). Its descendants are
// found through /proc instead, only when a timeout fires.
function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return []; // no /proc (not Linux): git alone is signalled
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const f = procStat(e);
    if (!f) continue; // exited while we looked
    const ppid = Number(f[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

export class Git {
  private readonly env: Record<string, string>;
  private readonly memos = new Map<string, Promise<unknown>>();
  readonly timeouts: GitTimeouts;

  constructor(
    readonly dir: string,
    env: NodeJS.ProcessEnv,
    opts: GitOptions = {},
  ) {
    this.env = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
    // Never let git stop to ask a question: there is nobody to answer it.
    this.env.GIT_TERMINAL_PROMPT = '0';
    this.env.GIT_EDITOR = 'true';
    this.env.LC_ALL = 'C';
    // ssh must not ask for a password or a host key either. A user's own GIT_SSH_COMMAND
    // or GIT_SSH wins (it should carry -o BatchMode=yes itself).
    if (!this.env.GIT_SSH_COMMAND && !this.env.GIT_SSH) this.env.GIT_SSH_COMMAND = 'ssh -o BatchMode=yes';
    this.timeouts = resolveTimeouts(this.env, opts.timeouts);
  }

  /** A variable of the environment git runs with. */
  envValue(name: string): string | undefined {
    return this.env[name] || undefined;
  }

  /** The whole environment git runs with, empty values included (git tells an empty GIT_AUTHOR_NAME from none). */
  envEntries(): Readonly<Record<string, string>> {
    return this.env;
  }

  /** Caches a fact about the repo (its git dir, say) for the life of this object. */
  memo<T>(key: string, f: () => Promise<T>): Promise<T> {
    if (!this.memos.has(key)) this.memos.set(key, f());
    return this.memos.get(key) as Promise<T>;
  }

  /**
   * Runs git; a non-zero exit is returned, not thrown. Past its time limit git and
   * everything it started are killed and GitTimeoutError thrown. HARNESS_TRACE_GIT=1 times each call on stderr.
   */
  async run(args: string[], opts: RunOpts = {}): Promise<GitResult> {
    if (!this.env.HARNESS_TRACE_GIT) return this.run1(args, opts);
    const t0 = performance.now();
    const r = await this.run1(args, opts);
    process.stderr.write(`git ${args.slice(0, 3).join(' ')}: ${(performance.now() - t0).toFixed(1)} ms (exit ${r.code}, started ${t0.toFixed(0)} ms into the process)\n`);
    return r;
  }

  private run1(args: string[], opts: RunOpts): Promise<GitResult> {
    const kind = isNetwork(args) ? 'network' : 'local';
    const limit = opts.timeoutMs ?? (kind === 'network' ? this.timeouts.networkMs : this.timeouts.localMs);
    return new Promise<GitResult>((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn('git', args, {
          cwd: this.dir,
          env: opts.env ? { ...this.env, ...opts.env } : this.env,
          stdio: [opts.input === undefined && !opts.talk ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        });
      } catch (e) {
        reject(this.spawnError(e));
        return;
      }
      spawned++;
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      let failed: unknown = null;
      // A conversation reads its own answers; keeping them here too would grow with every question.
      if (!opts.talk) child.stdout!.on('data', (b: Buffer) => out.push(b));
      child.stderr!.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => {
        failed = e;
      });
      // SIGTERM first: git removes its lock files on it; SIGKILL for whatever ignores it.
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.pid === undefined) return;
        // The tree is taken once: after git exits its orphans are no longer below it.
        const tree = [...descendants(child.pid), child.pid];
        signalAll(tree, 'SIGTERM');
        setTimeout(() => signalAll(tree, 'SIGKILL'), 2000).unref();
      }, limit);
      if (opts.input !== undefined) {
        child.stdin!.on('error', () => {}); // git may exit before reading it all; its exit code says why
        child.stdin!.end(Buffer.from(opts.input));
      }
      let talkFailed: unknown = null;
      if (opts.talk) {
        child.stdin!.on('error', () => {});
        opts.talk(child.stdin!, child.stdout!).then(
          () => child.stdin!.end(),
          (e) => {
            talkFailed = e ?? new Error('git conversation failed');
            child.stdin!.end();
          },
        );
      }
      child.on('close', (code, signal) => {
        clearTimeout(timer); // a SIGKILL already scheduled still runs: a descendant may outlive git
        if (timedOut) return reject(new GitTimeoutError(args, kind, limit, this.dir));
        if (failed) return reject(this.spawnError(failed));
        if (talkFailed) return reject(talkFailed);
        const raw = Buffer.concat(out);
        const stderr = Buffer.concat(err).toString('utf8');
        resolve({ code: code ?? 128 + signalNumber(signal), stdout: raw.toString('utf8'), stderr, raw });
      });
    });
  }

  private spawnError(e: unknown): Error {
    const code = (e as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT' && !existsSync(this.dir)) {
      return new UsageError('NO_SUCH_DIR', `${this.dir}: no such folder; check the path (--repo, --dir, --upstream)`);
    }
    if (code === 'ENOENT') return new EnvError('GIT_MISSING', 'git is not installed or not on PATH; install it (Debian: apt-get install git)');
    const t = transientSpawnFailure(e);
    if (t) return new EnvError('SPAWN_FAILED', `could not start git (${t.code}: ${t.message}): the machine is short of processes, memory or file handles, or git was being replaced; try again in a moment`);
    return e instanceof Error ? e : new Error(String(e));
  }

  /** Runs git and returns trimmed stdout; a non-zero exit throws GitFailure. */
  async must(args: string[], opts: RunOpts = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new GitFailure(args, r);
    return r.stdout.trim();
  }

  /**
   * Runs a command that records an author (commit, commit-tree). A sandbox often has no
   * git identity configured; then the agent's name stands in rather than failing.
   */
  async mustAs(args: string[], opts: RunOpts, fallbackName: string): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code === 0) return r.stdout.trim();
    if (!/Please tell me who you are|empty ident|unable to auto-detect email/i.test(r.stderr)) throw new GitFailure(args, r);
    const who = fallbackName.replace(/[<>\n]/g, '').trim() || 'harness';
    const email = `${who.replace(/[^A-Za-z0-9._-]/g, '-')}@harness.invalid`;
    const env = { GIT_AUTHOR_NAME: who, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: who, GIT_COMMITTER_EMAIL: email };
    return this.must(args, { ...opts, env: { ...opts.env, ...env } });
  }

  async revParse(ref: string): Promise<string | null> {
    const r = await this.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    return r.code === 0 ? r.stdout.trim() : null;
  }

  async isBare(): Promise<boolean | null> {
    const r = await this.run(['rev-parse', '--is-bare-repository']);
    return r.code === 0 ? r.stdout.trim() === 'true' : null;
  }

  async remoteUrl(remote: string): Promise<string | null> {
    const r = await this.run(['remote', 'get-url', remote]);
    return r.code === 0 ? r.stdout.trim() : null;
  }
}

/** The subcommand, past git's own options (`-c k=v`, `-C dir`, `--no-pager`). */
export function gitSubcommand(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-c' || a === '-C' || a === '--git-dir' || a === '--work-tree' || a === '--namespace') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

function isNetwork(args: string[]): boolean {
  const sub = gitSubcommand(args);
  if (sub === 'remote') return ['update', 'show', 'prune'].includes(args[args.indexOf(sub) + 1] ?? '');
  return sub !== undefined && NETWORK_COMMANDS.has(sub);
}

/** Defaults, then the environment, then the caller's explicit choice. */
export function resolveTimeouts(env: Record<string, string | undefined>, over: Partial<GitTimeouts> = {}): GitTimeouts {
  const fromEnv = (key: keyof GitTimeouts): number | undefined => {
    const v = env[GIT_TIMEOUT_ENV[key]];
    if (v === undefined || v === '') return undefined;
    const ms = parseDuration(v, GIT_TIMEOUT_ENV[key]);
    if (ms <= 0) throw new UsageError('BAD_DURATION', `${GIT_TIMEOUT_ENV[key]}: must be more than 0; write it like 30s or 5m`);
    return ms;
  };
  return {
    localMs: over.localMs ?? fromEnv('localMs') ?? DEFAULT_GIT_TIMEOUTS.localMs,
    networkMs: over.networkMs ?? fromEnv('networkMs') ?? DEFAULT_GIT_TIMEOUTS.networkMs,
  };
}

function fmtMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : ms >= 1000 && ms % 100 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const n: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return (signal && n[signal]) ?? 0;
}

export function firstLine(s: string): string {
  return (
    s
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ''
  );
}

/** The lines of stderr that say why git failed, without hints and progress noise. */
export function gitReason(r: GitResult): string {
  const lines = (r.stderr + '\n' + r.stdout)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(fatal|error|remote: ERROR|! \[)/.test(l));
  return lines.slice(0, 3).join('; ') || firstLine(r.stderr) || `exit ${r.code}`;
}
