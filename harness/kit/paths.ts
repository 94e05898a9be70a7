// Where the harness's own files are, wherever it is installed or cloned, and whether it
// runs from the TypeScript sources (tests) or from the build in dist/ (the executables).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding this package's package.json, found upward from this module. */
export const PACKAGE_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  // The sources sit at harness/, the build's chunks at dist/ or dist/chunks/.
  for (let dir = from, i = 0; i < 4; i++, dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'harness'))) return dir;
  }
  return path.resolve(from, '..');
}

export function packageFile(rel: string): string {
  return path.join(PACKAGE_ROOT, rel);
}

let version: string | undefined;
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;
  return version;
}
