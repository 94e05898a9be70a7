// The built executables as agents run them: --version and --help on both CLIs, and what
// each command loads. A loader hook records every module a process imports; the build's
// metafile maps each loaded chunk of dist/ back to its sources, so "task list does not
// load the swarm" is checked against the sources, not against chunk names.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARNESS_COMMANDS } from '../harness/cli.js';
import type { Io } from '../harness/kit/cli-kit.js';
import { ORACLE_COMMANDS } from '../test-oracle/commands/index.js';
import { gitEnv, makeSwarm, ROOT, tempDir, type Swarm } from './helpers/repos.js';

const TRACE = path.join(ROOT, 'test/fixtures/trace-modules.mjs');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const meta = () => JSON.parse(readFileSync(path.join(ROOT, 'dist/meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };

let swarm: Swarm;
let clone: string;
let trace: { dir: string; cleanup: () => void };
beforeAll(async () => {
  swarm = await makeSwarm();
  clone = swarm.clone('a');
  trace = tempDir('trace-');
});
afterAll(() => {
  swarm?.cleanup();
  trace?.cleanup();
});

let n = 0;
/** Runs a built executable; returns its output and the sources and packages it loaded. */
async function traced(bin: 'harness' | 'test-oracle', args: string[], cwd = clone) {
  const log = path.join(trace.dir, `modules-${n++}.txt`);
  const r = await execa('node', ['--import', TRACE, path.join(ROOT, 'dist', `${bin}.js`), ...args], {
    cwd,
    env: gitEnv({ TRACE_MODULES: log, HARNESS_AGENT: 'tester' }),
    extendEnv: false,
    reject: false,
  });
  const urls = readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith('file://'));
  const files = urls.map((u) => path.relative(ROOT, new URL(u).pathname));
  const outputs = meta().outputs;
  const sources = files.filter((f) => f.startsWith('dist/')).flatMap((f) => Object.keys(outputs[f]?.inputs ?? { [`UNKNOWN ${f}`]: 1 }));
  // Packages loaded from node_modules, and those bundled into the chunks that were loaded.
  const packages = [...new Set([...files, ...sources].filter((f) => f.includes('node_modules/')).map((f) => f.split('node_modules/').pop()!.split('/')[0]!))];
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr, sources, packages, files };
}

describe('built executables', () => {
  it('--version on both CLIs: the package version, loading no command, no yargs', async () => {
    for (const bin of ['harness', 'test-oracle'] as const) {
      const r = await traced(bin, ['--version']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(VERSION);
      expect(r.packages).toEqual([]);
      expect(r.sources.filter((s) => /commands\/(?!index\.ts)/.test(s))).toEqual([]); // the table, not a command
      expect(r.sources.length).toBeGreaterThan(0); // the trace saw the build's modules
    }
  });

  it('--help lists every command of the table without loading any of them', async () => {
    const r = await traced('harness', ['--help']);
    expect(r.code).toBe(0);
    for (const c of HARNESS_COMMANDS) expect(r.stdout).toContain(`harness ${c.name}`);
    expect(r.stdout).toMatch(/--version/);
    expect(r.packages).toEqual([]);
    expect(r.sources.filter((s) => /commands\/|swarm\/|report\//.test(s))).toEqual([]);
    const o = await traced('test-oracle', ['--help']);
    for (const c of ORACLE_COMMANDS) expect(o.stdout).toContain(`test-oracle ${c.name}`);
    expect(o.packages).toEqual([]);
  });

  it('task list loads the task code only: not the swarm, the report, the demo or isomorphic-git', async () => {
    expect((await traced('harness', ['task', 'claim', 'load-check'])).code).toBe(0);
    const r = await traced('harness', ['task', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/load-check\s+tester/);
    expect(r.sources).toContain('harness/commands/task.ts');
    expect(r.sources.filter((s) => /^harness\/(swarm|report|sandbox|agents|events)\/|^demo\/|bisect\//.test(s))).toEqual([]);
    expect(r.packages).not.toContain('isomorphic-git');
    expect(r.packages).not.toContain('execa');
    expect(r.packages).toEqual([]); // its options parse with node's own util.parseArgs
  });

  it('the agent-side commands load no yargs (nor any package but the oracle\'s glob matcher); their --help still does, and says the same', async () => {
    const suite = path.join(trace.dir, 'suite');
    mkdirSync(path.join(suite, 't'), { recursive: true });
    writeFileSync(path.join(suite, 't', 'a.sh'), 'exit 0\n');
    const calls: [bin: 'harness' | 'test-oracle', args: string[], code: number, cwd?: string][] = [
      ['harness', ['task', 'claim', 'agent-side', '--note', 'why'], 0],
      ['harness', ['task', 'show', 'agent-side'], 0],
      ['harness', ['task', 'list', '--json'], 0],
      ['harness', ['task', 'release', 'agent-side', '--reason', 'a test'], 0],
      ['harness', ['task', 'claim', 'agent-side-2'], 0],
      ['harness', ['task', 'done', 'agent-side-2'], 0],
      ['harness', ['task', 'next'], 1], // no recorded results and no backlog: nothing to propose
      ['harness', ['msg', 'send', 'tester', 'hello', 'there'], 0],
      ['harness', ['msg', 'inbox', '--ack'], 0],
      ['test-oracle', ['run', '--fast', '--seed', 's', '--cmd', 'sh {test}', '--tests', 't', '--no-record'], 0, suite],
    ];
    for (const [bin, args, code, cwd] of calls) {
      const r = await traced(bin, args, cwd);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code, stderr: '' });
      expect(r.sources.length, args.join(' ')).toBeGreaterThan(0); // the trace saw the build's modules
      expect(r.packages, args.join(' ')).toEqual(bin === 'test-oracle' ? ['picomatch'] : []); // the suite's globs
    }
    const help = await traced('harness', ['task', 'claim', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^harness task claim <task>\n[\s\S]*Positionals:[\s\S]*--note/);
    expect(help.packages).toContain('yargs');
    const bad = await traced('harness', ['task', 'claim', 'x', '--note', 'a', '--note', 'b']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('harness: --note was given 2 times (a, b); give it once [REPEATED_FLAG]');
  });

  it('a claim writes its objects without a git library', async () => {
    const r = await traced('harness', ['task', 'claim', 'no-iso']);
    expect(r.code).toBe(0);
    expect(r.packages).not.toContain('isomorphic-git');
    expect(r.sources.filter((s) => /^harness\/(swarm|report)\//.test(s))).toEqual([]);
  });

  it('test-oracle history does not load the runner or the bisector', async () => {
    const r = await traced('test-oracle', ['history']);
    expect(r.sources).toContain('test-oracle/commands/history.ts');
    expect(r.sources.filter((s) => /bisect\/|run\/execute|exec\/spawner/.test(s))).toEqual([]);
  });

  it('an unknown command is one line and exit 2', async () => {
    const r = await traced('harness', ['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`harness: unknown command "frobnicate"; the commands are ${HARNESS_COMMANDS.map((c) => c.name).join(', ')} (see 'harness --help') [USAGE]`);
  });

  it("each table row's description is its command's own (they cannot drift apart)", async () => {
    const io = {} as Io;
    for (const c of [...HARNESS_COMMANDS, ...ORACLE_COMMANDS]) {
      const mod = (await c.load())(io, () => {});
      expect(mod.describe, c.name).toBe(c.describe);
    }
  });

  it('bin/harness.js runs the build, and says how to make it when there is none', async () => {
    const viaBin = await execa('node', [path.join(ROOT, 'bin/harness.js'), '--version'], { reject: false });
    expect(viaBin.stdout).toBe(VERSION);
    mkdirSync(path.join(trace.dir, 'pkg/bin'), { recursive: true });
    copyFileSync(path.join(ROOT, 'bin/harness.js'), path.join(trace.dir, 'pkg/bin/harness.js'));
    const r = await execa('node', [path.join(trace.dir, 'pkg/bin/harness.js'), '--version'], { reject: false });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/^harness: not built yet; run npm install \(or npm run build\) in .*pkg\/ \[NOT_BUILT\]$/);
  });
});
