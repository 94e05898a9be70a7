// Code generation: the resolved AST to JavaScript source that calls the runtime ($rt)
// for every operator and builtin, so operator tables stay the one place semantics live.
// Every variable gets a unique name (v<id>_<name>) so shadowing and redeclaration
// mean exactly what resolution decided.
import { CompileError } from './errors.mjs';
import { NODES } from './syntax.mjs';

const q = (s) => JSON.stringify(s);

export function generate(ast) {
  return stmt(ast);
}

export function varName(decl) {
  return `v${decl.id}_${decl.name}`;
}

const g = { expr, stmt, varName, tick: '$rt.tick();', truthy: (n) => `$rt.truthy(${expr(n)})` };

function expr(n) {
  switch (n.kind) {
    case 'num':
      return String(n.value);
    case 'str':
      return q(n.value);
    case 'var':
      return n.binding ? varName(n.binding) : `$rt.undef(${q(n.name)}, ${n.line})`;
    case 'bin':
      return `$rt.bin(${q(n.op)}, ${expr(n.left)}, ${expr(n.right)}, ${n.line})`;
    case 'un':
      return `$rt.un(${q(n.op)}, ${expr(n.arg)}, ${n.line})`;
    case 'call':
      return `$rt.call(${q(n.name)}, [${n.args.map(expr).join(', ')}], ${n.line})`;
  }
  return other(n);
}

function stmt(n) {
  switch (n.kind) {
    case 'block':
      return `{\n${n.body.map(stmt).join('\n')}\n}`;
    case 'let':
      return `let ${varName(n)} = ${expr(n.init)};`;
    case 'assign': {
      if (!n.binding) return `$rt.undef(${q(n.name)}, ${n.line});`;
      const v = varName(n.binding);
      if (n.op === '=') return `${v} = ${expr(n.value)};`;
      return `${v} = $rt.assign(${q(n.op)}, ${v}, ${expr(n.value)}, ${n.line});`;
    }
    case 'expr':
      return `${expr(n.expr)};`;
    case 'if':
      return `if (${g.truthy(n.cond)}) ${stmt(n.then)}${n.otherwise ? ` else ${stmt(n.otherwise)}` : ''}`;
    case 'while':
      return `while (${g.truthy(n.cond)}) { ${g.tick} ${stmt(n.body)} }`;
  }
  return other(n);
}

function other(n) {
  const def = NODES[n.kind];
  if (!def?.gen) throw new CompileError(n.line, `no code generator for '${n.kind}'`);
  return def.gen(n, g);
}
