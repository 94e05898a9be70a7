#!/usr/bin/env node
// `harness` for paths that name bin/ (scripts, aliases, hooks): runs the build in dist/, which
// `npm install` makes (the package's bin entry points at dist/harness.js directly).
try {
  await import('../dist/harness.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist/harness.js')) throw e;
  process.stderr.write('harness: not built yet; run npm install (or npm run build) in ' + new URL('..', import.meta.url).pathname + ' [NOT_BUILT]\n');
  process.exitCode = 4;
}
