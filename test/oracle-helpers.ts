// Shared by the oracle's integration tests: temp folders that clean up after themselves,
// the CLI run in-process with captured output, and real git.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { main } from '../test-oracle/cli.js';
import { captureIo } from './helpers/io.js';

const made: string[] = [];

export function tempDir(prefix = 'oracle-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export function cleanupTemps(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Writes files; names ending in .sh become executable. */
export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    if (rel.endsWith('.sh')) chmodSync(p, 0o755);
  }
}

export function readText(p: string): string {
  return readFileSync(p, 'utf8');
}

export interface CliResult {
  code: number;
  out: string[];
  err: string[];
}

export async function oracle(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const { io, out, err } = captureIo({ PATH: process.env.PATH, HOME: process.env.HOME, HARNESS_AGENT: 'agent-test', ...env }, cwd);
  const code = await main(args, io);
  return { code, out, err };
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const r = await execa('git', args, { cwd });
  return r.stdout;
}

export async function initRepo(dir: string): Promise<void> {
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'config', 'user.name', 'Oracle Test');
  await git(dir, 'config', 'user.email', 'oracle@test.invalid');
}

export async function commitAll(dir: string, msg: string): Promise<string> {
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', msg);
  return git(dir, 'rev-parse', 'HEAD');
}

export { alive as isAlive, waitUntil } from './helpers/poll.js';
