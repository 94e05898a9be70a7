// A session without a network of its own still reaches what the run allows (the upstream
// server, an --allow-host): each allowed service is a unix socket on the host, bound into
// the sandbox, and a socat inside listens on a loopback address and port and forwards to
// it. Git then uses the same http://127.0.0.1:PORT/... URL inside as the supervisor does
// outside. Nothing else of the host is reachable: the sandbox's network namespace has only
// its own loopback.
import path from 'node:path';
import type { Mount } from './types.js';
import { shq } from '../kit/shell.js';

export interface Forward {
  /** inside the sandbox: the loopback address and port that reach the socket */
  addr: string;
  port: number;
  /** the host's unix socket */
  socket: string;
  /** for messages: what this is (the upstream server, api.example:443) */
  what: string;
  /** a host name that resolves to `addr` inside (an --allow-host) */
  name?: string;
}

/** The folders of the sockets, bound read-only (connecting to a socket needs no write access to its folder). */
export function forwardMounts(fs: Forward[]): Mount[] {
  return [...new Set(fs.map((f) => path.dirname(f.socket)))].map((p) => ({ path: p, mode: 'ro' as const }));
}


/** /proc/net/tcp's `0100007F:1F90` for 127.0.0.1:8080. */
function procHex(addr: string, port: number): string {
  const ip = addr.split('.').map(Number).reverse().map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
  return `${ip}:${port.toString(16).padStart(4, '0').toUpperCase()}`;
}

/**
 * The agent's argv wrapped in a small sh script: start one socat per forward, check that
 * each host socket answers (a dead server fails the session now, with one clear line,
 * instead of an agent retrying for an hour), wait until every port listens, then exec the
 * agent. When the agent exits the sandbox's init ends and takes the forwarders with it.
 */
export function forwardArgv(fs: Forward[], argv: string[]): string[] {
  if (fs.length === 0) return argv;
  const lines = [
    'command -v socat >/dev/null 2>&1 || { echo "harness: socat is not installed in this sandbox, so it cannot reach the upstream server; install socat in the image (apt-get install socat)" >&2; exit 127; }',
  ];
  for (const f of fs) {
    lines.push(`socat -u OPEN:/dev/null UNIX-CONNECT:${shq(f.socket)} 2>/dev/null || { echo ${shq(`harness: ${f.what} does not answer (${f.socket}); this session cannot work without it and ends now (the supervisor saves its workspace)`)} >&2; exit 75; }`);
    lines.push(`socat TCP-LISTEN:${f.port},bind=${f.addr},fork,reuseaddr UNIX-CONNECT:${shq(f.socket)} </dev/null >/dev/null 2>&1 &`);
  }
  lines.push('i=0');
  for (const f of fs) {
    lines.push(`while ! grep -q ' ${procHex(f.addr, f.port)} 00000000:0000 0A' /proc/net/tcp 2>/dev/null; do i=$((i+1)); [ $i -gt 1000 ] && { echo ${shq(`harness: the forwarder to ${f.what} did not start`)} >&2; exit 75; }; sleep 0.01; done`);
  }
  lines.push('exec "$@"');
  return ['/bin/sh', '-c', lines.join('\n'), 'harness-forward', ...argv];
}
