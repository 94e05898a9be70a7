// The object cache: each unit is compiled at most once per compiler, across runs and
// across agents sharing the folder. The key: the compiler's identity (its words; path,
// size, mtime and hash of its executable, and of a wrapper script's interpreter and the
// files it names; its --version), the unit's flags and folder, and the source bytes. Headers are covered by a manifest: the compile's own dependency list
// (-MD) with each file's hash, checked on every hit (ccache's "direct mode").
// Writes are atomic (temp file + rename), and an object's name carries its dependency
// hash, so a reader never pairs a manifest with another compile's object.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EnvError, UsageError } from '../../harness/kit/errors.js';
import { describeProc, runProc } from './proc.js';
import { compileArgv, shellSplit, type Unit } from './units.js';

export interface Compiler {
  role: 'candidate' | 'reference';
  spec: string;
  argv: string[];
  /** content identity: see `identifyCompiler` */
  id: string;
  /** first line of --version, for reports */
  version: string;
  /** files besides the executable the identity covers (a script's interpreter, files it or its words name) */
  covers: string[];
  /** the executable is a script (#!) */
  script: boolean;
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

/** A file's identity: where it really is, its size, mtime and content hash. */
function fileIdentity(p: string): string {
  const real = realpathSync(p);
  const st = statSync(real);
  return [real, st.size, st.mtimeMs, sha(readFileSync(real))].join(' ');
}

function isRegularFile(p: string): boolean {
  try {
    const st = statSync(p);
    return st.isFile() && st.size <= MAX_NAMED_BYTES;
  } catch {
    return false;
  }
}

const MAX_SCRIPT_BYTES = 1 << 20;
const MAX_NAMED_BYTES = 64 << 20;
const MAX_NAMED_FILES = 64;

/**
 * The paths a word may name: the word itself, what follows an `=` (`FLAGS=/x/f.txt`,
 * `--plan=f`), an `@` response file (`@/x/flags.rsp`), the items of a `,`/`:` list
 * (`-Wl,@f`), and any absolute path inside the word. Misses cost a stale answer; a
 * candidate that names no file costs one stat.
 */
export function pathsInWord(word: string): string[] {
  const out = new Set<string>();
  const add = (w: string) => {
    const bare = w.replace(/^@+/, '');
    if (/[./]/.test(bare) && !/^[./]+$/.test(bare)) out.add(bare);
  };
  add(word);
  for (const part of word.split(/[=,:]/)) add(part);
  const abs = word.indexOf('/');
  if (abs > 0) add(word.slice(abs));
  return [...out];
}

/**
 * A wrapper script's behaviour lives in more than its own bytes: its interpreter, and the
 * files it reads (a plan, a flags file). Files its text names are found by looking up
 * each path-like word beside the script, in `cwd`, and as written. A file it reads without
 * naming it stays unseen: `--no-cache` is the way around that.
 */
function scriptDependencies(bin: string, env: NodeJS.ProcessEnv, cwd: string): { script: boolean; files: string[] } {
  let text: string;
  try {
    if (statSync(bin).size > MAX_SCRIPT_BYTES) return { script: false, files: [] };
    const head = readFileSync(bin);
    if (head[0] !== 0x23 || head[1] !== 0x21) return { script: false, files: [] };
    text = head.toString('utf8');
  } catch {
    return { script: false, files: [] };
  }
  const files = new Set<string>();
  const [interp, arg] = text.slice(2, text.indexOf('\n') >>> 0).trim().split(/\s+/);
  if (interp) {
    const i = path.basename(interp) === 'env' && arg ? which(arg, env, cwd) : which(interp, env, cwd);
    if (i) files.add(realpathSync(i));
  }
  const dir = path.dirname(realpathSync(bin));
  for (const word of new Set(text.slice(text.indexOf('\n') + 1).split(/[^A-Za-z0-9_.+\/@%,=-]+/))) {
    if (files.size >= MAX_NAMED_FILES) break;
    for (const name of pathsInWord(word)) {
      if (files.size >= MAX_NAMED_FILES) break;
      for (const p of new Set([path.join(dir, name), path.resolve(cwd, name)])) {
        if (p !== bin && isRegularFile(p)) files.add(realpathSync(p));
      }
    }
  }
  return { script: true, files: [...files].sort() };
}

/**
 * The compiler's identity, which keys every cached object: its words; the resolved path,
 * size, mtime and content hash of the executable; for a script also of its interpreter
 * and the files it names; files named among its words; and its `--version` output.
 * Changing any of them compiles afresh.
 */
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
  const named = words.slice(1).flatMap(pathsInWord).map((w) => path.resolve(cwd, w)).filter(isRegularFile).map((p) => realpathSync(p));
  const deps = scriptDependencies(bin, env, cwd);
  const covers = [...new Set([...deps.files, ...named])].sort();
  const id = sha([words.join('\0'), fileIdentity(bin), version, ...covers.map(fileIdentity)].join('\n'));
  return { role, spec, argv, id, version: version.split('\n')[0]!.trim(), covers, script: deps.script };
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

  /** `fresh`: never reuse an object (every unit compiles again); results are still stored */
  constructor(readonly dir: string, readonly fresh = false) {
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
    const hit = this.fresh ? null : this.lookup(key);
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
