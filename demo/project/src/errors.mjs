// Errors the compiler reports to the programmer, with the line they are about.
export class CompileError extends Error {
  constructor(line, message) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

export class PebbleRuntimeError extends Error {}

export function describeToken(t) {
  if (t.kind === 'eof') return 'end of input';
  if (t.kind === 'str') return `string "${t.value}"`;
  return `'${t.text}'`;
}
