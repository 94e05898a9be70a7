// Builds dist/ before any test runs, so the tests that run the executables as processes
// always run the code as it is now, never a build left from an earlier edit.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function setup(): void {
  execFileSync(process.execPath, [path.resolve(import.meta.dirname, '../scripts/build.mjs'), '--quiet'], { stdio: 'inherit' });
}
