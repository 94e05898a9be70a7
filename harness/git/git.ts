// The one seam between the harness and the git binary, built on simple-git. Everything
// that runs git goes through `Git`: it turns a missing binary or an unreachable remote
// into EnvError and returns exit codes and output instead of throwing on a non-zero exit,
// so callers decide what a failure means.
import { simpleGit, type SimpleGit, type SimpleGitOptions } from 'simple-git';
import { EnvError, UsageError } from '../errors.js';

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
}

export class GitFailure extends Error {
  constructor(
    readonly args: string[],
    readonly result: GitResult,
  ) {
    super(`git ${args.join(' ')} failed (exit ${result.code}): ${gitReason(result)}`);
  }
}

// simple-git refuses env vars and options it cannot vet (GIT_EDITOR, GIT_SSH_COMMAND,
// -c ...) because it assumes untrusted arguments. Ours are built here from validated
// names, and the environment is the user's own, so every such guard is switched off.
const TRUSTED = {
  allowUnsafeAlias: true, allowUnsafeAskPass: true, allowUnsafeCommandBinaries: true,
  allowUnsafeConfigEnvCount: true, allowUnsafeConfigPaths: true, allowUnsafeCredentialHelper: true,
  allowUnsafeDiffExternal: true, allowUnsafeDiffTextConv: true, allowUnsafeEditor: true,
  allowUnsafeExec: true, allowUnsafeFilter: true, allowUnsafeFsMonitor: true,
  allowUnsafeGitProxy: true, allowUnsafeGpgProgram: true, allowUnsafeHooksPath: true,
  allowUnsafeInclude: true, allowUnsafeMergeDriver: true, allowUnsafePack: true,
  allowUnsafePager: true, allowUnsafeProtocolOverride: true, allowUnsafeSshCommand: true,
  allowUnsafeSubmodule: true, allowUnsafeTemplateDir: true, allowUnsafeUrlRewrite: true,
  allowAbbreviatedOptions: true,
};

export class Git {
  private readonly env: Record<string, string>;
  private readonly memos = new Map<string, Promise<unknown>>();

  constructor(
    readonly dir: string,
    env: NodeJS.ProcessEnv,
  ) {
    this.env = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
    // Never let git stop to ask a question: there is nobody to answer it.
    this.env.GIT_TERMINAL_PROMPT = '0';
    this.env.GIT_EDITOR = 'true';
    this.env.LC_ALL = 'C';
  }

  /** Caches a fact about the repo (its git dir, say) for the life of this object. */
  memo<T>(key: string, f: () => Promise<T>): Promise<T> {
    if (!this.memos.has(key)) this.memos.set(key, f());
    return this.memos.get(key) as Promise<T>;
  }

  /** Runs git; a non-zero exit is returned, not thrown. HARNESS_TRACE_GIT=1 times each call. */
  async run(args: string[], opts: RunOpts = {}): Promise<GitResult> {
    if (!this.env.HARNESS_TRACE_GIT) return this.run1(args, opts);
    const t0 = performance.now();
    const r = await this.run1(args, opts);
    process.stderr.write(`git ${args.slice(0, 3).join(' ')}: ${(performance.now() - t0).toFixed(1)} ms (exit ${r.code})\n`);
    return r;
  }

  private async run1(args: string[], opts: RunOpts): Promise<GitResult> {
    let captured: GitResult | undefined;
    const env = { ...this.env, ...opts.env };
    const options: Partial<SimpleGitOptions> = {
      baseDir: this.dir,
      // simple-git strips or refuses GIT_* variables unless named; ours are deliberate.
      allowEnvironment: Object.keys(env),
      maxConcurrentProcesses: 8,
      unsafe: TRUSTED as SimpleGitOptions['unsafe'],
      errors: (error, res) => {
        const raw = Buffer.concat(res.stdOut);
        captured = { code: res.exitCode, stdout: raw.toString('utf8'), stderr: Buffer.concat(res.stdErr).toString('utf8'), raw };
        return res.exitCode === 0 ? undefined : (error ?? new Error('git failed'));
      },
    };
    if (opts.input !== undefined) {
      // Always a Buffer: simple-git skips writing a falsy '' and leaves stdin open forever.
      const input = Buffer.from(opts.input);
      (options as { input?: () => Buffer }).input = () => input;
    }
    try {
      const sg: SimpleGit = simpleGit(options).env(env);
      const stdout = await sg.raw(args);
      return captured ?? { code: 0, stdout, stderr: '', raw: Buffer.from(stdout) };
    } catch (e) {
      // A git that could not start shows up as a negative exit with the spawn error as stderr.
      if (captured && captured.code > 0) return captured;
      throw mapSpawnError(captured ? new Error(captured.stderr) : e, this.dir);
    }
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

function mapSpawnError(e: unknown, dir: string): Error {
  const msg = e instanceof Error ? e.message : String(e);
  if (/ENOENT/.test(msg) && /spawn/.test(msg)) {
    return new EnvError('GIT_MISSING', 'git is not installed or not on PATH; install it (Debian: apt-get install git)');
  }
  if (/directory that does not exist|ENOENT|no such file or directory/i.test(msg)) {
    return new UsageError('NO_SUCH_DIR', `${dir}: no such folder; check the path (--repo, --dir, --upstream)`);
  }
  return e instanceof Error ? e : new Error(msg);
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
