// The upstream server as `harness run` uses it: started before the first session, stopped
// after the last; a token per session (revoked when it ends) and one for the supervisor;
// the forwards a sandbox without a network needs to reach it (and each --allow-host).
import net from 'node:net';
import path from 'node:path';
import { gitConfigVars, withGitConfig } from '../git/config-env.js';
import type { Forward } from '../sandbox/forward.js';
import { startServer, type RunningServer } from './server.js';
import { authConfig, newToken, TokenTable } from './tokens.js';
import { insideAddr, startRelays, writeHosts, type HostPort } from '../sandbox/relay.js';

export type { HostPort };

export interface ServeSwarmOptions {
  repo: string;
  /** DIR/serve: hooks, sockets, the push log */
  stateDir: string;
  env: NodeJS.ProcessEnv;
  allowTestEdits: boolean;
  protect: string[];
  allowHost: HostPort[];
  host?: string;
  port?: number;
  /** told when the server had to be restarted */
  onRestart?: (why: string) => void;
}

export interface SessionCredential {
  /** for the session's environment: git sends the token with every request */
  secrets: Record<string, string>;
  /** for a remote session's entrypoint only (fetch, its wip push): never the agent's */
  salvage: Record<string, string>;
  revoke(): void;
}

export interface UpstreamService {
  url: string;
  /** for `harness serve` to hand to the operator in a 0600 file; never printed or logged */
  supervisorToken: string;
  /** what a sandbox without a network gets: the server, then each --allow-host */
  forwards: Forward[];
  /** /etc/hosts for such a sandbox: each allowed host name on its own loopback address */
  hostsFile: string | null;
  /** the supervisor's own identity, for wip pushes, releases and reaps */
  supervisorEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  issue(agent: string, session: string): SessionCredential;
  /** the server answers; if not, it is started again on the same port and sockets */
  ensureAlive(): Promise<boolean>;
  close(): Promise<void>;
}

export async function serveSwarm(o: ServeSwarmOptions): Promise<UpstreamService> {
  const tokens = new TokenTable();
  const supervisorToken = newToken();
  tokens.add(supervisorToken, { role: 'supervisor', agent: 'harness', session: null });
  const start = (port: number) => startServer({ repo: o.repo, stateDir: o.stateDir, host: o.host ?? '127.0.0.1', port, tokens, allowTestEdits: o.allowTestEdits, protect: o.protect, env: o.env });
  let server: RunningServer = await start(o.port ?? 0);
  const relays = await startRelays(path.join(o.stateDir, 'allow'), o.allowHost);
  const forwards: Forward[] = [
    { addr: '127.0.0.1', port: server.port, socket: server.socket, what: 'the upstream server' },
    ...relays.map((r, i) => insideAddr(r, i)),
  ];
  const hostsFile = relays.length ? writeHosts(path.join(o.stateDir, 'hosts'), forwards) : null;
  const url = server.url;
  return {
    url,
    supervisorToken,
    forwards,
    hostsFile,
    supervisorEnv: (env) => withGitConfig(env, authConfig(supervisorToken)),
    issue: (agent, session) => {
      const token = newToken();
      const salvage = newToken();
      tokens.add(token, { role: 'agent', agent, session });
      tokens.add(salvage, { role: 'salvage', agent, session });
      return { secrets: gitConfigVars(authConfig(token)), salvage: gitConfigVars(authConfig(salvage)), revoke: () => (tokens.revoke(token), void tokens.revoke(salvage)) };
    },
    ensureAlive: async () => {
      if (await answers(server.socket)) return true;
      o.onRestart?.('the upstream server stopped answering');
      await server.close().catch(() => {});
      server = await start(server.port);
      return false;
    },
    close: async () => {
      await server.close();
      for (const r of relays) await r.close();
    },
  };
}

function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socket);
    const t = setTimeout(() => (c.destroy(), resolve(false)), 5000);
    c.once('connect', () => (clearTimeout(t), c.end(), resolve(true)));
    c.once('error', () => (clearTimeout(t), resolve(false)));
  });
}
