// Check tasks: a module of their own and an entry in src/checks.mjs (one anchor for
// the imports and one for the list, shared by every check task).
import { check, imports, test, type TaskSpec } from './types.js';

const R = String.raw;

function chk(name: string, title: string, fn: string, body: string, tests: TaskSpec['tests']): TaskSpec {
  return {
    name,
    title,
    area: 'checks',
    edits: [imports('src/checks.mjs', [fn], `${name}.mjs`), check(fn)],
    files: { [`src/features/${name}.mjs`]: body },
    tests,
  };
}

export const checkTasks: TaskSpec[] = [
  chk('check-undefined', 'Report uses of undeclared variables at compile time', 'checkUndefined', R`// A name used without a declaration in scope is a compile error, not a run-time one.
import { walk } from '../walk.mjs';

export function checkUndefined(ast, report) {
  walk(ast, (n) => {
    if (n.kind === 'var' && !n.binding) report(n, "undefined variable '" + n.name + "'");
  });
}
`, [test('check-undefined', R`
    let a = 1;
    print(a + b);
    print(c);
  `, R`
    error: line 2: undefined variable 'b'
    error: line 3: undefined variable 'c'
  `)]),

  chk('check-redeclare', 'Report a second let of the same name in one scope', 'checkRedeclare', R`// let x twice in the same scope is an error; shadowing in an inner block is fine.
import { walk } from '../walk.mjs';

export function checkRedeclare(ast, report) {
  walk(ast, (n) => {
    if (n.kind === 'let' && n.previous) report(n, "'" + n.name + "' is already declared on line " + n.previous.line);
  });
}
`, [test('check-redeclare', R`
    let x = 1;
    { let x = 2; print(x); }
    let x = 3;
  `, R`
    error: line 3: 'x' is already declared on line 1
  `)]),

  chk('check-arity', 'Report builtin calls with the wrong number of arguments', 'checkArity', R`// A call to a builtin with too few or too many arguments is a compile error.
import { BUILTINS } from '../builtins.mjs';
import { walk } from '../walk.mjs';

export function checkArity(ast, report) {
  walk(ast, (n) => {
    if (n.kind !== 'call' || !Object.hasOwn(BUILTINS, n.name)) return;
    const [min, max] = BUILTINS[n.name].arity;
    if (n.args.length >= min && n.args.length <= max) return;
    const want = min === max ? String(min) : min + ' to ' + max;
    report(n, n.name + '() takes ' + want + ' argument' + (max === 1 ? '' : 's') + ', got ' + n.args.length);
  });
}
`, [test('check-arity', R`
    print(int("1"));
    print(int("1", 2));
    print(int());
  `, R`
    error: line 2: int() takes 1 argument, got 2
    error: line 3: int() takes 1 argument, got 0
  `)]),

  chk('check-unknown-function', 'Report calls to functions that do not exist at compile time', 'checkUnknownFunction', R`// Calling a function that is neither print nor a builtin is a compile error.
import { BUILTINS } from '../builtins.mjs';
import { walk } from '../walk.mjs';

export function checkUnknownFunction(ast, report) {
  walk(ast, (n) => {
    if (n.kind === 'call' && n.name !== 'print' && !Object.hasOwn(BUILTINS, n.name)) report(n, "unknown function '" + n.name + "'");
  });
}
`, [test('check-unknown-function', R`
    print("start");
    print(frobnicate(1));
  `, R`
    error: line 2: unknown function 'frobnicate'
  `)]),

  chk('check-assign-undeclared', 'Report assignments to variables never declared', 'checkAssignUndeclared', R`// x = e where no x is in scope is a compile error.
import { walk } from '../walk.mjs';

export function checkAssignUndeclared(ast, report) {
  walk(ast, (n) => {
    if (n.kind === 'assign' && !n.binding) report(n, "assignment to undeclared variable '" + n.name + "'");
  });
}
`, [test('check-assign-undeclared', R`
    let a = 1;
    a = 2;
    b = 3;
    print(a);
  `, R`
    error: line 3: assignment to undeclared variable 'b'
  `)]),
];
