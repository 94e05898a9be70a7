// Statement keywords and node kinds beyond the core ones. A statement is a keyword and
// a `parse(p, token)` that returns a node; every node kind that is not core names how
// it is generated (`gen(node, g)`) and, if it opens a scope, says so (`scope: true`).
import { coreStatements } from './core-statements.mjs';
// @imports (tasks add the imports their entries need here)

export const STATEMENTS = {
  ...coreStatements,
  // @statements (tasks add statement keywords here, one line each)
};

export const NODES = {
  // @nodes (tasks add node kinds here, one line each)
};
