#!/usr/bin/env node
// Builds the executables into dist/ (run by `npm install` as the `prepare` step, by
// `npm run build`, and before the tests). esbuild, not tsc: it bundles each command into
// its own chunk that the CLI loads on demand (code splitting), which tsc cannot, and it
// takes a fraction of a second, so the tests can rebuild every time without a stale
// build ever being tested. Types are checked separately (`npm run typecheck`).
//   node scripts/build.mjs [--if-stale] [--quiet]
// --if-stale: do nothing when dist/ is newer than every source file.
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'dist');
const STAMP = path.join(OUT, '.built');
const SOURCES = ['harness', 'test-oracle', 'demo'];
/** The executables: name in dist/ -> source. */
const ENTRIES = {
  harness: 'harness/main.ts',
  'test-oracle': 'test-oracle/main.ts',
  'sim-agent': 'demo/sim/main.ts',
  // loaded by path (harness/swarm/profile.ts), so the core never imports the demo
  'demo-profile': 'demo/profile.ts',
};

const args = process.argv.slice(2);
const quiet = args.includes('--quiet');

function newestSource() {
  let newest = Math.max(statSync(path.join(ROOT, 'package.json')).mtimeMs, statSync(fileURLToPath(import.meta.url)).mtimeMs);
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'project') walk(path.join(dir, e.name));
      } else if (/\.(ts|js|mjs|json)$/.test(e.name)) newest = Math.max(newest, statSync(path.join(dir, e.name)).mtimeMs);
    }
  };
  for (const d of SOURCES) walk(path.join(ROOT, d));
  return newest;
}

if (args.includes('--if-stale') && existsSync(STAMP) && statSync(STAMP).mtimeMs >= newestSource()) process.exit(0);

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  process.stderr.write('build: esbuild is not installed; run npm install in ' + ROOT + '\n');
  process.exit(4);
}

const t0 = performance.now();
const result = await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: ENTRIES,
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // yargs (every command parses with it) is bundled in: loaded from its ~40 files it costs
  // more than node's own start. The others are CommonJS, which bundled into ESM breaks on
  // require(), and they load only where used (a swarm's lock, the tests' tooling), so they
  // stay in node_modules.
  external: ['isomorphic-git', 'proper-lockfile', 'tsx'],
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: '#!/usr/bin/env node' },
  legalComments: 'none',
  logLevel: 'silent',
  write: false,
  metafile: true,
});
// The remote session entrypoint is shipped to ssh hosts and Slurm nodes as one file: no chunks.
const entry = await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: { 'session-entry': 'harness/swarm/remote-entry.ts' },
  outdir: OUT,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'silent',
  write: false,
});
for (const w of [...result.warnings, ...entry.warnings]) process.stderr.write(`build: warning: ${w.text}\n`);

// Each file lands whole (written beside, renamed in), chunks before the entries that load
// them, so a CLI started mid-build runs either the old build or the new one. Old chunks
// stay a while for processes still running the previous build.
mkdirSync(path.join(OUT, 'chunks'), { recursive: true });
const isChunk = (f) => f.path.startsWith(path.join(OUT, 'chunks') + path.sep);
const files = [...result.outputFiles.filter(isChunk), ...result.outputFiles.filter((f) => !isChunk(f)), ...entry.outputFiles];
const written = new Set();
for (const f of files) {
  const tmp = `${f.path}.tmp-${process.pid}`;
  writeFileSync(tmp, f.contents);
  if (!isChunk(f)) chmodSync(tmp, 0o755);
  renameSync(tmp, f.path);
  written.add(f.path);
}
const DAY = 86_400_000;
for (const name of readdirSync(path.join(OUT, 'chunks'))) {
  const p = path.join(OUT, 'chunks', name);
  if (!written.has(p) && Date.now() - statSync(p).mtimeMs > DAY) unlinkSync(p);
}
// Which sources each output holds: the tests read it to prove what a command loads.
writeFileSync(path.join(OUT, 'meta.json'), JSON.stringify(result.metafile));
writeFileSync(STAMP, new Date().toISOString() + '\n');
if (!quiet) process.stdout.write(`built dist/ (${[...Object.keys(ENTRIES), 'session-entry'].join(', ')}) in ${Math.round(performance.now() - t0)} ms\n`);
