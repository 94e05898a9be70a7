// Git's config read without running git, for the few settings an in-process commit needs
// (commit.ts). It covers the common layout exactly (system, global, repo files; git's own
// syntax, quoting and escapes) and answers null for anything it does not model (include
// files, `git -c` settings inherited from a parent git, a per-worktree config, a file git
// would refuse), so the caller asks git instead: a wrong answer would be a commit git
// would not have written.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** `section[.subsection].key` (section and key lower-cased, as git does) -> the last value; null: the key had no `=`. */
export type ConfigValues = Map<string, string | null>;

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isAlpha = (c: string) => /^[A-Za-z]$/.test(c);
const isKeyChar = (c: string) => /^[A-Za-z0-9-]$/.test(c);

/**
 * Parses one config file's text the way git's parser does (config.c, git_parse_source):
 * entries in file order, or null where git would stop with "bad config line" or the file
 * includes others.
 */
export function parseConfig(text: string): [string, string | null][] | null {
  const s = (text.startsWith('\uFEFF') ? text.slice(1) : text).replace(/\r\n/g, '\n') + '\n';
  const out: [string, string | null][] = [];
  let i = 0;
  let section: string | null = null;
  while (i < s.length) {
    const c = s[i++]!;
    if (c === '#' || c === ';') {
      while (i < s.length && s[i] !== '\n') i++;
      continue;
    }
    if (isSpace(c)) continue;
    if (c === '[') {
      const h = parseSectionHeader(s, i);
      if (!h) return null;
      [section, i] = h;
      const base = section.split('.')[0]!;
      if (base === 'include' || base === 'includeif') return null;
      continue;
    }
    if (!isAlpha(c) || section === null) return null;
    let key = c.toLowerCase();
    while (i < s.length && isKeyChar(s[i]!)) key += s[i++]!.toLowerCase();
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] === '\n') {
      i++;
      out.push([`${section}.${key}`, null]);
      continue;
    }
    if (s[i] !== '=') return null;
    const v = parseValue(s, i + 1);
    if (!v) return null;
    out.push([`${section}.${key}`, v[0]]);
    i = v[1];
  }
  return out;
}

/** `[section]`, `[section "sub"]` (sub kept as written) or the old `[section.sub]` (all lower-cased). */
function parseSectionHeader(s: string, i: number): [string, number] | null {
  let name = '';
  for (;;) {
    const c = s[i++];
    if (c === undefined || c === '\n') return null;
    if (c === ']') return name ? [name, i] : null;
    if (isSpace(c)) break;
    if (!isKeyChar(c) && c !== '.') return null;
    name += c.toLowerCase();
  }
  while (s[i] === ' ' || s[i] === '\t' || s[i] === '\r') i++;
  if (s[i++] !== '"') return null;
  let sub = '';
  for (;;) {
    let c = s[i++];
    if (c === undefined || c === '\n') return null;
    if (c === '"') break;
    if (c === '\\') {
      c = s[i++];
      if (c === undefined || c === '\n') return null;
    }
    sub += c;
  }
  if (s[i++] !== ']' || !name) return null;
  return [`${name}.${sub}`, i];
}

/** A value up to its line's end: quotes, the four escapes, `\` + newline, comments, inner spaces kept one for one. */
function parseValue(s: string, i: number): [string, number] | null {
  let value = '';
  let quote = false;
  let comment = false;
  let spaces = 0;
  for (;;) {
    const c = s[i++];
    if (c === undefined || c === '\n') return quote ? null : [value, i];
    if (comment) continue;
    if (isSpace(c) && !quote) {
      if (value.length) spaces++;
      continue;
    }
    if (!quote && (c === ';' || c === '#')) {
      comment = true;
      continue;
    }
    value += ' '.repeat(spaces);
    spaces = 0;
    if (c === '\\') {
      const e = s[i++];
      if (e === '\n') continue;
      const esc: Record<string, string> = { t: '\t', b: '\b', n: '\n', '\\': '\\', '"': '"' };
      if (e === undefined || !(e in esc)) return null;
      value += esc[e];
      continue;
    }
    if (c === '"') {
      quote = !quote;
      continue;
    }
    value += c;
  }
}

/** git's boolean: true/yes/on, false/no/off, an integer, a bare key (true) or an empty value (false); null: not a boolean. */
export function configBool(v: string | null): boolean | null {
  if (v === null) return true;
  const l = v.toLowerCase();
  if (l === 'true' || l === 'yes' || l === 'on') return true;
  if (l === 'false' || l === 'no' || l === 'off' || l === '') return false;
  return /^-?\d+$/.test(v) ? Number(v) !== 0 : null;
}

/**
 * The files git reads, in its order (later wins): system, global, the repo's own. Null
 * when one cannot be known from here: a git binary whose built-in system config path is
 * not /etc/gitconfig (only a git under /usr is known to use it). The environment's own
 * settings come on top of them (envConfigEntries).
 */
