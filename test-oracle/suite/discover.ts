// Finding the tests on disk. Ids are paths relative to the suite root with `/`
// separators, sorted, so they are stable across machines and runs.
import { readFileSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { compileGlob, matchesAny } from '../core/glob.js';
import { CONFIG_FILE, type SuiteConfig } from './config.js';

const NEVER = new Set(['.git', 'node_modules', CONFIG_FILE]);

export function discoverTests(c: SuiteConfig): string[] {
  const match = c.match.map(compileGlob);
  const exclude = c.exclude.map(compileGlob);
  const base = c.tests === '.' ? '' : c.tests.replace(/\/+$/, '') + '/';
  const logTop = c.logDir.split('/')[0];
  const ids: string[] = [];
  const walk = (rel: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(join(c.root, base, rel), { withFileTypes: true });
    } catch {
      return;
    }
    const isTestDir = c.layout === 'dir' && rel !== '';
    if (isTestDir) {
      const files = entries.filter((e) => isFile(c, base + rel, e)).map((e) => rel + '/' + e.name);
      if (files.some((f) => matchesAny(f, match) && !matchesAny(f, exclude))) {
        if (!matchesAny(rel, exclude)) ids.push(base + rel);
        return;
      }
    }
    for (const e of entries) {
      if (NEVER.has(e.name) || e.name.startsWith('.') || (rel === '' && base === '' && e.name === logTop)) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (isDir(c, base + r, e)) walk(r);
      else if (c.layout === 'file' && isFile(c, base + rel, e)) {
        if (e.name.endsWith(c.expected)) continue;
        if (matchesAny(r, match) && !matchesAny(r, exclude)) ids.push(base + r);
      }
    }
  };
  walk('');
  return ids.sort();
}

function isDir(c: SuiteConfig, rel: string, e: Dirent): boolean {
  if (e.isDirectory()) return true;
  return e.isSymbolicLink() && safeStat(join(c.root, rel))?.isDirectory() === true;
}

function isFile(c: SuiteConfig, relDir: string, e: Dirent): boolean {
  if (e.isFile()) return true;
  return e.isSymbolicLink() && safeStat(join(c.root, relDir, e.name))?.isFile() === true;
}

function safeStat(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/**
 * A test's expected output and where it was found: `NAME.expected` beside `NAME.c` first,
 * then `NAME.c.expected`. Read, not checked then read: one file operation per test counts
 * when a batch judges thousands. `text` is null when neither exists (path: the first).
 */
export function readExpected(c: SuiteConfig, id: string): { path: string; text: string | null } {
  const candidates = expectedCandidates(c, id);
  for (const path of candidates) {
    try {
      return { path, text: readFileSync(join(c.root, path), 'utf8') };
    } catch {
      // not there: the next candidate
    }
  }
  return { path: candidates[0]!, text: null };
}

function expectedCandidates(c: SuiteConfig, id: string): string[] {
  if (c.layout === 'dir') return [`${id}/${c.expected}`];
  const ext = extname(id);
  return ext ? [`${id.slice(0, -ext.length)}${c.expected}`, `${id}${c.expected}`] : [`${id}${c.expected}`];
}

/** `{name}`: the test's file name without extension, or its folder name. */
export function testName(c: SuiteConfig, id: string): string {
  const b = basename(id);
  if (c.layout === 'dir') return b;
  const ext = extname(b);
  return ext ? b.slice(0, -ext.length) : b;
}
