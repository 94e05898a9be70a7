// Statement tasks: a module of their own in src/features/, plus an import, a keyword
// and a node kind in src/syntax.mjs (three anchors that every statement task shares).
import { check, imports, node, statement, test, type TaskSpec } from './types.js';

const R = String.raw;
const SYNTAX = 'src/syntax.mjs';

function stmt(name: string, title: string, keyword: string, names: [string, string], module: string, tests: TaskSpec['tests'], extra: Partial<TaskSpec> = {}): TaskSpec {
  const file = `${name}.mjs`;
  return {
    name,
    title,
    area: 'statements',
    edits: [imports(SYNTAX, names, file), statement(keyword, names[1]), node(keyword, names[0]), ...(extra.edits ?? [])],
    files: { [`src/features/${file}`]: module, ...(extra.files ?? {}) },
    tests,
  };
}

export const statementTasks: TaskSpec[] = [
  stmt('stmt-for', 'for (init; cond; step) body, with init scoped to the loop', 'for', ['forNode', 'forStatement'], R`// for (init; cond; step) body. A 'let' in init is scoped to the loop, so the node
// opens a scope; the step is an assignment or an expression without its ';'.
export const forStatement = {
  parse(p, t) {
    p.expect('(');
    const isLet = p.peek().kind === 'ident' && p.peek().value === 'let';
    const init = isLet ? p.statement() : p.simple();
    if (!isLet) p.expect(';');
    const cond = p.expression();
    p.expect(';');
    const step = p.simple();
    p.expect(')');
    p.loops++;
    const body = p.statement();
    p.loops--;
    return { kind: 'for', init, cond, step, body, line: t.line };
  },
};

export const forNode = {
  scope: true,
  gen: (n, g) =>
    '{ ' + g.stmt(n.init) + ' for (; ' + g.truthy(n.cond) + '; ' + g.stmt(n.step).replace(/;$/, '') + ') { ' + g.tick + ' ' + g.stmt(n.body) + ' } }',
};
`, [test('stmt-for', R`
    let total = 0;
    for (let i = 0; i < 5; i = i + 1) total = total + i;
    print(total);
    for (let i = 0; i < 3; i = i + 1) { print("i", i); }
    let j = 10;
    for (j = 0; j < 2; j = j + 1) print("j", j);
    print(j);
  `, R`
    10
    i 0
    i 1
    i 2
    j 0
    j 1
    2
  `)]),

  stmt('stmt-break', 'break; leaves the innermost loop (an error outside loops)', 'break', ['breakNode', 'breakStatement'], R`// break; leaves the innermost loop. Outside a loop it is a compile error, found while
// parsing because the parser counts the loops around it.
export const breakStatement = {
  parse(p, t) {
    if (p.loops === 0) throw p.error(t, "'break' outside a loop");
    p.expect(';');
    return { kind: 'break', line: t.line };
  },
};

export const breakNode = { gen: () => 'break;' };
`, [
    test('stmt-break', R`
      let i = 0;
      while (1) {
        if (i == 3) break;
        print(i);
        i = i + 1;
      }
      print("after", i);
    `, R`
      0
      1
      2
      after 3
    `),
    test('stmt-break-outside', R`
      print(1);
      break;
    `, R`
      error: line 2: 'break' outside a loop
    `),
  ]),

  stmt('stmt-continue', 'continue; goes to the next iteration of the innermost loop', 'continue', ['continueNode', 'continueStatement'], R`// continue; skips to the next iteration of the innermost loop; outside a loop it is
// a compile error.
export const continueStatement = {
  parse(p, t) {
    if (p.loops === 0) throw p.error(t, "'continue' outside a loop");
    p.expect(';');
    return { kind: 'continue', line: t.line };
  },
};

export const continueNode = { gen: () => 'continue;' };
`, [test('stmt-continue', R`
    let i = 0;
    while (i < 6) {
      i = i + 1;
      if (i == 4) continue;
      print(i);
    }
  `, R`
    1
    2
    3
    5
    6
  `)]),

  stmt('stmt-do-while', 'do body while (cond); runs the body at least once', 'do', ['doNode', 'doStatement'], R`// do body while (cond); the body runs once before the condition is first tested.
export const doStatement = {
  parse(p, t) {
    p.loops++;
    const body = p.statement();
    p.loops--;
    if (!p.acceptWord('while')) throw p.error(p.peek(), "expected 'while' after the body of 'do'");
    const cond = p.condition();
    p.expect(';');
    return { kind: 'do', body, cond, line: t.line };
  },
};

export const doNode = {
  gen: (n, g) => 'do { ' + g.tick + ' ' + g.stmt(n.body) + ' } while (' + g.truthy(n.cond) + ');',
};
`, [test('stmt-do-while', R`
    let n = 10;
    do { print(n); n = n + 1; } while (n < 3);
    let k = 0;
    do k = k + 1; while (k < 4);
    print(k);
  `, R`
    10
    4
  `)]),

  stmt('stmt-assert', 'assert cond; stops the program with an error when cond is false', 'assert', ['assertNode', 'assertStatement'], R`// assert cond; fails at run time, naming the line, when cond is false.
export const assertStatement = {
  parse(p, t) {
    const cond = p.expression();
    p.expect(';');
    return { kind: 'assert', cond, line: t.line };
  },
};

export const assertNode = {
  gen: (n, g) => 'if (!' + g.truthy(n.cond) + ') $rt.fail(' + n.line + ', "assertion failed");',
};
`, [test('stmt-assert', R`
    assert 1 == 1;
    print("ok");
    assert 2 == 3;
    print("unreachable");
  `, R`
    ok
    runtime error: line 3: assertion failed
  `)]),

  stmt('stmt-const', 'const x = e; declares a name that cannot be assigned', 'const', ['constNode', 'constStatement'], R`// const x = e; is a let that refuses assignment. It parses to a 'let' node marked
// constant, so resolution and code generation treat it as one; checkConstAssign
// reports assignments to it.
import { walk } from '../walk.mjs';

export const constStatement = {
  parse(p, t) {
    const name = p.ident();
    p.expect('=');
    const init = p.expression();
    p.expect(';');
    return { kind: 'let', name, init, constant: true, line: t.line };
  },
};

/** Nothing parses to a 'const' node; the entry documents that the keyword is taken. */
export const constNode = { gen: (n) => { throw new Error('const parses to let (line ' + n.line + ')'); } };

export function checkConstAssign(ast, report) {
  walk(ast, (n) => {
    if (n.kind === 'assign' && n.binding?.constant) report(n, "cannot assign to constant '" + n.name + "'");
  });
}
`, [
    test('stmt-const', R`
      const answer = 42;
      print(answer);
    `, R`
      42
    `),
    test('stmt-const-assign', R`
      const limit = 3;
      print(limit);
      limit = 4;
    `, R`
      error: line 3: cannot assign to constant 'limit'
    `),
  ], { edits: [imports('src/checks.mjs', ['checkConstAssign'], 'stmt-const.mjs'), check('checkConstAssign')] }),
];
