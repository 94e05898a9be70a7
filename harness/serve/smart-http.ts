// Git's smart HTTP, the part `git http-backend` does, in the server itself: which service a
// request asks for, the headers and the advertisement's first line, the request body
// (gunzipped) into git's own upload-pack or receive-pack in stateless-rpc mode, and their
// output back. Run as CGI, http-backend costs three programs per request (the git wrapper,
// http-backend, then the service); this costs one, and a claim (fetch then push) makes four
// or five requests, each program a wait for a CPU on a busy machine (bench: claims --transport http).
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createGunzip } from 'node:zlib';
import { FLUSH, pktLine } from '../git/pkt.js';

export type Service = 'upload-pack' | 'receive-pack';

export interface GitCall {
  service: Service;
  /** GET info/refs?service=git-S: the advertisement; else the POST of a call */
  advertise: boolean;
}

/** A negotiation request is read whole before upload-pack starts (git's http.maxRequestBuffer default). */
const MAX_UPLOAD_REQUEST = 10 * 1024 * 1024;

const NO_CACHE = {
  Expires: 'Fri, 01 Jan 1980 00:00:00 GMT',
  Pragma: 'no-cache',
  'Cache-Control': 'no-cache, max-age=0, must-revalidate',
};

/** The call a request path makes (`/info/refs`, `/git-upload-pack`, `/git-receive-pack`), or a reason to refuse it. */
export function gitCall(method: string, rest: string, query: URLSearchParams): GitCall | { status: number; why: string } {
  const svc = (s: string | null): Service | null => (s === 'git-upload-pack' ? 'upload-pack' : s === 'git-receive-pack' ? 'receive-pack' : null);
  if (rest === '/info/refs') {
    const service = svc(query.get('service'));
    if (method !== 'GET') return { status: 405, why: 'info/refs is read with GET' };
    if (!service) return { status: 403, why: 'this server speaks only smart HTTP: ask for ?service=git-upload-pack or git-receive-pack' };
    return { service, advertise: true };
  }
  const service = svc(rest.slice(1));
  if (!service) return { status: 404, why: 'not found' };
  if (method !== 'POST') return { status: 405, why: `${rest.slice(1)} is called with POST` };
  return { service, advertise: false };
}

/** Protocol v2 asked for in the Git-Protocol header (then the advertisement lists capabilities, not refs). */
export function wantsV2(gitProtocol: string | undefined): boolean {
  return typeof gitProtocol === 'string' && /(^|:)version=2(:|$)/.test(gitProtocol);
}

export interface ServiceRun {
  /** the service's exit code (-1: it could not start) */
  done: Promise<{ code: number; stderr: string }>;
}

/** A request body of the wrong type is refused (415) here; true when it may go on. */
function typeOk(req: http.IncomingMessage, res: http.ServerResponse, call: GitCall): boolean {
  if (call.advertise || req.headers['content-type'] === `application/x-git-${call.service}-request`) return true;
  req.resume();
  res.writeHead(415, { 'Content-Type': 'text/plain' });
  res.end(`expected Content-Type application/x-git-${call.service}-request\n`);
  return false;
}

/**
 * Runs one call. `env` is the service's whole environment (the caller's identity, the
 * policy hook's variables, the config that outranks the repo's). `tee` sees every byte of
 * the answer's body (what the server learns its own answers from); `body` is the request
 * body when the caller has read it already (readWhole).
 */
