// Protocol v2's ls-refs, the first call of every fetch, answered by the server from the
// repo's files instead of an upload-pack per fetch. Only the plain request is answered:
// prefixes of refs, with the args git sends (peel, symrefs, unborn). Whatever needs objects
// or more of git's rules (HEAD, refs outside refs/heads/ to peel, an odd argument, too many
// prefixes) goes to git. The answer is trusted only after it equalled git's own for a request.
import { listRefs } from '../git/refs.js';
import { recordAnswer, type Recorder } from './adverts.js';
import { DELIM, FLUSH, pktLine, pktLines } from '../git/pkt.js';

const KNOWN_ARGS = new Set(['peel', 'symrefs', 'unborn']);
// git ignores the prefixes from this many on and lists everything: git answers those.
const MAX_PREFIXES = 10;

export class LsRefs {
  private trusted = false;
  private checks = 0;

  /** Only where the config hides no refs (refsAnswerable): one matching answer would not show them all. */
  constructor(private readonly repo: string) {}

  /** The answer to an upload-pack request, or null: then git answers (see learner). */
  answer(body: Buffer): Buffer | null {
    return this.trusted ? lsRefsAnswer(this.repo, body) : null;
  }

  /** While not yet trusted: what compares git's answer to this request with ours. */
  learner(body: Buffer): Recorder | null {
    if (this.trusted || this.checks >= 5) return null;
    const ours = lsRefsAnswer(this.repo, body);
    if (!ours) return null;
    return recordAnswer((got) => {
      this.checks++;
      // Read again after git answered: equal to git's answer at one of the two moments.
      const after = lsRefsAnswer(this.repo, body);
      if (got.equals(ours) || (after && got.equals(after))) this.trusted = true;
    });
  }
}

/** The ls-refs answer for a v2 request body from the repo's files; null when git must answer. */
export function lsRefsAnswer(repo: string, body: Buffer): Buffer | null {
  const req = parseLsRefs(body);
  if (!req) return null;
  if (req.prefixes.length === 0 || req.prefixes.length >= MAX_PREFIXES || req.prefixes.some((p) => 'HEAD'.startsWith(p))) return null;
  const refs = listRefs(repo);
  if (!refs) return null;
  const shown = refs.filter((r) => req.prefixes.some((p) => r.name.startsWith(p)));
  // Outside refs/heads/ (where git allows commits only) a ref may name an annotated tag,
  // and peeling it needs its object.
  if (req.args.has('peel') && shown.some((r) => !r.name.startsWith('refs/heads/'))) return null;
  return Buffer.from(shown.map((r) => pktLine(`${r.oid} ${r.name}\n`)).join('') + '0000');
}

/** `command=ls-refs`, capabilities, a delimiter, then args: the parts this answers, else null. */
export function parseLsRefs(body: Buffer): { args: Set<string>; prefixes: string[] } | null {
  const lines = pktLines(body)?.map((l) => l.replace(/\n$/, ''));
  if (!lines || lines[0] !== 'command=ls-refs' || lines.at(-1) !== FLUSH) return null;
  const delim = lines.indexOf(DELIM);
  const caps = lines.slice(1, delim < 0 ? -1 : delim);
  if (!caps.every((c) => c.startsWith('agent=') || c === 'object-format=sha1')) return null;
  const args = new Set<string>();
  const prefixes: string[] = [];
  for (const a of delim < 0 ? [] : lines.slice(delim + 1, -1)) {
    if (a.startsWith('ref-prefix ')) prefixes.push(a.slice('ref-prefix '.length));
    else if (KNOWN_ARGS.has(a)) args.add(a);
    else return null;
  }
  return { args, prefixes };
}
