// The dependency rule of DESIGN.md ("Parts and where they live"), checked over the import
// edges of harness/, test-oracle/ and demo/. `node scripts/layers.mjs` prints every edge
// against the layering; test/layers-pure.test.ts fails on one that is not in the known
// list (scripts/layers-known.txt), and on a known one that is gone (shrink the list).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

/** The executables' entry points (scripts/build.mjs), the only files that may import a CLI. */
const ENTRY_POINTS = new Set(['harness/main.ts', 'test-oracle/main.ts', 'demo/sim/main.ts']);

/** [rule, from-prefix test, to-prefix test]: an edge matching both breaks the rule. */
export const RULES = [
  ['test-oracle imports nothing of harness/ but harness/kit/', (f) => f.startsWith('test-oracle/'), (t) => t.startsWith('harness/') && !t.startsWith('harness/kit/')],
  ['nothing in harness/ imports demo/', (f) => f.startsWith('harness/'), (t) => t.startsWith('demo/')],
  ['harness/ reaches the oracle only through test-oracle/index.ts', (f) => f.startsWith('harness/'), (t) => t.startsWith('test-oracle/') && t !== 'test-oracle/index.ts'],
  ['the layers below swarm/ never import swarm/ or commands/', (f) => /^harness\/(serve|executors|sandbox|agents|tasks|events|kit|report)\//.test(f), (t) => /^harness\/(swarm|commands)\//.test(t)],
  ['swarm/ never imports commands/', (f) => f.startsWith('harness/swarm/'), (t) => t.startsWith('harness/commands/')],
  ['only the entry points import a CLI', (f) => !ENTRY_POINTS.has(f), (t) => t === 'harness/cli.ts' || t === 'test-oracle/cli.ts'],
  ['kit/ stands on nothing else of the project', (f) => f.startsWith('harness/kit/'), (t) => !t.startsWith('harness/kit/')],
];

function* sources(dir) {
  for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'example') yield* sources(rel);
    } else if (/\.ts$/.test(e.name) && !/\.d\.ts$/.test(e.name)) yield rel;
  }
}

/** Every project-internal import edge, as [from, to] repo-relative .ts paths. */
export function importEdges(dirs = ['harness', 'test-oracle', 'demo']) {
  const edges = [];
  const spec = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const dir of dirs) {
    for (const from of sources(dir)) {
      const text = readFileSync(path.join(ROOT, from), 'utf8');
      for (const m of text.matchAll(spec)) {
        const to = path.posix.normalize(path.posix.join(path.posix.dirname(from), m[1])).replace(/\.js$/, '.ts');
        edges.push([from, to]);
      }
    }
  }
  return edges;
}

/** Edges against the layering, as "rule: from -> to" lines, sorted and unique. */
export function violations(edges = importEdges()) {
  const out = new Set();
  for (const [from, to] of edges) for (const [rule, f, t] of RULES) if (f(from) && t(to)) out.add(`${rule}: ${from} -> ${to}`);
  return [...out].sort();
}

export const KNOWN_FILE = path.join(ROOT, 'scripts/layers-known.txt');

export function known() {
  return readFileSync(KNOWN_FILE, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const v = violations();
  for (const l of v) console.log(l);
  console.log(`${v.length} import edges against the layering (${known().length} known)`);
}
