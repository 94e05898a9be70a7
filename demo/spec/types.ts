// The shape of a demo task and the helpers that write its table entries. A task is a
// set of single-line entries anchored in shared files (so tasks that touch the same
// table really conflict under git), whole files of its own, and the tests it must pass.

/** One line in a shared file: replaces the line starting with `key`, or goes right below `anchor`. */
export interface Edit {
  path: string;
  anchor: string;
  key: string;
  line: string;
}

export interface TestSpec {
  /** file name under tests/, without .peb */
  name: string;
  src: string;
  expected: string;
}

export interface TaskSpec {
  name: string;
  title: string;
  area: 'lexer' | 'operators' | 'builtins' | 'statements' | 'expressions' | 'checks';
  edits: Edit[];
  /** whole files the solution writes: project path -> content */
  files?: Record<string, string>;
  tests: TestSpec[];
  /** a plausible wrong version of some of its lines, for the sim's --sim-regress */
  regress?: Edit[];
}

const OPS = 'src/operators.mjs';
const SYNTAX = 'src/syntax.mjs';

export function infix(op: string, prec: number, fn: string, extra = ''): Edit {
  return { path: OPS, anchor: '// @infix', key: `'${op}': {`, line: `  '${op}': { prec: ${prec}, fn: ${fn}${extra} },` };
}

export function prefix(op: string, fn: string): Edit {
  return { path: OPS, anchor: '// @prefix', key: `'${op}': {`, line: `  '${op}': { fn: ${fn} },` };
}

export function assign(op: string, fn: string): Edit {
  return { path: OPS, anchor: '// @assign', key: `'${op}':`, line: `  '${op}': ${fn},` };
}

export function builtin(name: string, arity: [number, number], fn: string): Edit {
  return { path: 'src/builtins.mjs', anchor: '// @builtins', key: `${name}: {`, line: `  ${name}: { arity: [${arity[0]}, ${arity[1]}], fn: ${fn} },` };
}

export function rule(name: string, body: string): Edit {
  return { path: 'src/lexer.mjs', anchor: '// @rules', key: `{ name: '${name}',`, line: `  { name: '${name}', ${body} },` };
}

/** `import { names } from './features/<file>'` at the `@imports` anchor of `path`. */
export function imports(path: string, names: string[], file: string): Edit {
  const line = `import { ${names.join(', ')} } from './features/${file}';`;
  return { path, anchor: '// @imports', key: line, line };
}

export function statement(keyword: string, value: string): Edit {
  return { path: SYNTAX, anchor: '// @statements', key: `${keyword}: ${value},`, line: `  ${keyword}: ${value},` };
}

export function node(kind: string, value: string): Edit {
  return { path: SYNTAX, anchor: '// @nodes', key: `${kind}: ${value},`, line: `  ${kind}: ${value},` };
}

export function check(fn: string): Edit {
  return { path: 'src/checks.mjs', anchor: '// @checks', key: `${fn},`, line: `  ${fn},` };
}

export function test(name: string, src: string, expected: string): TestSpec {
  return { name, src: dedent(src), expected: dedent(expected) };
}

/** Strips the common indentation and the first newline, so specs read as code. */
export function dedent(s: string): string {
  const lines = s.replace(/^\n/, '').replace(/\n[ \t]*$/, '\n').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n');
}
