// What a sandbox without a network of its own reaches, seen from the host it runs on: one
// unix socket per allowed service, each connection relayed to HOST:PORT over the host's
// network, and the /etc/hosts that names each on its own loopback address inside. The
// supervisor uses it for --allow-host; a remote session's entrypoint for the upstream
// server too (there the server's own unix socket is on another machine).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Forward } from './forward.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface Relay extends HostPort {
  socket: string;
  close(): Promise<void>;
}

/** One unix socket per host in `dir` (made afresh, 0700), each connection relayed to HOST:PORT. */
export async function startRelays(dir: string, hosts: HostPort[]): Promise<Relay[]> {
  if (hosts.length === 0) return [];
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const out: Relay[] = [];
  try {
    for (const [i, h] of hosts.entries()) {
      const socket = path.join(dir, `${i}.sock`);
      const s = net.createServer((inside) => {
        const outside = net.connect(h.port, h.host);
        inside.pipe(outside).pipe(inside);
        inside.on('error', () => outside.destroy());
        outside.on('error', () => inside.destroy());
      });
      await new Promise<void>((resolve, reject) => (s.once('error', reject), s.listen(socket, () => resolve())));
      out.push({ ...h, socket, close: () => new Promise<void>((r) => s.close(() => r())) });
    }
  } catch (e) {
    for (const r of out) await r.close();
    throw e;
  }
  return out;
}

/**
 * Where a relayed host is reached inside the sandbox: a loopback address literal keeps its
 * own address (a local model server at 127.0.0.1:PORT; a hosts entry cannot rename an
 * address), a name gets its own loopback address (127.0.0.<i+2>) and a hosts entry.
 */
export function insideAddr(r: Pick<Relay, 'host' | 'port' | 'socket'>, i: number, what = `${r.host}:${r.port}`): Forward {
  if (isLoopbackV4(r.host)) return { addr: r.host, port: r.port, socket: r.socket, what };
  return { addr: `127.0.0.${i + 2}`, port: r.port, socket: r.socket, what, name: r.host };
}

export function isLoopbackV4(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** An address literal a hosts entry cannot stand for (and a sandbox's loopback cannot listen on). */
export function isForeignAddress(host: string): boolean {
  return !isLoopbackV4(host) && (net.isIP(host.replace(/^\[|\]$/g, '')) !== 0);
}

/** The hosts file a sandbox with forwards sees: each named forward on its address, then the host's own less those names. */
export function writeHosts(file: string, fs: Forward[]): string {
  const own = fs.filter((f) => f.name).map((f) => `${f.addr}\t${f.name}`);
  const host = existsSync('/etc/hosts') ? readFileSync('/etc/hosts', 'utf8') : '127.0.0.1\tlocalhost\n';
  writeFileSync(file, `# written by the harness: allowed hosts reach the supervisor's relays\n${own.join('\n')}\n${withoutNames(host, new Set(fs.flatMap((f) => (f.name ? [f.name.toLowerCase()] : []))))}`);
  return file;
}

/**
 * The host's hosts file less the names the relays answer for: getaddrinfo returns every
 * line that names a host and sorts them (127.0.0.1 beats an allowed name's 127.0.0.N), so
 * a name the host also lists (its own name on 127.0.1.1, localhost) must appear once only.
 */
export function withoutNames(hosts: string, names: Set<string>): string {
  return hosts
    .split('\n')
    .flatMap((line) => {
      const [body = '', comment] = line.split(/#(.*)/s, 2) as [string, string | undefined];
      const fields = body.trim().split(/\s+/).filter(Boolean);
      if (fields.length < 2) return [line];
      const kept = fields.slice(1).filter((n) => !names.has(n.toLowerCase()));
      if (kept.length === fields.length - 1) return [line];
      return kept.length ? [`${fields[0]}\t${kept.join(' ')}${comment !== undefined ? ` #${comment}` : ''}`] : [];
    })
    .join('\n');
}
