// Builtin function tasks: one line each in src/builtins.mjs, all at one anchor.
import { builtin, test, type TaskSpec } from './types.js';

const R = String.raw;

function fn(name: string, title: string, arity: [number, number], impl: string, src: string, expected: string, wrong?: string): TaskSpec {
  return {
    name: `builtin-${name}`,
    title,
    area: 'builtins',
    edits: [builtin(name, arity, impl)],
    tests: [test(`builtin-${name}`, src, expected)],
    ...(wrong ? { regress: [builtin(name, arity, wrong)] } : {}),
  };
}

export const builtinTasks: TaskSpec[] = [
  fn('len', 'len(s): the length of a string', [1, 1], '(s) => s.length', R`
    print(len("hello"), len(""));
  `, R`
    5 0
  `, '(s) => s.length - 1'),
  fn('abs', 'abs(n): absolute value', [1, 1], '(n) => Math.abs(n)', R`
    print(abs(0 - 7), abs(3), abs(0));
  `, R`
    7 3 0
  `, '(n) => n'),
  fn('min', 'min(a, ...): the smallest argument', [1, 99], '(...xs) => Math.min(...xs)', R`
    print(min(4, 2, 8), min(5));
  `, R`
    2 5
  `, '(...xs) => Math.max(...xs)'),
  fn('max', 'max(a, ...): the largest argument', [1, 99], '(...xs) => Math.max(...xs)', R`
    print(max(4, 2, 8), max(5));
  `, R`
    8 5
  `),
  fn('str', 'str(v): a value as a string', [1, 1], '(v) => String(v)', R`
    print(str(12) + str(3), str(40 + 2) + "!");
  `, R`
    123 42!
  `),
  fn('upper', 'upper(s): the string in capitals', [1, 1], '(s) => s.toUpperCase()', R`
    print(upper("pebble"), upper("MiXed 1"));
  `, R`
    PEBBLE MIXED 1
  `, '(s) => s.toLowerCase()'),
  fn('dup', 'dup(s, n): the string repeated n times', [2, 2], '(s, n) => s.repeat(n)', R`
    print(dup("ab", 3), dup("x", 0) + "|");
  `, R`
    ababab |
  `),
  fn('chr', 'chr(n): the one-character string with code n', [1, 1], '(n) => String.fromCharCode(n)', R`
    print(chr(72) + chr(105));
  `, R`
    Hi
  `),
  fn('ord', 'ord(s): the code of the first character', [1, 1], '(s) => s.charCodeAt(0)', R`
    print(ord("A"), ord("a") - ord("A"));
  `, R`
    65 32
  `),
];
