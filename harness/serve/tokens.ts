// Per-session credentials of the upstream server. A token is random, known only to the
// supervisor, the server and the one session it was issued to (through its environment),
// and dies when the session ends, so leftovers of a crashed session cannot push.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface Identity {
  /**
   * the supervisor releases, reaps and saves wip; agents do everything else; a remote
   * session's entrypoint (salvage) fetches and creates its own agent's wip refs, nothing more
   */
  role: 'agent' | 'supervisor' | 'salvage';
  agent: string;
  session: string | null;
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export class TokenTable {
  private readonly byToken = new Map<string, Identity>();

  add(token: string, who: Identity): void {
    this.byToken.set(token, who);
  }

  revoke(token: string): boolean {
    return this.byToken.delete(token);
  }

  /** Constant-time over the candidates, so a timing probe learns nothing about a token. */
  lookup(token: string | null): Identity | null {
    if (!token) return null;
    const t = Buffer.from(token);
    let found: Identity | null = null;
    for (const [k, v] of this.byToken) {
      const b = Buffer.from(k);
      if (b.length === t.length && timingSafeEqual(b, t)) found = v;
    }
    return found;
  }

  /** An agent's session holds a valid token: it is running (its token dies when it ends). */
  isLive(agent: string, session: string): boolean {
    for (const v of this.byToken.values()) if (v.role === 'agent' && v.agent === agent && v.session === session) return true;
    return false;
  }

  entries(): [string, Identity][] {
    return [...this.byToken];
  }
}

/** The token in `Authorization: Bearer T` or Basic (any user name, password T). */
export function tokenOf(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^(Bearer|Basic)\s+(\S+)$/i.exec(header.trim());
  if (!m) return null;
  if (m[1]!.toLowerCase() === 'bearer') return m[2]!;
  const plain = Buffer.from(m[2]!, 'base64').toString('utf8');
  const i = plain.indexOf(':');
  return i < 0 ? null : plain.slice(i + 1);
}

/** Git config pairs (for GIT_CONFIG_COUNT) that make every http request carry the token. */
export function authConfig(token: string): [string, string][] {
  return [['http.extraHeader', `Authorization: Bearer ${token}`]];
}
