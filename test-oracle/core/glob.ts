// Minimal globs for suite configs: `*` and `?` within a path segment, `**` across
// segments, `{a,b}` alternatives. A pattern without `/` matches the file name anywhere.

export function globToRegExp(glob: string): RegExp {
  const anchoredToPath = glob.includes('/');
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += '(?:' + glob.slice(i + 1, end).split(',').map(escape).join('|') + ')';
        i = end;
      }
    } else re += escape(c);
  }
  return new RegExp(anchoredToPath ? `^${re}$` : `(?:^|/)${re}$`);
}

function escape(s: string): string {
  return s.replace(/[.+^${}()|[\]\\*?]/g, '\\$&');
}

export function matchesAny(path: string, globs: readonly RegExp[]): boolean {
  for (const g of globs) if (g.test(path)) return true;
  return false;
}
