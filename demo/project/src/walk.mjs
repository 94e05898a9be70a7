// Walking the AST. Imports nothing, so any feature module can use it without creating
// an import cycle through the tables.

/** The child nodes of a node, in source order (property order). */
export function children(n) {
  const out = [];
  for (const [k, v] of Object.entries(n)) {
    if (k === 'binding' || k === 'previous') continue;
    if (Array.isArray(v)) out.push(...v.filter((x) => x && typeof x.kind === 'string'));
    else if (v && typeof v === 'object' && typeof v.kind === 'string') out.push(v);
  }
  return out;
}

/** Calls `f` on every node of the tree, parents first. */
export function walk(n, f) {
  f(n);
  for (const c of children(n)) walk(c, f);
}
