// Operator tables. The parser, the lexer (punctuation) and the generated code all read
// them, so an operator is one line here. Higher `prec` binds tighter; `right` makes an
// operator right-associative; `parse` takes over parsing after the operator token.
// @imports (tasks add the imports their entries need here)

export const INFIX = {
  // @infix (tasks add binary operators here, one line each)
  '+': { prec: 50, fn: (a, b) => a + b },
  '-': { prec: 50, fn: (a, b) => a - b },
  '<': { prec: 40, fn: (a, b) => +(a < b) },
  '==': { prec: 30, fn: (a, b) => +(a === b) },
};

export const PREFIX = {
  // @prefix (tasks add unary operators here, one line each)
};

/** Compound assignment: `x op= e` stores fn(x, e). */
export const ASSIGN = {
  // @assign (tasks add compound assignments here, one line each)
};

/** Tokens that are punctuation without being operators. */
export const PUNCT = ['(', ')', '{', '}', '[', ']', ';', ',', '=', ':'];

export function punctuation() {
  return [...PUNCT, ...Object.keys(INFIX), ...Object.keys(PREFIX), ...Object.keys(ASSIGN)];
}
