// The statements the language starts with: let, if/else, while.
export const coreStatements = {
  let: {
    parse(p, t) {
      const name = p.ident();
      p.expect('=');
      const init = p.expression();
      p.expect(';');
      return { kind: 'let', name, init, line: t.line };
    },
  },
  if: {
    parse(p, t) {
      const cond = p.condition();
      const then = p.statement();
      const otherwise = p.acceptWord('else') ? p.statement() : null;
      return { kind: 'if', cond, then, otherwise, line: t.line };
    },
  },
  while: {
    parse(p, t) {
      const cond = p.condition();
      p.loops++;
      const body = p.statement();
      p.loops--;
      return { kind: 'while', cond, body, line: t.line };
    },
  },
};
