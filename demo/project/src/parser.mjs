// A Pratt parser: tokens to an AST of plain objects `{ kind, line, ... }`. What the
// language has is in the tables (operators.mjs, syntax.mjs); this file only knows how
// to walk them, plus the core forms: literals, names, calls, blocks and assignment.
import { CompileError, describeToken } from './errors.mjs';
import { ASSIGN, INFIX, PREFIX } from './operators.mjs';
import { STATEMENTS } from './syntax.mjs';

const PREFIX_PREC = 70;

export class Parser {
  constructor(tokens) {
    this.toks = tokens;
    this.i = 0;
    /** how many loops enclose the current statement (for break and continue) */
    this.loops = 0;
  }

  peek(k = 0) {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)];
  }
  next() {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  at(punct) {
    const t = this.peek();
    return t.kind === 'punct' && t.value === punct;
  }
  accept(punct) {
    return this.at(punct) ? this.next() : null;
  }
  acceptWord(word) {
    const t = this.peek();
    return t.kind === 'ident' && t.value === word ? this.next() : null;
  }
  expect(punct) {
    const t = this.next();
    if (t.kind !== 'punct' || t.value !== punct) throw this.error(t, `expected '${punct}' but found ${describeToken(t)}`);
    return t;
  }
  ident() {
    const t = this.next();
    if (t.kind !== 'ident') throw this.error(t, `expected a name but found ${describeToken(t)}`);
    return t.value;
  }
  error(t, msg) {
    return new CompileError(t.line, msg);
  }

  program() {
    const body = [];
    while (this.peek().kind !== 'eof') body.push(this.statement());
    return { kind: 'block', body, line: 1 };
  }

  block() {
    const open = this.expect('{');
    const body = [];
    while (!this.at('}')) {
      if (this.peek().kind === 'eof') throw this.error(this.peek(), `missing '}' for the block opened on line ${open.line}`);
      body.push(this.statement());
    }
    this.next();
    return { kind: 'block', body, line: open.line };
  }

  /** `( expr )`, as after if and while. */
  condition() {
    this.expect('(');
    const e = this.expression();
    this.expect(')');
    return e;
  }

  statement() {
    const t = this.peek();
    if (t.kind === 'ident' && Object.hasOwn(STATEMENTS, t.value)) {
      this.next();
      return STATEMENTS[t.value].parse(this, t);
    }
    if (this.at('{')) return this.block();
    const stmt = this.simple();
    this.expect(';');
    return stmt;
  }

  /** An assignment or an expression, without the `;` (for loops reuse it). */
  simple() {
    const t = this.peek();
    const op = this.peek(1);
    if (t.kind === 'ident' && op.kind === 'punct' && (op.value === '=' || Object.hasOwn(ASSIGN, op.value))) {
      this.i += 2;
      const value = this.expression();
      return { kind: 'assign', name: t.value, op: op.value, value, line: t.line };
    }
    return { kind: 'expr', expr: this.expression(), line: t.line };
  }

  expression(minPrec = 0) {
    let left = this.prefix();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'punct' || !Object.hasOwn(INFIX, t.value)) return left;
      const op = INFIX[t.value];
      if (op.prec < minPrec) return left;
      this.next();
      if (op.parse) {
        left = op.parse(this, left, t);
        continue;
      }
      const right = this.expression(op.right ? op.prec : op.prec + 1);
      left = { kind: 'bin', op: t.value, left, right, line: t.line };
    }
  }

  prefix() {
    const t = this.next();
    if (t.kind === 'num') return { kind: 'num', value: t.value, line: t.line };
    if (t.kind === 'str') return { kind: 'str', value: t.value, line: t.line };
    if (t.kind === 'ident') {
      if (this.accept('(')) return { kind: 'call', name: t.value, args: this.args(')'), line: t.line };
      return { kind: 'var', name: t.value, line: t.line };
    }
    if (t.kind === 'punct' && t.value === '(') {
      const e = this.expression();
      this.expect(')');
      return e;
    }
    if (t.kind === 'punct' && Object.hasOwn(PREFIX, t.value)) {
      const op = PREFIX[t.value];
      if (op.parse) return op.parse(this, t);
      return { kind: 'un', op: t.value, arg: this.expression(PREFIX_PREC), line: t.line };
    }
    throw this.error(t, `unexpected ${describeToken(t)}`);
  }

  /** Comma-separated expressions up to `close`, which is consumed. */
  args(close) {
    const out = [];
    if (this.accept(close)) return out;
    do out.push(this.expression());
    while (this.accept(','));
    this.expect(close);
    return out;
  }
}

export function parse(tokens) {
  return new Parser(tokens).program();
}
