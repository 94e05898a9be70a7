// Operator tasks: one line each in src/operators.mjs (binary operators share one
// anchor, unary another, compound assignments a third).
import { assign, infix, prefix, test, type TaskSpec } from './types.js';

const R = String.raw;

function op(name: string, title: string, edit: ReturnType<typeof infix>, src: string, expected: string, regress?: ReturnType<typeof infix>): TaskSpec {
  return { name, title, area: 'operators', edits: [edit], tests: [test(name, src, expected)], ...(regress ? { regress: [regress] } : {}) };
}

export const operatorTasks: TaskSpec[] = [
  op('op-mul', 'Multiplication: a * b', infix('*', 60, '(a, b) => a * b'), R`
    # Multiplication binds tighter than addition.
    print(6 * 7);
    print(2 + 3 * 4, (2 + 3) * 4, 0 - 3 * 5);
  `, R`
    42
    14 20 -15
  `, infix('*', 50, '(a, b) => a * b')),
  op('op-div', 'Integer division, truncating toward zero; division by zero is an error', infix('/', 60, R`(a, b) => { if (b === 0) throw new Error('division by zero'); return Math.trunc(a / b); }`), R`
    # Division truncates toward zero.
    print(7 / 2, (0 - 7) / 2, 10 / 5);
    print(1 / 0);
  `, R`
    3 -3 2
    runtime error: line 3: division by zero
  `, infix('/', 60, R`(a, b) => { if (b === 0) throw new Error('division by zero'); return Math.floor(a / b); }`)),
  op('op-mod', 'Remainder: a % b takes the sign of a', infix('%', 60, R`(a, b) => { if (b === 0) throw new Error('division by zero'); return a % b; }`), R`
    # The remainder has the sign of the dividend, as in C.
    print(7 % 3, (0 - 7) % 3, 9 % 3);
  `, R`
    1 -1 0
  `, infix('%', 60, R`(a, b) => { if (b === 0) throw new Error('division by zero'); return ((a % b) + b) % b; }`)),
  op('op-pow', 'Exponentiation: a ** b, right-associative', infix('**', 65, '(a, b) => a ** b', ', right: true'), R`
    # Exponentiation groups to the right.
    print(2 ** 10, 2 ** 3 ** 2);
  `, R`
    1024 512
  `, infix('**', 65, '(a, b) => a ** b')),
  op('op-ne', 'Inequality: a != b', infix('!=', 30, '(a, b) => +(a !== b)'), R`
    print(1 != 2, 2 != 2, "a" != "b");
  `, R`
    1 0 1
  `),
  op('op-le', 'Comparison: a <= b', infix('<=', 40, '(a, b) => +(a <= b)'), R`
    print(1 <= 2, 2 <= 2, 3 <= 2);
  `, R`
    1 1 0
  `, infix('<=', 40, '(a, b) => +(a < b)')),
  op('op-gt', 'Comparison: a > b', infix('>', 40, '(a, b) => +(a > b)'), R`
    print(3 > 2, 2 > 2, 1 > 2);
  `, R`
    1 0 0
  `, infix('>', 40, '(a, b) => +(a >= b)')),
  op('op-ge', 'Comparison: a >= b', infix('>=', 40, '(a, b) => +(a >= b)'), R`
    print(3 >= 2, 2 >= 2, 1 >= 2);
  `, R`
    1 1 0
  `),
  op('op-and', 'Logical and: a && b gives 1 or 0', infix('&&', 20, '(a, b) => +(!!a && !!b)'), R`
    print(1 && 2, 0 && 1, 1 && 0, "x" && "");
  `, R`
    1 0 0 0
  `),
  op('op-or', 'Logical or: a || b gives 1 or 0', infix('||', 10, '(a, b) => +(!!a || !!b)'), R`
    print(0 || 0, 0 || 3, 2 || 0, 1 == 2 || 2 == 2);
  `, R`
    0 1 1 1
  `),
  op('op-bitand', 'Bitwise and: a & b', infix('&', 46, '(a, b) => a & b'), R`
    print(12 & 10, 7 & 1);
  `, R`
    8 1
  `),
  op('op-bitor', 'Bitwise or: a | b', infix('|', 42, '(a, b) => a | b'), R`
    print(12 | 3, 1 | 1);
  `, R`
    15 1
  `),
  op('op-bitxor', 'Bitwise exclusive or: a ^ b', infix('^', 44, '(a, b) => a ^ b'), R`
    print(12 ^ 10, 5 ^ 5);
  `, R`
    6 0
  `),
  op('op-shl', 'Shift left: a << b', infix('<<', 48, '(a, b) => a << b'), R`
    print(1 << 10, 3 << 2, 1 << 2 < 5);
  `, R`
    1024 12 1
  `),
  op('op-shr', 'Arithmetic shift right: a >> b', infix('>>', 48, '(a, b) => a >> b'), R`
    print(1024 >> 3, (0 - 16) >> 2);
  `, R`
    128 -4
  `, infix('>>', 48, '(a, b) => a >>> b')),
  op('op-neg', 'Unary minus: -a', prefix('-', '(a) => -a'), R`
    print(-5, -(2 + 3), 10 - -2);
  `, R`
    -5 -5 12
  `),
  op('op-not', 'Logical not: !a gives 1 or 0', prefix('!', '(a) => +!a'), R`
    print(!0, !1, !"", !"x");
  `, R`
    1 0 1 0
  `, prefix('!', '(a) => +!!a')),
  op('op-bitnot', 'Bitwise not: ~a', prefix('~', '(a) => ~a'), R`
    print(~0, ~5);
  `, R`
    -1 -6
  `),
  op('assign-add', 'Compound assignment: x += e', assign('+=', '(a, b) => a + b'), R`
    let x = 5;
    x += 10;
    let s = "ab";
    s += "cd";
    print(x, s);
  `, R`
    15 abcd
  `),
  op('assign-sub', 'Compound assignment: x -= e', assign('-=', '(a, b) => a - b'), R`
    let x = 5;
    x -= 7;
    x -= 1;
    print(x);
  `, R`
    -3
  `, assign('-=', '(a, b) => b - a')),
  op('assign-mul', 'Compound assignment: x *= e', assign('*=', '(a, b) => a * b'), R`
    let x = 3;
    x *= 4;
    x *= 2;
    print(x);
  `, R`
    24
  `),
];
