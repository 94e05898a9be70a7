// The pipeline: lex, parse, resolve, check, generate, run. `runProgram` returns what the
// program prints, errors included, so a test is "this source prints that".
import { runChecks } from './checks.mjs';
import { generate } from './codegen.mjs';
import { CompileError, PebbleRuntimeError } from './errors.mjs';
import { lex } from './lexer.mjs';
import { parse } from './parser.mjs';
import { resolve } from './resolve.mjs';
import { makeRuntime } from './runtime.mjs';

/** Source to JavaScript; throws CompileError, or a list of them when checks fail. */
export function compile(src) {
  const ast = resolve(parse(lex(src)));
  const problems = runChecks(ast);
  if (problems.length) throw problems.map((p) => new CompileError(p.line, p.message));
  return generate(ast);
}

export function runProgram(src) {
  const rt = makeRuntime();
  let ok = true;
  try {
    const js = compile(src);
    new Function('$rt', js)(rt);
  } catch (e) {
    ok = false;
    const errs = Array.isArray(e) ? e : [e];
    for (const err of errs) {
      if (err instanceof CompileError) rt.out.push(`error: ${err.message}`);
      else if (err instanceof PebbleRuntimeError) rt.out.push(`runtime error: ${err.message}`);
      else rt.out.push(`internal error: ${err && err.message ? err.message : String(err)}`);
    }
  }
  return { output: rt.out.length ? rt.out.join('\n') + '\n' : '', ok };
}