export function configFiles(env: Record<string, string | undefined>, commonDir: string): string[] | null {
  const files: string[] = [];
  const noSystem = env.GIT_CONFIG_NOSYSTEM === undefined ? false : configBool(env.GIT_CONFIG_NOSYSTEM);
  if (noSystem === null) return null;
  if (!noSystem) {
    if (env.GIT_CONFIG_SYSTEM !== undefined) {
      if (!env.GIT_CONFIG_SYSTEM) return null;
      files.push(env.GIT_CONFIG_SYSTEM);
    } else {
      if (gitPrefix(env.PATH) !== '/usr') return null;
      files.push('/etc/gitconfig');
    }
  }
  if (env.GIT_CONFIG_GLOBAL !== undefined) {
    if (!env.GIT_CONFIG_GLOBAL) return null;
    files.push(env.GIT_CONFIG_GLOBAL);
  } else {
    if (env.HOME === '') return null;
    const home = env.HOME ?? null;
    const xdg = env.XDG_CONFIG_HOME ? path.join(env.XDG_CONFIG_HOME, 'git/config') : home ? path.join(home, '.config/git/config') : null;
    if (xdg) files.push(xdg);
    if (home) files.push(path.join(home, '.gitconfig'));
  }
  files.push(path.join(commonDir, 'config'));
  return files;
}

/** The install prefix of the git that PATH finds (/usr for /usr/bin/git), or null. */
function gitPrefix(PATH: string | undefined): string | null {
  for (const dir of (PATH ?? '').split(':')) {
    if (!dir) continue;
    const p = path.join(dir, 'git');
    try {
      if (!statSync(p).isFile()) continue;
      const real = realpathSync(p);
      return path.basename(path.dirname(real)) === 'bin' ? path.dirname(path.dirname(real)) : null;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Every setting git sees, in its order (files, then the environment's
 * GIT_CONFIG_COUNT pairs, which is how sessions get their upstream token); null when
 * git alone can tell (see configFiles; also a `git -c` from a parent git).
 */
export function effectiveConfigEntries(env: Record<string, string | undefined>, commonDir: string): [string, string | null][] | null {
  if (env.GIT_CONFIG_PARAMETERS) return null;
  const files = configFiles(env, commonDir);
  const fromFiles = files && readConfigEntries(files);
  const fromEnv = envConfigEntries(env);
  if (!fromFiles || !fromEnv) return null;
  const all = [...fromFiles, ...fromEnv];
  // A per-worktree config file may override any of it: not modelled.
  const wt = new Map(all).get('extensions.worktreeconfig');
  return wt !== undefined && configBool(wt) !== false ? null : all;
}

/** effectiveConfigEntries as a map: the last value of each key. */
export function effectiveConfig(env: Record<string, string | undefined>, commonDir: string): ConfigValues | null {
  const entries = effectiveConfigEntries(env, commonDir);
  return entries && new Map(entries);
}

/** GIT_CONFIG_COUNT and its KEY_n/VALUE_n pairs, keys as parseConfig writes them; null where git would refuse them. */
export function envConfigEntries(env: Record<string, string | undefined>): [string, string][] | null {
  if (env.GIT_CONFIG_COUNT === undefined || env.GIT_CONFIG_COUNT === '') return [];
  if (!/^\d{1,4}$/.test(env.GIT_CONFIG_COUNT)) return null;
  const out: [string, string][] = [];
  for (let i = 0; i < Number(env.GIT_CONFIG_COUNT); i++) {
    const key = canonicalKey(env[`GIT_CONFIG_KEY_${i}`]);
    const value = env[`GIT_CONFIG_VALUE_${i}`];
    if (key === null || value === undefined) return null;
    // git follows an include given this way too; the files it names are not read here
    if (/^include(if)?\./.test(key)) return null;
    out.push([key, value]);
  }
  return out;
}

/** `Section.Sub.Key` -> `section.Sub.key`, as git canonicalizes a key it is given; null when git would call it invalid. */
function canonicalKey(k: string | undefined): string | null {
  if (!k) return null;
  const first = k.indexOf('.');
  const last = k.lastIndexOf('.');
  if (first <= 0 || last === k.length - 1) return null;
  const section = k.slice(0, first);
  const key = k.slice(last + 1);
  if (!/^[A-Za-z0-9-]+$/.test(section) || !/^[A-Za-z][A-Za-z0-9-]*$/.test(key)) return null;
  const sub = first === last ? '' : k.slice(first, last);
  if (sub.includes('\n')) return null;
  return `${section.toLowerCase()}${sub}.${key.toLowerCase()}`;
}

/**
 * The files' settings in order (a missing file is skipped, as git does); null when one
 * cannot be read or parsed, or is not UTF-8 (its bytes would not survive as a JS string).
 */
function readConfigEntries(files: string[]): [string, string | null][] | null {
  const values: [string, string | null][] = [];
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  for (const f of files) {
    let raw: Buffer;
    try {
      raw = readFileSync(f);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      return null;
    }
    let text: string;
    try {
      text = utf8.decode(raw);
    } catch {
      return null;
    }
    const entries = parseConfig(text);
    if (!entries) return null;
    values.push(...entries);
  }
  return values;
}
