// The oracle's side of the test launcher: one launcher process per run, which keeps
// `jobs` tests running from its own queue; tests go to it as lines, results come back by
// id. launcher.c (built once, cheap process starts) is used where a C compiler exists,
// spawner.mjs (Node) elsewhere; TEST_ORACLE_LAUNCHER=node|native picks one.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import { packageFile } from '../../harness/kit/paths.js';
import { CheckFailedError, EnvError } from '../../harness/kit/errors.js';
import { nativeLauncher } from './native.js';


export interface RunOneSpec {
  /** run directly when set (no shell); otherwise `sh -c command` */
  argv: string[] | null;
  command: string;
  cwd: string;
  /** added to the launcher's base environment */
  env?: Record<string, string>;
  timeoutMs: number;
  /** the log: stdout, and stderr too unless `stderrPath` is given */
  logPath: string;
  stderrPath?: string;
  header: string;
  /** a folder to create just before the test starts (its parent must exist) */
  mkdir?: string;
}

export interface RunOneResult {
  /** dropped from the queue by killAll() before it started */
  cancelled?: boolean;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  ms: number;
  spawnError?: string;
  /** bytes of header before the test's own output in the log */
  headerBytes: number;
}

export type LauncherKind = 'native' | 'node';

export function chooseLauncher(env: NodeJS.ProcessEnv): { kind: LauncherKind; bin?: string } {
  if (env.TEST_ORACLE_LAUNCHER === 'node') return { kind: 'node' };
  const bin = nativeLauncher(env);
  if (bin) return { kind: 'native', bin };
  if (env.TEST_ORACLE_LAUNCHER === 'native') {
    throw new EnvError('NO_CC', 'TEST_ORACLE_LAUNCHER=native needs a C compiler (cc, gcc or clang, or $CC) to build the launcher');
  }
  return { kind: 'node' };
}

const active = new Set<Spawner>();

/** Kills every running test of every launcher (on SIGINT/SIGTERM to the oracle). */
export function killAllRunning(): void {
  for (const s of active) s.killAll();
}

const SIGNALS = new Map<number, string>();
for (const [name, n] of Object.entries(constants.signals)) if (!SIGNALS.has(n as number)) SIGNALS.set(n as number, name);

const esc = (s: string) => s.replace(/[%\t\n\r\x1f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);

export class Spawner {
  readonly kind: LauncherKind;
  private child: ChildProcess;
  private pending = new Map<number, { resolve: (r: RunOneResult) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private dead: Error | null = null;

  constructor(env: NodeJS.ProcessEnv, jobs: number, launcher = chooseLauncher(env)) {
    const kind = launcher.kind;
    this.kind = kind;
    this.child =
      kind === 'native'
        ? spawn(launcher.bin!, [], { env, stdio: ['pipe', 'pipe', 'inherit'] })
        : spawn(process.execPath, [packageFile('test-oracle/exec/spawner.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
    active.add(this);
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.receive(line));
    const fail = (why: string) => {
      this.dead ??= /^SIG(INT|TERM|HUP)$/.test(why)
        ? new CheckFailedError('INTERRUPTED', `interrupted (${why}); logs so far are in the log folder`)
        : new EnvError('LAUNCHER_DIED', `the test launcher (${kind}) stopped (${why}); rerun, or set TEST_ORACLE_LAUNCHER=node`);
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
      active.delete(this);
    };
    this.child.on('exit', (code, signal) => fail(signal ?? `exit ${code}`));
    this.child.on('error', (e) => fail(e.message));
    this.child.stdin!.on('error', () => undefined);
    if (kind === 'native') this.send(`jobs\t${jobs}`);
    else this.send(JSON.stringify({ type: 'setup', env, jobs }));
  }

  /** Queues a test; the launcher starts it when one of its `jobs` slots is free. */
  run(s: RunOneSpec): Promise<RunOneResult> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const [file, args] = s.argv ? [s.argv[0]!, s.argv.slice(1)] : ['/bin/sh', ['-c', s.command]];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.kind === 'native') {
        const env = Object.entries(s.env ?? {}).map(([k, v]) => `${k}=${v}`).join('\x1f');
        const fields = ['run', String(id), String(s.timeoutMs), s.cwd, s.logPath, s.stderrPath ?? '', s.header, s.mkdir ?? '', env, file, ...args];
        this.send(fields.map((f, i) => (i === 8 ? env.replace(/[%\t\n\r]/g, (c) => esc(c)) : esc(f))).join('\t'));
      } else {
        const { argv: _a, command: _c, ...rest } = s;
        this.send(JSON.stringify({ id, file, args, ...rest }));
      }
    });
  }

  killAll(): void {
    this.send(this.kind === 'native' ? 'kill' : JSON.stringify({ type: 'kill' }));
  }

  /** Ends the launcher; anything still running is killed by it. */
  close(): void {
    active.delete(this);
    this.child.stdin!.end();
  }

  private receive(line: string): void {
    let r: RunOneResult & { id: number };
    if (this.kind === 'native') {
      const f = line.split('\t');
      if (f[1] === 'cancelled') r = { id: Number(f[0]), cancelled: true, code: null, signal: null, timedOut: false, ms: 0, headerBytes: 0 };
      else {
        const signo = Number(f[2]);
        r = {
          id: Number(f[0]),
          code: signo ? null : Number(f[1]),
          signal: signo ? (SIGNALS.get(signo) ?? `signal ${signo}`) : null,
          timedOut: f[3] === '1',
          ms: Number(f[4]),
          headerBytes: Number(f[5]),
          ...(f[6] ? { spawnError: f[6] } : {}),
        };
      }
    } else r = JSON.parse(line) as RunOneResult & { id: number };
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    p.resolve(r);
  }

  private send(line: string): void {
    if (!this.dead) this.child.stdin!.write(line + '\n');
  }
}
