// The object cache: each unit is compiled at most once per compiler, across runs and
// across agents sharing the folder. The key is content: the compiler's identity (its
// command words, the binary's hash, its --version), the unit's flags and folder, and the
// source bytes. Headers are covered by a manifest: the compile's own dependency list
// (-MD) with each file's hash, checked on every hit (ccache's "direct mode").
// Writes are atomic (temp file + rename), and an object's name carries its dependency
// hash, so a reader never pairs a manifest with another compile's object.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EnvError, UsageError } from '../../harness/errors.js';
import { describeProc, runProc } from './proc.js';
import { compileArgv, shellSplit, type Unit } from './units.js';

export interface Compiler {
  role: 'candidate' | 'reference';
  spec: string;
  argv: string[];
  /** content identity: hash of the words, the binary and its --version output */
  id: string;
  /** first line of --version, for reports */
  version: string;
}

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function which(cmd: string, env: NodeJS.ProcessEnv, cwd: string): string | null {
  if (cmd.includes('/')) {
    const p = path.resolve(cwd, cmd);
    return existsSync(p) ? p : null;
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

export async function identifyCompiler(
  spec: string,
  role: Compiler['role'],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<Compiler> {
  let words: string[];
  try {
    words = shellSplit(spec);
  } catch (e) {
    throw new UsageError('BAD_COMPILER', `--${role} "${spec}": ${(e as Error).message}`);
  }
  if (words.length === 0) throw new UsageError('BAD_COMPILER', `--${role} is empty`);
  const bin = which(words[0]!, env, cwd);
  if (!bin) throw new EnvError('NO_COMPILER', `${role} compiler "${words[0]}" not found (PATH or path)`);
  const argv = [bin, ...words.slice(1)];
  const version = await new Promise<string>((resolve, reject) =>
    execFile(argv[0]!, [...argv.slice(1), '--version'], { cwd, env, timeout: 60_000 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    ),
  ).catch((e: Error) => {
    throw new EnvError('BAD_COMPILER', `${role} compiler "${spec}" fails on --version: ${e.message.split('\n')[0]}`);
  });
  // Files named among the compiler's own words (a plan, a config) are part of its identity.
  const named = words.slice(1).map((w) => path.resolve(cwd, w)).filter((p) => existsSync(p) && statSync(p).isFile());
  const id = sha([words.join('\0'), sha(readFileSync(bin)), version, ...named.map((p) => sha(readFileSync(p)))].join('\n'));
  return { role, spec, argv, id, version: version.split('\n')[0]!.trim() };
}

interface Manifest {
  object: string;
  deps: [string, string][];
}

export type CompileResult = { ok: true; object: string; cached: boolean } | { ok: false; log: string; why: string };

export class ObjectCache {
  private readonly hashes = new Map<string, string>();
  readonly objects: string;
  private readonly tmp: string;

  constructor(readonly dir: string) {
    this.objects = path.join(dir, 'objects');
    this.tmp = path.join(dir, 'tmp');
    mkdirSync(this.objects, { recursive: true });
    mkdirSync(this.tmp, { recursive: true });
  }

  private fileHash(p: string): string | null {
    let h = this.hashes.get(p);
    if (h === undefined) {
      try {
        h = sha(readFileSync(p));
      } catch {
        return null;
      }
      this.hashes.set(p, h);
    }
    return h;
  }

  key(c: Compiler, u: Unit): string {
    const src = this.fileHash(u.file);
    if (src === null) throw new UsageError('NO_SOURCE', `unit ${u.name}: cannot read ${u.file}`);
    return sha(JSON.stringify([c.id, u.directory, u.file, u.args, src])).slice(0, 40);
  }

  lookup(key: string): string | null {
    let m: Manifest;
    try {
      m = JSON.parse(readFileSync(path.join(this.objects, `${key}.json`), 'utf8')) as Manifest;
    } catch {
      return null;
    }
    for (const [p, h] of m.deps) if (this.fileHash(p) !== h) return null;
    const obj = path.join(this.objects, path.basename(m.object));
    return existsSync(obj) ? obj : null;
  }

  /** Returns the cached object, or compiles it (log in logDir, kept only on failure). */
  async get(c: Compiler, u: Unit, env: NodeJS.ProcessEnv, logDir: string, timeoutMs?: number): Promise<CompileResult> {
    const key = this.key(c, u);
    const hit = this.lookup(key);
    if (hit) return { ok: true, object: hit, cached: true };
    const stem = path.join(this.tmp, `${key}.${process.pid}.${randomBytes(4).toString('hex')}`);
    const log = path.join(logDir, `${u.name.replace(/[^A-Za-z0-9._-]+/g, '_')}.${c.role}.log`);
    const argv = compileArgv(c.argv, u, `${stem}.o`, ['-MD', '-MF', `${stem}.d`]);
    writeFileSync(log, `$ ${argv.join(' ')}\n`);
    const r = await runProc(argv, { cwd: u.directory, env, log, timeoutMs });
    try {
      if (r.code !== 0 || !existsSync(`${stem}.o`)) return { ok: false, log, why: describeProc(r) };
      const deps = readDeps(`${stem}.d`, u)
        .map((p): [string, string] => [p, this.fileHash(p) ?? ''])
        .filter(([, h]) => h !== '');
      const object = `${key}-${sha(JSON.stringify(deps)).slice(0, 12)}.o`;
      renameSync(`${stem}.o`, path.join(this.objects, object));
      writeFileSync(`${stem}.json`, JSON.stringify({ object, deps } satisfies Manifest));
      renameSync(`${stem}.json`, path.join(this.objects, `${key}.json`));
      rmSync(log, { force: true });
      return { ok: true, object: path.join(this.objects, object), cached: false };
    } finally {
      for (const ext of ['.o', '.d', '.json']) rmSync(stem + ext, { force: true });
    }
  }
}

/** The make-style dependency file: `target: dep dep \` lines; the source is always a dep. */
function readDeps(file: string, u: Unit): string[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [u.file];
  }
  const body = text.replace(/\\\r?\n/g, ' ');
  const colon = body.search(/:(\s|$)/);
  const words = (colon >= 0 ? body.slice(colon + 1) : '').match(/(?:\\.|[^\s\\])+/g) ?? [];
  const deps = new Set([u.file]);
  for (const w of words) deps.add(path.resolve(u.directory, w.replace(/\\(.)/g, '$1')));
  return [...deps];
}
