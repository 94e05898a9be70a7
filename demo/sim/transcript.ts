// What a sim session prints: its own lines start with "sim:", the commands it runs are
// shown as "$ cmd", and their output is indented under them, like an agent's transcript.
// The harness and test-oracle commands run in this process (the same code as the
// executables, without paying a Node start for each).
import os from 'node:os';
import type { Io } from '../../harness/kit/cli-kit.js';

export type ToolMain = (argv: string[], io: Io) => Promise<number>;

export interface ToolRun {
  code: number;
  out: string[];
  err: string[];
}

export class Transcript {
  private readonly t0 = Date.now();
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(l + '\n')) {}

  /** Seconds since the session started: agents' logs are read to see where time went. */
  private stamp(): string {
    return `[${((Date.now() - this.t0) / 1000).toFixed(1)}s]`;
  }

  say(msg: string): void {
    this.write(`sim: ${this.stamp()} ${msg}`);
  }

  cmd(line: string): void {
    this.write(`$ ${line}   ${this.stamp()}`);
  }

  output(line: string): void {
    this.write(`    ${line}`);
  }

  /** Runs a command's main in-process, showing it and its output. */
  async tool(prog: string, main: ToolMain, argv: string[], cwd: string, env: NodeJS.ProcessEnv, quiet = false): Promise<ToolRun> {
    this.cmd(`${prog} ${argv.map(shown).join(' ')}`);
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = {
      env,
      cwd,
      now: () => new Date(),
      hostname: () => os.hostname(),
      out: (l) => {
        out.push(l);
        if (!quiet) this.output(l);
      },
      err: (l) => {
        err.push(l);
        this.output(l);
      },
    };
    const code = await main(argv, io);
    if (code !== 0) this.output(`(exit ${code})`);
    return { code, out, err };
  }
}

function shown(a: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
