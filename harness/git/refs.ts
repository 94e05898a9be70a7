// A bare repository's refs read from its files (loose files under refs/, which win, then
// packed-refs), without a git process. Only the plain case is answered: anything git has more
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
const PLAIN_COMPONENTS = /^refs\/(?:[A-Za-z0-9_+-][A-Za-z0-9._+-]*\/)*[A-Za-z0-9_+-][A-Za-z0-9._+-]*$/;
const plainName = (name: string) => PLAIN_COMPONENTS.test(name) && !name.includes('..') && !name.endsWith('.') && !/\.lock(\/|$)/.test(name);

/** What git has more rules for: the caller asks git. */
class NotPlain extends Error {}

/** Every ref under refs/, sorted by name as git lists them; null when git must be asked. */
export function listRefs(gitDir: string): Ref[] | null {
  try {
    return readRefs(gitDir);
  } catch {
    // NotPlain, or any surprise from the file system (a ref turned folder mid-read, EMFILE):
    // this runs inside a server's request, where git can always answer instead.
    return null;
  }
}

function readRefs(gitDir: string): Ref[] {
  // Loose refs first, then packed-refs, as git reads them: `pack-refs` writes packed-refs
  // before it deletes the loose files, so a ref it moves meanwhile is seen in one of them.
  const loose = new Map<string, string>();
  walkLoose(gitDir, 'refs', loose);
  const refs = new Map<string, string>();
  const packed = readOrNull(path.join(gitDir, 'packed-refs'));
  if (packed !== null) {
    for (const line of packed.split('\n')) {
      if (line === '' || line.startsWith('#') || line.startsWith('^')) continue;
      const sp = line.indexOf(' ');
      const oid = line.slice(0, sp);
      const name = line.slice(sp + 1);
      if (!OID.test(oid) || !plainName(name)) throw new NotPlain();
      refs.set(name, oid);
    }
  }
  for (const [name, oid] of loose) refs.set(name, oid);
  return [...refs].map(([name, oid]) => ({ name, oid })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function walkLoose(gitDir: string, rel: string, into: Map<string, string>): void {
  let entries;
  try {
    entries = readdirSync(path.join(gitDir, rel), { withFileTypes: true });
  } catch (e) {
    // A folder removed while it was read (pack-refs prunes empty ones) holds no refs.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const e of entries) {
    const name = `${rel}/${e.name}`;
    if (e.isDirectory()) {
      walkLoose(gitDir, name, into);
      continue;
    }
    // A ref being written (git's lock file), not a ref.
    if (e.name.endsWith('.lock')) continue;
    if (!e.isFile() || !plainName(name)) throw new NotPlain();
    const text = readOrNull(path.join(gitDir, name));
    if (text === null) continue; // deleted (or packed) between the listing and the read
    const oid = text.trim();
    if (!OID.test(oid)) throw new NotPlain();
    into.set(name, oid);
  }
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
