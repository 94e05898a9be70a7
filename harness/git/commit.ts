// Commit objects written in-process: on a claim's critical path `git commit-tree` is one
// more process start, so the commit is built here, byte for byte what commit-tree would
// write (same identity rules, same date and zone, same encoding header, same message
// bytes), and stored as a loose object like the trees before it. Wherever git would decide
// something this module does not model (identity auto-detection, a name git would trim,
// a config it cannot read exactly, another object format, a date from the environment),
// git commit-tree writes it instead, as before. Checked against git in test/git-commit.test.ts.
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { Git } from '../kit/git.js';
import { effectiveConfig, type ConfigValues } from './config-file.js';
import { objectDir, repoFacts, writeLooseObject } from './objects.js';

export interface Ident {
  name: string;
  email: string;
}

export interface CommitFields {
  tree: string;
  parents: string[];
  author: Ident;
  committer: Ident;
  /** seconds since the epoch and the zone's offset east of UTC in minutes, as git stamps both lines */
  when: { secs: number; tzMinutes: number };
  /** i18n.commitEncoding when it is not UTF-8: written as an `encoding` header */
  encoding: string | null;
  message: string;
}

type Env = Readonly<Record<string, string | undefined>>;

// What git trims from either end of a name or an email (ident.c `crud`), plus '.', which
// older gits trimmed too: a value that needs no trimming under either rule is written as is.
const CRUD = /^[\x00-\x20.,:;<>"\\']|[\x00-\x20.,:;<>"\\']$|[<>\n]/;

/**
 * Who git would record as `whose` (ident.c fmt_ident, strict, as commit-tree asks):
 * GIT_<WHOSE>_NAME/EMAIL, then <whose>.name/email, then user.name/email. Null where git
 * would go further than this models: guess from the system (no name or email set), fail
 * (an empty name, a key with no value), or change the value (trim or drop characters).
 */
export function identityOf(whose: 'author' | 'committer', env: Env, config: ConfigValues): Ident | null {
  const pick = (field: 'name' | 'email'): string | null | undefined => {
    const fromEnv = env[`GIT_${whose.toUpperCase()}_${field.toUpperCase()}`];
    if (fromEnv !== undefined) return fromEnv;
    const own = config.get(`${whose}.${field}`);
    if (own === null) return null; // git fails: a key without a value
    if (own) return own;
    return config.get(`user.${field}`);
  };
  const name = pick('name');
  const email = pick('email');
  if (!name || !email || CRUD.test(name) || CRUD.test(email)) return null;
  return { name, email };
}

/** The commit-tree settings that change the bytes: the encoding header, or null when git must write it (another object format, a config error). */
export function commitSettings(config: ConfigValues): { encoding: string | null } | null {
  const format = config.get('extensions.objectformat');
  if (format !== undefined && format?.toLowerCase() !== 'sha1') return null;
  if (config.has('extensions.compatobjectformat')) return null;
  const enc = config.get('i18n.commitencoding');
  if (enc === null || enc === '') return null;
  return { encoding: enc === undefined || /^utf-?8$/i.test(enc) ? null : enc };
}

/** `+0530`, `-0330`: git's zone format. */
export function formatTz(minutes: number): string {
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

// Code points git's UTF-8 check rejects (commit.c find_invalid_utf8) and would rewrite as
// Latin-1: the noncharacters. A JS string cannot hold the other invalid sequences.
const NONCHARACTER = /[\uFDD0-\uFDEF\uFFFE\uFFFF]|[\u{1FFFE}\u{1FFFF}\u{2FFFE}\u{2FFFF}\u{3FFFE}\u{3FFFF}\u{4FFFE}\u{4FFFF}\u{5FFFE}\u{5FFFF}\u{6FFFE}\u{6FFFF}\u{7FFFE}\u{7FFFF}\u{8FFFE}\u{8FFFF}\u{9FFFE}\u{9FFFF}\u{AFFFE}\u{AFFFF}\u{BFFFE}\u{BFFFF}\u{CFFFE}\u{CFFFF}\u{DFFFE}\u{DFFFF}\u{EFFFE}\u{EFFFF}\u{FFFFE}\u{FFFFF}\u{10FFFE}\u{10FFFF}]/u;

/** The commit object's content (commit.c commit_tree_extended); null where git would refuse or alter it. */
export function encodeCommit(c: CommitFields): Buffer | null {
  if (c.message.includes('\0')) return null; // git refuses a NUL in the message
  const stamp = `${c.when.secs} ${formatTz(c.when.tzMinutes)}`;
  const text = [
    `tree ${c.tree}\n`,
    ...c.parents.map((p) => `parent ${p}\n`),
    `author ${c.author.name} <${c.author.email}> ${stamp}\n`,
    `committer ${c.committer.name} <${c.committer.email}> ${stamp}\n`,
    c.encoding ? `encoding ${c.encoding}\n` : '',
    '\n',
    c.message,
  ].join('');
  if (!c.encoding && NONCHARACTER.test(text)) return null;
  return Buffer.from(text, 'utf8');
}

const ZONEINFO = '/usr/share/zoneinfo';

/**
 * Whether Node (ICU) and git (the C library) read the same zone, so the offset computed
 * here is the one git would stamp: a zone file named by TZ, or with TZ unset,
 * /etc/localtime linking to one (or absent: UTC for both). A POSIX rule string
 * (`EST5EDT,M3.2.0,M11.1.0`), which the C library reads and ICU takes for UTC, is not.
 */
export function zoneIsShared(tz: string | undefined): boolean {
  if (tz !== undefined) return /^[A-Za-z][\w+-]*(\/[\w+-]+)*$/.test(tz) && existsSync(path.join(ZONEINFO, tz));
  try {
    if (!lstatSync('/etc/localtime').isSymbolicLink()) return false;
  } catch {
    return true; // no /etc/localtime: UTC for both
  }
  return path.resolve('/etc', readlinkSync('/etc/localtime')).startsWith(`${ZONEINFO}/`);
}

export interface CommitClock {
  now: () => Date;
}
const SYSTEM_CLOCK: CommitClock = { now: () => new Date() };

/**
 * Everything but the tree, parents and message, as commit-tree would take it from this
 * repo's environment and config; null when git must write the commit.
 */
async function commitContext(git: Git, clock: CommitClock): Promise<Pick<CommitFields, 'author' | 'committer' | 'when' | 'encoding'> | null> {
  const env = git.envEntries();
  if (env.GIT_AUTHOR_DATE || env.GIT_COMMITTER_DATE) return null; // git's date parser: not modelled
  if (env.TZ !== process.env.TZ || !zoneIsShared(env.TZ)) return null; // git would stamp another zone than this process computes
  const config = effectiveConfig(env, (await repoFacts(git)).commonDir);
  if (!config) return null;
  const settings = commitSettings(config);
  const author = identityOf('author', env, config);
  const committer = identityOf('committer', env, config);
  if (!settings || !author || !committer) return null;
  const now = clock.now();
  return { author, committer, encoding: settings.encoding, when: { secs: Math.floor(now.getTime() / 1000), tzMinutes: -now.getTimezoneOffset() } };
}

/**
 * Commits a tree with the given parents, as `git commit-tree` would (in-process when it
 * can be done exactly); as the configured user, or else as `fallbackName`.
 */
export async function commitTree(git: Git, tree: string, parents: string[], message: string, fallbackName: string, clock = SYSTEM_CLOCK): Promise<string> {
  const ctx = await commitContext(git, clock);
  const body = ctx && encodeCommit({ ...ctx, tree, parents: [...new Set(parents)], message });
  if (body) return writeLooseObject(await objectDir(git), 'commit', body);
  return git.mustAs(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'], { input: message }, fallbackName);
}
