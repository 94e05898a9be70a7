// The client's half of git's receive-pack conversation (gitprotocol-pack, protocol v0 as
// smart HTTP carries it), as pure functions over bytes: read the ref advertisement, write
// the update request, read the report. http-push.ts does the I/O around them.
import { FLUSH, pktLine, pktLines } from './pkt.js';

export const ZERO_OID = '0000000000000000000000000000000000000000';

export interface Advert {
  refs: Map<string, string>;
  caps: Set<string>;
}

/** `# service=git-receive-pack`, a flush, then refs with the capabilities after the first; null when it is not that. */
export function parseAdvert(body: Buffer): Advert | null {
  const lines = pktLines(body);
  if (!lines || lines[0] !== '# service=git-receive-pack\n' || lines[1] !== FLUSH) return null;
  const refs = new Map<string, string>();
  let caps: Set<string> | null = null;
  for (const raw of lines.slice(2)) {
    if (raw === FLUSH) return caps ? { refs, caps } : null;
    let line = raw.endsWith('\n') ? raw.slice(0, -1) : raw;
    const nul = line.indexOf('\0');
    if (caps === null) {
      if (nul < 0) return null;
      caps = new Set(line.slice(nul + 1).split(' ').filter(Boolean));
      line = line.slice(0, nul);
    } else if (nul >= 0) return null;
    const m = /^([0-9a-f]{40}) (\S+)$/.exec(line);
    if (!m) return null;
    if (m[2] === 'capabilities^{}' || m[2] === '.have') continue;
    refs.set(m[2]!, m[1]!);
  }
  return null; // no closing flush: cut short
}

/** The capabilities this client asks for, of those advertised; null when the report could not be read back. */
export function requestCaps(advertised: Set<string>): string[] | null {
  if (!advertised.has('report-status')) return null;
  const want = ['report-status', 'side-band-64k', 'quiet'].filter((c) => advertised.has(c));
  // git answers `agent=` with its own; a server that lists none gets none.
  if ([...advertised].some((c) => c.startsWith('agent='))) want.push('agent=harness');
  return want;
}

/** One ref update and the pack that carries its objects. */
export function updateRequest(old: string, next: string, ref: string, caps: string[], pack: Buffer): Buffer {
  return Buffer.concat([Buffer.from(pktLine(`${old} ${next} ${ref}\0 ${caps.join(' ')}`)), Buffer.from(FLUSH), pack]);
}

export interface Report {
  /** `ok`, or why the objects could not be unpacked */
  unpack: string;
  /** per ref: null when updated, else git's reason */
  refs: Map<string, string | null>;
  /** what the remote said on the way (hooks' output): one entry a line */
  messages: string[];
}

/**
 * The answer to an update request: its report-status, with side-band demultiplexed when it
 * was asked for. Null when the answer is cut short, malformed, or a fatal error (band 3).
 */
export function parseReport(body: Buffer, sideband: boolean): Report | null {
  let status = body;
  const said: string[] = [];
  if (sideband) {
    const pkts = pktLines(body);
    if (!pkts) return null;
    const data: Buffer[] = [];
    for (const p of pkts) {
      if (p === FLUSH) continue;
      const band = p.charCodeAt(0);
      if (band === 1) data.push(Buffer.from(p.slice(1), 'latin1'));
      else if (band === 2) said.push(p.slice(1));
      else return null; // 3: a fatal error; anything else: not side-band
    }
    status = Buffer.concat(data);
  }
  const lines = pktLines(status);
  if (!lines || lines[lines.length - 1] !== FLUSH) return null;
  const text = lines.filter((l) => l !== FLUSH).map((l) => (l.endsWith('\n') ? l.slice(0, -1) : l));
  const unpack = /^unpack (.+)$/.exec(text[0] ?? '');
  if (!unpack) return null;
  const refs = new Map<string, string | null>();
  for (const l of text.slice(1)) {
    const m = /^(ok|ng) (\S+)(?: (.*))?$/.exec(l);
    if (!m) return null;
    refs.set(m[2]!, m[1] === 'ok' ? null : (m[3] ?? 'rejected'));
  }
  const messages = Buffer.from(said.join(''), 'latin1')
    .toString('utf8')
    .split(/\r?\n|\r/)
    .map((l) => l.trimEnd())
    .filter(Boolean);
  return { unpack: unpack[1]!, refs, messages };
}

/**
 * What `git push --porcelain` prints for the same report (remote lines, the ref's line),
 * so one reader (sync.ts) judges both.
 */
export function reportText(r: Report, src: string, ref: string): string {
  const lines = r.messages.map((m) => `remote: ${m}`);
  if (r.unpack !== 'ok') lines.push(`error: remote unpack failed: ${r.unpack}`);
  const why = r.refs.get(ref);
  if (why === null && r.unpack === 'ok') lines.push(`\t${src}:${ref}\t[up to date]`);
  else lines.push(`!\t${src}:${ref}\t[remote rejected] (${r.unpack !== 'ok' ? 'unpacker error' : (why ?? 'no report for this ref')})`);
  return lines.join('\n');
}

/** The parents of a commit object's body. */
export function commitParents(body: Buffer): string[] {
  const head = body.toString('latin1', 0, Math.min(body.length, body.indexOf('\n\n') < 0 ? body.length : body.indexOf('\n\n')));
  return [...head.matchAll(/^parent ([0-9a-f]{40})$/gm)].map((m) => m[1]!);
}
