// Functions every program can call. `arity` is [fewest, most] arguments. `print` is not
// here: it takes any number of arguments and is built into the runtime.

export const BUILTINS = {
  // @builtins (tasks add builtin functions here, one line each)
  int: { arity: [1, 1], fn: (s) => parseInt(s, 10) },
};
