// A bare repository's refs read from its files (packed-refs, then loose files under refs/,
// which win), without a git process. Only the plain case is answered: anything git has more
// rules for (a symbolic ref, a ref file that is not one object id, an odd name) gives null,
// and the caller asks git instead.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Ref {
  name: string;
  oid: string;
}

const OID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
// Stricter than git's check-ref-format: a name outside it sends the caller to git.
const PLAIN_NAME = /^refs\/(?:[A-Za-z0-9_+-][A-Za-z0-9._+-]*\/)*[A-Za-z0-9_+-][A-Za-z0-9._+-]*$/;

/** Every ref under refs/, sorted by name as git lists them; null when git must be asked. */
export function listRefs(gitDir: string): Ref[] | null {
  // Loose refs first, then packed-refs, as git reads them: `pack-refs` writes packed-refs
  // before it deletes the loose files, so a ref it moves meanwhile is seen in one of them.
  const loose = new Map<string, string>();
  if (!walkLoose(gitDir, 'refs', loose)) return null;
  const refs = new Map<string, string>();
  const packed = readOrNull(path.join(gitDir, 'packed-refs'));
  if (packed !== null) {
    for (const line of packed.split('\n')) {
      if (line === '' || line.startsWith('#') || line.startsWith('^')) continue;
      const sp = line.indexOf(' ');
      const oid = line.slice(0, sp);
      const name = line.slice(sp + 1);
      if (!OID.test(oid) || !PLAIN_NAME.test(name)) return null;
      refs.set(name, oid);
    }
  }
  for (const [name, oid] of loose) refs.set(name, oid);
  return [...refs].map(([name, oid]) => ({ name, oid })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function walkLoose(gitDir: string, rel: string, into: Map<string, string>): boolean {
  let entries;
  try {
    entries = readdirSync(path.join(gitDir, rel), { withFileTypes: true });
  } catch (e) {
    // A folder removed while it was read (pack-refs prunes empty ones) holds no refs.
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
  for (const e of entries) {
    const name = `${rel}/${e.name}`;
    if (e.isDirectory()) {
      if (!walkLoose(gitDir, name, into)) return false;
      continue;
    }
    // A ref being written (git's lock file), not a ref.
    if (e.name.endsWith('.lock')) continue;
    if (!e.isFile() || !PLAIN_NAME.test(name)) return false;
    const text = readOrNull(path.join(gitDir, name));
    if (text === null) continue; // deleted (or packed) between the listing and the read
    const oid = text.trim();
    if (!OID.test(oid)) return false;
    into.set(name, oid);
  }
  return true;
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
