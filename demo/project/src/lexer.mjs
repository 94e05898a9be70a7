// The lexer: source text to tokens. Rules are tried in order at each position and the
// first that matches wins, so a rule that must beat a core rule (hex before decimal,
// `//` before `/`) goes above it. Punctuation is whatever the operator tables know.
import { CompileError } from './errors.mjs';
import { punctuation } from './operators.mjs';

export const RULES = [
  // @rules (tasks add lexer rules here, one line each, above the core rules)
  { name: 'space', re: /[ \t\r\n]+/y, skip: true },
  { name: 'comment', re: /#[^\n]*/y, skip: true },
  { name: 'decimal', re: /[0-9]+/y, kind: 'num', value: (t) => Number(t) },
  { name: 'string', re: /"[^"\\\n]*"/y, kind: 'str', value: (t) => t.slice(1, -1) },
  { name: 'name', re: /[A-Za-z_][A-Za-z0-9_]*/y, kind: 'ident' },
];

export function lex(src) {
  const puncts = punctuation().sort((a, b) => b.length - a.length);
  const toks = [];
  let i = 0;
  let line = 1;
  outer: while (i < src.length) {
    for (const r of RULES) {
      r.re.lastIndex = i;
      const m = r.re.exec(src);
      if (!m || m[0].length === 0) continue;
      if (!r.skip) toks.push({ kind: r.kind, text: m[0], value: r.value ? r.value(m[0]) : m[0], line });
      line += m[0].split('\n').length - 1;
      i += m[0].length;
      continue outer;
    }
    const p = puncts.find((s) => src.startsWith(s, i));
    if (!p) throw new CompileError(line, `unexpected character '${src[i]}'`);
    toks.push({ kind: 'punct', text: p, value: p, line });
    i += p.length;
  }
  toks.push({ kind: 'eof', text: 'end of input', value: null, line });
  return toks;
}
