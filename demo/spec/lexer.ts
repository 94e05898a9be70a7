// Lexer tasks: one rule each in src/lexer.mjs's RULES table (all at the same anchor,
// so any two of them landing at once conflict).
import { rule, test, type TaskSpec } from './types.js';

const R = String.raw;

export const lexerTasks: TaskSpec[] = [
  {
    name: 'lex-hex',
    title: 'Hexadecimal literals: 0x1F',
    area: 'lexer',
    edits: [rule('hex', R`re: /0[xX][0-9a-fA-F]+/y, kind: 'num', value: (t) => parseInt(t.slice(2), 16)`)],
    regress: [rule('hex', R`re: /0[xX][0-9a-fA-F]+/y, kind: 'num', value: (t) => parseInt(t.slice(2), 10)`)],
    tests: [test('lex-hex', R`
      # Hexadecimal integer literals.
      print(0x10, 0xff + 1, 0XA);
    `, R`
      16 256 10
    `)],
  },
  {
    name: 'lex-binary',
    title: 'Binary literals: 0b101',
    area: 'lexer',
    edits: [rule('binary', R`re: /0[bB][01]+/y, kind: 'num', value: (t) => parseInt(t.slice(2), 2)`)],
    tests: [test('lex-binary', R`
      # Binary integer literals.
      print(0b101, 0b1111 + 1, 0B0);
    `, R`
      5 16 0
    `)],
  },
  {
    name: 'lex-digit-separators',
    title: 'Digit separators in decimal literals: 1_000_000',
    area: 'lexer',
    edits: [rule('digit-separators', R`re: /[0-9][0-9_]*[0-9]/y, kind: 'num', value: (t) => Number(t.replaceAll('_', ''))`)],
    tests: [test('lex-digit-separators', R`
      # Underscores between digits are ignored.
      print(1_000_000 + 1, 12_3, 42);
    `, R`
      1000001 123 42
    `)],
  },
  {
    name: 'lex-line-comment',
    title: 'Line comments: // to the end of the line',
    area: 'lexer',
    edits: [rule('line-comment', R`re: /\/\/[^\n]*/y, skip: true`)],
    tests: [test('lex-line-comment', R`
      # C++-style line comments, alone and after code.
      print(1); // one
      // a whole line
      print(2); // two
    `, R`
      1
      2
    `)],
  },
  {
    name: 'lex-block-comment',
    title: 'Block comments: /* ... */, possibly over several lines',
    area: 'lexer',
    edits: [rule('block-comment', R`re: /\/\*[\s\S]*?\*\//y, skip: true`)],
    tests: [
      test('lex-block-comment', R`
        # Block comments inside an expression and over several lines.
        print(1 /* inline */ + 2);
        /* one
           two */
        print(4);
      `, R`
        3
        4
      `),
      test('lex-block-comment-lines', R`
        # Lines inside a block comment still count for error messages.
        /* one
           two */
        let x = (1 /* inline */ + 2;
      `, R`
        error: line 4: expected ')' but found ';'
      `),
    ],
  },
  {
    name: 'lex-string-escapes',
    title: 'Escapes in strings: \\n \\t \\" \\\\',
    area: 'lexer',
    edits: [
      rule(
        'string-escapes',
        R`re: /"(?:[^"\\\n]|\\.)*"/y, kind: 'str', value: (t) => t.slice(1, -1).replace(/\\(.)/g, (_, c) => ({ n: '\n', t: '\t' })[c] ?? c)`,
      ),
    ],
    tests: [test('lex-string-escapes', R`
      # Backslash escapes in string literals.
      print("say \"hi\"");
      print("two\nlines", "back\\slash");
    `, R`
      say "hi"
      two
      lines back\slash
    `)],
  },
  {
    name: 'lex-char-literals',
    title: "Character literals: 'A' is the number 65",
    area: 'lexer',
    edits: [
      rule('char', R`re: /'(?:[^'\\\n]|\\[nt'\\])'/y, kind: 'num', value: (t) => (t[1] === '\\' ? ({ n: 10, t: 9 })[t[2]] ?? t.charCodeAt(2) : t.charCodeAt(1))`),
    ],
    tests: [test('lex-char-literals', R`
      # A character literal is its character code.
      print('A', 'a' - 'A', '\n', '\'');
    `, R`
      65 32 10 39
    `)],
  },
];