export function runService(req: http.IncomingMessage, res: http.ServerResponse, repo: string, call: GitCall, env: NodeJS.ProcessEnv, o: { tee?: (d: Buffer) => void; body?: Buffer } = {}): ServiceRun {
  const type = `application/x-git-${call.service}`;
  if (o.body === undefined && !typeOk(req, res, call)) return { done: Promise.resolve({ code: 0, stderr: '' }) };
  const tee = o.tee;
  const args = [call.service, '--stateless-rpc', ...(call.advertise ? ['--advertise-refs'] : []), '.'];
  const child = spawn('git', args, { cwd: repo, env, stdio: [call.advertise ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  const out = child.stdout!;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number; stderr: string }>((resolve) => {
    child.on('error', (e) => resolve({ code: -1, stderr: e.message }));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
  let started = false;
  const start = () => {
    if (started || res.headersSent) return;
    started = true;
    res.writeHead(200, { ...NO_CACHE, 'Content-Type': call.advertise ? `${type}-advertisement` : `${type}-result` });
    if (call.advertise && !wantsV2(env.GIT_PROTOCOL)) {
      const first = pktLine(`# service=git-${call.service}\n`) + FLUSH;
      tee?.(Buffer.from(first));
      res.write(first);
    }
  };
  out.on('data', (d: Buffer) => {
    start();
    tee?.(d);
    if (!res.write(d)) {
      out.pause();
      res.once('drain', () => out.resume());
    }
  });
  // 'close' comes after the last byte of output, 'error' when git could not start at all.
  void done.then(({ code, stderr: err }) => {
    if (!started && res.headersSent) return void res.end(); // refused already (413)
    if (!started && code !== 0) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      return void res.end(`git ${call.service} failed: ${err.trim().split('\n').pop() || `exit ${code}`}\n`);
    }
    start();
    res.end();
  });
  // A client that went away stops reading: git would block on its output for ever.
  res.on('close', () => {
    if (!res.writableFinished) child.kill('SIGTERM');
  });
  if (o.body !== undefined) {
    child.stdin!.on('error', () => {});
    child.stdin!.end(o.body);
  } else if (!call.advertise) feed(req, child.stdin!, () => child.kill('SIGTERM'));
  else req.resume();
  return { done };
}

/** The request body into the service's stdin as it comes, gunzipped when git compressed it. */
function feed(req: http.IncomingMessage, stdin: NodeJS.WritableStream, abort: () => void): void {
  stdin.on('error', () => {});
  const body = unzipped(req, abort);
  if (body) body.pipe(stdin);
}

function unzipped(req: http.IncomingMessage, abort: () => void): NodeJS.ReadableStream | null {
  const enc = String(req.headers['content-encoding'] ?? '').toLowerCase();
  if (enc === 'gzip' || enc === 'x-gzip') {
    const gunzip = createGunzip();
    gunzip.on('error', () => abort());
    return req.pipe(gunzip);
  }
  if (!enc || enc === 'identity') return req;
  abort();
  req.resume();
  return null;
}

/**
 * A negotiation request (upload-pack's) read whole, as http-backend does: upload-pack may
 * start answering before it has read all. Null when it was refused (the answer is sent).
 */
export function readWhole(req: http.IncomingMessage, res: http.ServerResponse, call: GitCall): Promise<Buffer | null> {
  if (!typeOk(req, res, call)) return Promise.resolve(null);
  return new Promise((resolve) => {
    let refused = false;
    const refuse = (status: number, why: string) => {
      if (refused) return;
      refused = true;
      resolve(null);
      // The rest of the body is read and dropped, so the client gets to read why (closing
      // the connection under a client still sending shows it only a reset); not for ever.
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'text/plain' }).end(why + '\n');
    };
    const body = unzipped(req, () => {
      refuse(400, 'the request body could not be read (bad gzip or an unknown Content-Encoding)');
      req.unpipe();
      req.resume(); // dropped, as after any refusal
    });
    if (!body) return;
    const parts: Buffer[] = [];
    let size = 0;
    body.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_UPLOAD_REQUEST * 4) return void req.destroy();
      if (refused) return;
      if (size > MAX_UPLOAD_REQUEST) return refuse(413, 'request too large');
      parts.push(d);
    });
    body.on('end', () => {
      if (!refused) resolve(Buffer.concat(parts));
    });
    body.on('error', () => refuse(400, 'the request body could not be read'));
  });
}

/** An answer the server gives itself, in place of git's. */
export function sendAnswer(req: http.IncomingMessage, res: http.ServerResponse, type: string, body: Buffer): void {
  req.resume();
  res.writeHead(200, { ...NO_CACHE, 'Content-Type': type });
  res.end(body);
}
