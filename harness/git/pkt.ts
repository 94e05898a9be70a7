// Git's pkt-line framing (gitprotocol-common): four hex digits of length, then the
// payload; 0000 ends a section (flush), 0001 separates two (delim, protocol v2). The
// server's own answers and the HTTP push client both speak it.

export function pktLine(s: string): string {
  return (Buffer.byteLength(s) + 4).toString(16).padStart(4, '0') + s;
}

export const FLUSH = '0000';
export const DELIM = '0001';

/** A body's pkt-lines: each payload as sent (newline kept), FLUSH and DELIM as themselves; null when malformed. */
export function pktLines(body: Buffer): string[] | null {
  const text = body.toString('latin1');
  const lines: string[] = [];
  for (let at = 0; at < text.length; ) {
    const head = text.slice(at, at + 4);
    const len = /^[0-9a-f]{4}$/.test(head) ? parseInt(head, 16) : NaN;
    if (head === FLUSH || head === DELIM) {
      lines.push(head);
      at += 4;
      continue;
    }
    if (!(len > 4) || at + len > text.length) return null;
    lines.push(text.slice(at + 4, at + len));
    at += len;
  }
  return lines;
}
