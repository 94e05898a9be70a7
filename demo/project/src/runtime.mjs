// What generated code calls. One runtime per program run: it owns the output and the
// step budget that turns an endless loop into an error instead of a hung test.
import { BUILTINS } from './builtins.mjs';
import { ASSIGN, INFIX, PREFIX } from './operators.mjs';
import { PebbleRuntimeError } from './errors.mjs';

const STEP_LIMIT = 100_000;

export function format(v) {
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' ? JSON.stringify(x) : format(x))).join(', ')}]`;
  return String(v);
}

export function makeRuntime() {
  let steps = 0;
  const out = [];
  const fail = (line, msg) => {
    throw new PebbleRuntimeError(`line ${line}: ${msg}`);
  };
  const apply = (line, what, f, ...args) => {
    if (!f) fail(line, `unknown ${what}`);
    try {
      return f(...args);
    } catch (e) {
      if (e instanceof PebbleRuntimeError) throw e;
      return fail(line, e.message);
    }
  };
  return {
    out,
    print: (...vals) => out.push(vals.map(format).join(' ')),
    tick() {
      if (++steps > STEP_LIMIT) throw new PebbleRuntimeError(`step limit of ${STEP_LIMIT} reached (an endless loop?)`);
    },
    truthy: (v) => v !== 0 && v !== '' && v !== undefined && v !== null,
    undef: (name, line) => fail(line, `${name} is not defined`),
    bin: (op, a, b, line) => apply(line, `operator '${op}'`, INFIX[op]?.fn, a, b),
    un: (op, a, line) => apply(line, `operator '${op}'`, PREFIX[op]?.fn, a),
    assign: (op, a, b, line) => apply(line, `assignment '${op}'`, ASSIGN[op], a, b),
    call(name, args, line) {
      if (name === 'print') return this.print(...args), 0;
      return apply(line, `function '${name}'`, BUILTINS[name]?.fn, ...args);
    },
    fail,
  };
}
