// Globs for suite configs, by picomatch: `*` and `?` within a path segment, `**` across
// segments, `{a,b}` alternatives (themselves globs), character classes. A pattern without
// `/` matches the file name anywhere; dot files match like any other.
import picomatch from 'picomatch';

export type Glob = (path: string) => boolean;

export function compileGlob(glob: string): Glob {
  // picomatch's `basename` would match a pattern with slashes against the file name too
  return picomatch(glob, { basename: !glob.includes('/'), dot: true });
}

export function matchesAny(path: string, globs: readonly Glob[]): boolean {
  for (const g of globs) if (g(path)) return true;
  return false;
}
