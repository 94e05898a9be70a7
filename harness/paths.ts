// Where the harness's own files are, wherever it is installed or cloned.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function packageFile(rel: string): string {
  return path.join(PACKAGE_ROOT, rel);
}
