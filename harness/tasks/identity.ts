// Who is claiming. The supervisor sets HARNESS_AGENT / HARNESS_SESSION for every session,
// and those win over flags so a sandboxed agent cannot claim as someone else by accident.

export interface Identity {
  agent: string;
  session: string | null;
  host: string;
}

export function resolveIdentity(opts: {
  env: NodeJS.ProcessEnv;
  hostname: string;
  agentFlag?: string;
  sessionFlag?: string;
}): Identity {
  const agent = nonEmpty(opts.env.HARNESS_AGENT) ?? nonEmpty(opts.agentFlag) ?? opts.hostname;
  const session = nonEmpty(opts.env.HARNESS_SESSION) ?? nonEmpty(opts.sessionFlag) ?? null;
  return { agent, session, host: opts.hostname };
}

function nonEmpty(s: string | undefined): string | undefined {
  const t = s?.trim();
  return t ? t : undefined;
}

export function describeIdentity(id: { agent: string | null; session: string | null }): string {
  if (!id.agent) return 'an unknown owner';
  return id.session ? `${id.agent} (session ${id.session})` : id.agent;
}
