// Scope resolution: links every use of a name to the `let` that declares it. Blocks and
// nodes marked `scope: true` open a scope. It records, and never reports: deciding what
// is an error is the checks' job (checks.mjs), so each check stays one small file.
import { NODES } from './syntax.mjs';
import { children } from './walk.mjs';

let nextId = 0;

export function resolve(ast) {
  visit(ast, null);
  return ast;
}

function visit(n, scope) {
  switch (n.kind) {
    case 'let':
      visit(n.init, scope);
      n.id = ++nextId;
      n.previous = scope.vars.get(n.name) ?? null;
      scope.vars.set(n.name, n);
      return;
    case 'var':
      n.binding = lookup(scope, n.name);
      return;
    case 'assign':
      n.binding = lookup(scope, n.name);
      visit(n.value, scope);
      return;
    case 'block': {
      const inner = { vars: new Map(), parent: scope };
      for (const s of n.body) visit(s, inner);
      return;
    }
  }
  const s = NODES[n.kind]?.scope ? { vars: new Map(), parent: scope } : scope;
  for (const c of children(n)) visit(c, s);
}

function lookup(scope, name) {
  for (let s = scope; s; s = s.parent) if (s.vars.has(name)) return s.vars.get(name);
  return null;
}
