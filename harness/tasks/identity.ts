// Who is claiming. The supervisor sets HARNESS_AGENT / HARNESS_SESSION / HARNESS_RUN for
// every session, and those win over flags so a sandboxed agent cannot claim as someone else
// by accident. Identities end up in lock headers and commit trailers, so, like task names,
// they are checked before any I/O: nothing outside a plain alphabet reaches a commit.
import { UsageError } from '../kit/errors.js';

export interface Identity {
  agent: string;
  session: string | null;
  host: string;
  /** the supervisor's run id (HARNESS_RUN), so a takeover can tell its dead run's claims */
  run?: string | null;
}

export const IDENTITY_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

export function resolveIdentity(opts: {
  env: NodeJS.ProcessEnv;
  hostname: string;
  agentFlag?: string;
  sessionFlag?: string;
}): Identity {
  const fromEnv = nonEmpty(opts.env.HARNESS_AGENT);
  const agent = fromEnv !== undefined ? validIdentity(fromEnv, 'HARNESS_AGENT') : nonEmpty(opts.agentFlag) !== undefined ? validIdentity(nonEmpty(opts.agentFlag)!, '--agent') : hostIdentity(opts.hostname);
  const sEnv = nonEmpty(opts.env.HARNESS_SESSION);
  const session = sEnv !== undefined ? validIdentity(sEnv, 'HARNESS_SESSION') : nonEmpty(opts.sessionFlag) !== undefined ? validIdentity(nonEmpty(opts.sessionFlag)!, '--session') : null;
  const rEnv = nonEmpty(opts.env.HARNESS_RUN);
  const run = rEnv !== undefined ? validIdentity(rEnv, 'HARNESS_RUN') : null;
  return { agent, session, host: hostIdentity(opts.hostname), ...(run ? { run } : {}) };
}

/** An agent, session or run name as given; anything else is one clear line and exit 2. */
export function validIdentity(raw: string, from: string): string {
  if (IDENTITY_RE.test(raw)) return raw;
  const shown = JSON.stringify(raw.length > 40 ? raw.slice(0, 40) + '…' : raw);
  throw new UsageError('BAD_IDENTITY', `${from} ${shown} is not a valid name: use 1-80 characters of A-Z a-z 0-9 . _ - starting with a letter or digit, e.g. "agent-3"`);
}

/** A host name is not chosen by the user: characters outside the alphabet become '-'. */
function hostIdentity(h: string): string {
  const s = h.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 80);
  return s || 'unknown-host';
}

function nonEmpty(s: string | undefined): string | undefined {
  const t = s?.trim();
  return t ? t : undefined;
}

export function describeIdentity(id: { agent: string | null; session: string | null }): string {
  if (!id.agent) return 'an unknown owner';
  return id.session ? `${id.agent} (session ${id.session})` : id.agent;
}
