// Expression tasks with parse hooks: an entry in an operator table that takes over
// parsing, a node kind in src/syntax.mjs, and a module of their own.
import { imports, node, test, type Edit, type TaskSpec } from './types.js';

const R = String.raw;
const OPS = 'src/operators.mjs';
const SYNTAX = 'src/syntax.mjs';

const infixHook = (op: string, prec: number, fn: string): Edit => ({ path: OPS, anchor: '// @infix', key: `'${op}': {`, line: `  '${op}': { prec: ${prec}, parse: ${fn} },` });
const prefixHook = (op: string, fn: string): Edit => ({ path: OPS, anchor: '// @prefix', key: `'${op}': {`, line: `  '${op}': { parse: ${fn} },` });

export const expressionTasks: TaskSpec[] = [
  {
    name: 'expr-ternary',
    title: 'Conditional expression: c ? a : b',
    area: 'expressions',
    edits: [
      imports(OPS, ['parseTernary'], 'expr-ternary.mjs'),
      infixHook('?', 5, 'parseTernary'),
      imports(SYNTAX, ['condNode'], 'expr-ternary.mjs'),
      node('cond', 'condNode'),
    ],
    files: {
      'src/features/expr-ternary.mjs': R`// c ? a : b. Binds loosest of all operators and groups to the right, so
// a ? b : c ? d : e means a ? b : (c ? d : e).
export function parseTernary(p, cond, t) {
  const then = p.expression();
  p.expect(':');
  const otherwise = p.expression(5);
  return { kind: 'cond', cond, then, otherwise, line: t.line };
}

export const condNode = {
  gen: (n, g) => '(' + g.truthy(n.cond) + ' ? ' + g.expr(n.then) + ' : ' + g.expr(n.otherwise) + ')',
};
`,
    },
    tests: [test('expr-ternary', R`
      let a = 5;
      print(a < 3 ? "small" : "big", a == 5 ? 1 : 0 ? 2 : 3, 0 ? 1 : 0 ? 2 : 3);
    `, R`
      big 1 3
    `)],
  },
  {
    name: 'expr-index',
    title: 'Indexing strings: s[i], an error when out of range',
    area: 'expressions',
    edits: [
      imports(OPS, ['parseIndex'], 'expr-index.mjs'),
      infixHook('[', 90, 'parseIndex'),
      imports(SYNTAX, ['indexNode'], 'expr-index.mjs'),
      node('index', 'indexNode'),
    ],
    files: {
      'src/features/expr-index.mjs': R`// s[i]: the character at i, counting from 0. Out of range is a run-time error.
export function parseIndex(p, target, t) {
  const index = p.expression();
  p.expect(']');
  return { kind: 'index', target, index, line: t.line };
}

export const indexNode = {
  gen: (n, g) =>
    '((v, i) => (i >= 0 && i < v.length ? v[i] : $rt.fail(' + n.line + ', "index " + i + " out of range")))(' +
    g.expr(n.target) + ', ' + g.expr(n.index) + ')',
};
`,
    },
    tests: [test('expr-index', R`
      let s = "pebble";
      print(s[0], s[5], "abc"[1]);
      print(s[6]);
    `, R`
      p e b
      runtime error: line 3: index 6 out of range
    `)],
  },
  {
    name: 'expr-array',
    title: 'Array literals: [1, 2, 3], printed as written',
    area: 'expressions',
    edits: [
      imports(OPS, ['parseArray'], 'expr-array.mjs'),
      prefixHook('[', 'parseArray'),
      imports(SYNTAX, ['arrayNode'], 'expr-array.mjs'),
      node('array', 'arrayNode'),
    ],
    files: {
      'src/features/expr-array.mjs': R`// [a, b, ...]: an array value. print shows arrays as written, strings quoted.
export function parseArray(p, t) {
  return { kind: 'array', items: p.args(']'), line: t.line };
}

export const arrayNode = {
  gen: (n, g) => '[' + n.items.map(g.expr).join(', ') + ']',
};
`,
    },
    tests: [test('expr-array', R`
      print([1, 2, 3]);
      print([], ["a", 1 + 1]);
    `, R`
      [1, 2, 3]
      [] ["a", 2]
    `)],
  },
];
