// The supervisor's own full run of the oracle's suite, for `--until done` when agents
// recorded only samples. The suite is the project's code (tests agents wrote, a compiler
// they built), so it runs like a session: in the run's sandbox, over a clone of its own
// (DIR/supervisor/verify), with no secrets and no upstream access; the supervisor then
// shares the recorded note on upstream from outside, with the clone's config restored
// first (the suite could have changed it).
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { syncNotes } from '../../test-oracle/index.js';
import type { Mount, RunningSession, Sandbox } from '../sandbox/types.js';
import type { Limits } from './limits.js';
import { ensureWorkspace, resetToMain, restoreConfig, safeGitEnv, type WorkspaceCtx } from './workspace.js';
import { readLatestResults } from '../../test-oracle/index.js';

export interface VerifyDeps {
  sandbox: Sandbox;
  /** the clone it runs in; its env reaches the upstream as the supervisor */
  ws: WorkspaceCtx;
  /** the tools' mounts (harness, test-oracle, node), as sessions get them */
  mounts: Mount[];
  /** PATH and the ordinary variables; no secrets */
  env: Record<string, string>;
  limits: Limits;
  image: string | null;
  timeoutMs: number;
  graceMs: number;
  logDir: string;
  /** the sandbox's name for it (container name) */
  name: string;
  /** told the host pid while it runs, and null after: a takeover kills what a dead supervisor left */
  onPid?: (pid: number | null) => void;
}

/** Who the note is by (a sandbox has no git identity of its own). */
const HARNESS_IDENTITY = { HARNESS_AGENT: 'harness', GIT_AUTHOR_NAME: 'harness', GIT_AUTHOR_EMAIL: 'harness@harness.invalid', GIT_COMMITTER_NAME: 'harness', GIT_COMMITTER_EMAIL: 'harness@harness.invalid' };

export class FullSuiteRunner {
  private running: RunningSession | null = null;
  private stopped = false;
  private n = 0;

  constructor(private readonly d: VerifyDeps) {}

  /** Runs `test-oracle run` (full, recorded) at upstream main's head under each tool, then pushes the notes. */
  async run(tools: string[]): Promise<{ commit: string; log: string; recorded: boolean }> {
    const { ws } = this.d;
    await ensureWorkspace(ws);
    const commit = await resetToMain(ws);
    mkdirSync(this.d.logDir, { recursive: true });
    const log = path.join(this.d.logDir, `full-run-${++this.n}-${commit.slice(0, 7)}.log`);
    const fd = openSync(log, "w");
    try {
      for (const tool of tools.length ? tools : ['']) {
        if (this.stopped) break;
        writeSync(fd, `# harness: full run of the suite at ${commit}${tool ? ` under tool ${tool}` : ''} (${this.d.sandbox.kind} sandbox)\n`);
        const argv = ['test-oracle', 'run', ...(tool ? ['--tool', tool] : [])];
        this.running = await this.d.sandbox.start({
          name: `${this.d.name}-${this.n}`, cwd: ws.paths.dir, mounts: this.d.mounts, argv, env: { ...this.d.env, ...HARNESS_IDENTITY }, secrets: {},
          outputFd: fd, network: false, forwards: [], limits: this.d.limits, ...(this.d.image ? { image: this.d.image } : {}),
        });
        this.d.onPid?.(this.running.pid);
        const timer = setTimeout(() => void this.running?.stop(this.d.graceMs), this.d.timeoutMs);
        const exit = await this.running.exited.finally(() => clearTimeout(timer));
        this.running = null;
        this.d.onPid?.(null);
        writeSync(fd, `# harness: full run ended: ${exit.signal ? `killed by ${exit.signal}` : `exit ${exit.code}`}\n`);
      }
    } finally {
      closeSync(fd);
    }
    restoreConfig(ws);
    const env = safeGitEnv(ws.env);
    const full = await readLatestResults(ws.paths.dir, commit, { env, maxCommits: 1, where: (r) => r.mode === 'full' });
    if (full) await syncNotes(ws.paths.dir, 'origin', { env });
    return { commit, log, recorded: full !== null };
  }

  /** Ends a full run in progress (the run is stopping): grace, then kill. */
  stop(graceMs: number): void {
    this.stopped = true;
    void this.running?.stop(graceMs);
  }
}
