// Compilation units from a standard compile_commands.json (CMake, Bear, Meson), and the
// compiler swap: the entry's compiler is replaced by the candidate or the reference, its
// output and dependency-file flags are dropped (the object cache chooses those).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../harness/kit/errors.js';

export interface Unit {
  index: number;
  /** short display name: the path relative to the units' common folder */
  name: string;
  /** absolute path of the source file */
  file: string;
  /** absolute working directory of the compile */
  directory: string;
  /** the compile's arguments without the compiler, output and dep-file flags; has -c */
  args: string[];
}

/** POSIX-shell-like word splitting: quotes, backslashes; no expansions. */
export function shellSplit(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated single quote');
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      i++;
      for (; i < s.length && s[i] !== '"'; i++) {
        if (s[i] === '\\' && i + 1 < s.length && '"\\$`\n'.includes(s[i + 1]!)) i++;
        cur += s[i];
      }
      if (i >= s.length) throw new Error('unterminated double quote');
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const LAUNCHERS = new Set(['ccache', 'sccache', 'distcc', 'icecc']);
const DROP_WITH_VALUE = new Set(['-o', '-MF', '-MT', '-MQ']);
const DROP_ALONE = new Set(['-MD', '-MMD', '-MP', '-M', '-MM']);

/** Strips the compiler (and a launcher such as ccache) and the flags the cache owns. */
export function normalizeArgs(argv: string[]): string[] {
  let rest = argv.slice(1);
  if (LAUNCHERS.has(path.basename(argv[0] ?? ''))) rest = rest.slice(1);
  const out: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (DROP_WITH_VALUE.has(a)) i++;
    else if (DROP_ALONE.has(a)) continue;
    else if (/^-o./.test(a) || /^-M[FTQ]./.test(a)) continue;
    else out.push(a);
  }
  if (!out.includes('-c')) out.unshift('-c');
  return out;
}

/** The full argv for compiling `unit` with `compiler` (itself possibly several words). */
export function compileArgv(compiler: string[], unit: Unit, output: string, extra: string[] = []): string[] {
  return [...compiler, ...unit.args, ...extra, '-o', output];
}

export function loadUnits(file: string): Unit[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError('NO_UNITS', `cannot read --units ${file}: ${code === 'ENOENT' ? 'no such file' : code}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError('BAD_UNITS', `--units ${file} is not JSON: ${(e as Error).message}`);
  }
  return parseUnits(data, file);
}

export function parseUnits(data: unknown, file: string): Unit[] {
  if (!Array.isArray(data))
    throw new UsageError('BAD_UNITS', `--units ${file} must be a JSON array of compile commands`);
  if (data.length === 0) throw new UsageError('BAD_UNITS', `--units ${file} has no compile commands`);
  const raw = data.map((e: unknown, i) => {
    const where = `--units ${file} entry ${i}`;
    if (!e || typeof e !== 'object') throw new UsageError('BAD_UNITS', `${where} is not an object`);
    const { directory, file: src, command, arguments: args } = e as Record<string, unknown>;
    if (typeof directory !== 'string' || typeof src !== 'string')
      throw new UsageError('BAD_UNITS', `${where} needs "directory" and "file" strings`);
    let argv: string[];
    if (Array.isArray(args) && args.every((a) => typeof a === 'string')) argv = args as string[];
    else if (typeof command === 'string') {
      try {
        argv = shellSplit(command);
      } catch (err) {
        throw new UsageError('BAD_UNITS', `${where}: cannot split "command": ${(err as Error).message}`);
      }
    } else throw new UsageError('BAD_UNITS', `${where} needs "arguments" (array) or "command" (string)`);
    if (argv.length < 2) throw new UsageError('BAD_UNITS', `${where} has no compiler arguments`);
    const dir = path.resolve(path.dirname(path.resolve(file)), directory);
    return { file: path.resolve(dir, src), directory: dir, args: normalizeArgs(argv) };
  });
  const root = commonDir(raw.map((r) => path.dirname(r.file)));
  const seen = new Map<string, number>();
  return raw.map((r, index) => {
    let name = path.relative(root, r.file) || path.basename(r.file);
    const k = (seen.get(name) ?? 0) + 1;
    seen.set(name, k);
    if (k > 1) name = `${name}#${k}`;
    return { index, name, ...r };
  });
}

function commonDir(dirs: string[]): string {
  let parts = dirs[0]!.split(path.sep);
  for (const d of dirs.slice(1)) {
    const p = d.split(path.sep);
    let i = 0;
    while (i < parts.length && i < p.length && parts[i] === p[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(path.sep) || path.sep;
}
