// Checks run after resolution and before code generation. Each is `(ast, report)` and
// calls `report(node, message)` for every problem; all problems are shown, by line.
// @imports (tasks add the imports their checks need here)

export const CHECKS = [
  // @checks (tasks add checks here, one line each)
];

export function runChecks(ast) {
  const problems = [];
  for (const check of CHECKS) check(ast, (node, message) => problems.push({ line: node.line, message }));
  return problems.sort((a, b) => a.line - b.line);
}
