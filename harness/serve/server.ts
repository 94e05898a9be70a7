// The upstream server: git's own smart HTTP (upload-pack and receive-pack in stateless-rpc
// mode, as git http-backend runs them: smart-http.ts) behind a small Node HTTP server. Sessions reach it as a URL, through TCP on the host or through a unix socket
// forwarded into their sandbox; none of them ever sees the bare repo's files. Every request
// carries a token that names an agent session or the supervisor; the pre-receive hook asks
// this process (over a private unix socket) whether the push keeps the protocol.
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EnvError } from '../kit/errors.js';
import { gitConfigVars } from '../git/config-env.js';
import { Git } from '../kit/git.js';
import { removeDeadRefLock } from '../git/sync.js';
import { mainFacts, type QuarantineEnv } from './facts.js';
import { writeHooks } from './hook.js';
import { AdvertCache, PushAdvert, refsAnswerable, type Advertiser } from './adverts.js';
import { ServerObjects } from './objects.js';
import { LsRefs } from './ls-refs.js';
import { gitCall, readWhole, runService, sendAnswer } from './smart-http.js';
import { checkPush, MAIN, staleMain, ZERO, type Owner, type RefUpdate } from './policy.js';
import type { ParsedLock } from '../tasks/lockfile.js';
import { tokenOf, type Identity, type TokenTable } from './tokens.js';

export interface ServeOptions {
  /** the bare repo served */
  repo: string;
  /** the server's private folder (hooks, sockets, push log, lock owners); never mounted */
  stateDir: string;
  host: string;
  /** 0: any free port */
  port: number;
  tokens: TokenTable;
  allowTestEdits: boolean;
  /** more protected paths (prefixes) besides the suite's tests and test-oracle.json */
  protect: string[];
  env: NodeJS.ProcessEnv;
}

export interface RunningServer {
  /** what clones use: http://HOST:PORT/upstream.git */
  url: string;
  port: number;
  /** the same HTTP over a unix socket (forwarded into sandboxes without a network) */
  socket: string;
  close(): Promise<void>;
}

/** Unix socket paths are limited to 107 bytes: deep swarm folders get a short one in /tmp. */
function socketDir(stateDir: string, name: string): string {
  const d = path.join(stateDir, name);
  if (path.join(d, 'upstream.sock').length < 100) return d;
  return path.join(os.tmpdir(), `harness-serve-${randomBytes(6).toString('hex')}`, name);
}

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  if (!existsSync(path.join(o.repo, 'objects'))) throw new EnvError('NO_UPSTREAM', `${o.repo} is not a bare git repository; run harness init first`);
  mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
  // A push killed with its server (kill -9 of the supervisor) can leave main's ref lock behind.
  removeDeadRefLock(o.repo, 'main');
  const hooks = writeHooks(path.join(o.stateDir, 'hooks'));
  const httpDir = socketDir(o.stateDir, 'http');
  for (const d of [httpDir]) {
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true, mode: 0o700 });
  }
  const httpSock = path.join(httpDir, 'upstream.sock');
  const repoName = path.basename(o.repo);
  const git = new Git(o.repo, o.env);
  const pushes = new Map<string, { who: Identity; owners: { task: string; blob: string }[] }>();
  const owners = new OwnerBook(path.join(o.stateDir, 'owners.json'));
  const pushLog = path.join(o.stateDir, 'pushes.jsonl');
  const fromFiles = await refsAnswerable(git);
  const adverts: Advertiser[] = [new AdvertCache(), ...(fromFiles ? [new PushAdvert(o.repo)] : [])];
  const lsRefs = fromFiles ? new LsRefs(o.repo) : null;
  const objects = new ServerObjects(git);
  const gc = gcAfterPush(git, 30_000, () => objects.recycle());

  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const prefix = `/${repoName}`;
    const rest = url.pathname.startsWith(prefix + '/') ? url.pathname.slice(prefix.length) : null;
    if (rest === null) return refuse(res, 404, `not found: this server serves only ${prefix}`);
    const token = tokenOf(req.headers.authorization);
    const who = o.tokens.lookup(token);
    if (!who) {
      // A token that is not (or no longer) valid: 403, whose text git shows as `remote: ...`.
      if (token) return refuse(res, 403, 'ERROR this upstream token is not valid (a session\'s token is revoked when the session ends): the supervisor starts a new session with a new one');
      res.setHeader('WWW-Authenticate', 'Basic realm="harness upstream"');
      return refuse(res, 401, 'ERROR this upstream needs a token: sessions get theirs from the supervisor in their environment');
    }
    const call = gitCall(req.method ?? 'GET', rest, url.searchParams);
    if ('status' in call) return refuse(res, call.status, call.why);
    const gitProtocol = typeof req.headers['git-protocol'] === 'string' ? req.headers['git-protocol'] : undefined;
    if (orGit(() => adverts.some((a) => a.serve(call, gitProtocol, req, res)), false)) return;
    const pushId = randomBytes(12).toString('hex');
    if (call.service === 'receive-pack' && !call.advertise) {
      pushes.set(pushId, { who, owners: [] });
      // A receive-pack killed holding main's lock (kill -9 of the supervisor and its server
      // mid-update) would refuse every push after it: checked where it matters, one stat a push.
      removeDeadRefLock(o.repo, 'main');
    }
    const user = who.role === 'supervisor' ? 'harness' : who.agent;
    const env: NodeJS.ProcessEnv = {
      PATH: o.env.PATH ?? '/usr/bin:/bin',
      HOME: o.env.HOME ?? o.stateDir,
      // who moved a ref, in the reflog (as http-backend says it)
      GIT_COMMITTER_NAME: user,
      GIT_COMMITTER_EMAIL: `${user}@http.harness`,
      HARNESS_PUSH_ID: pushId,
      HARNESS_POLICY_PORT: String(policyPort),
      ...(gitProtocol ? { GIT_PROTOCOL: gitProtocol } : {}),
      // Outranks the repo's config: our hook, pushes allowed, nothing of the repo's run as a program.
      ...gitConfigVars([
        ['core.hooksPath', hooks],
        ['core.fsmonitor', 'false'],
        ['receive.denyDeletes', 'false'],
        ['receive.denyNonFastForwards', 'false'],
        // housekeeping is the server's (gcAfterPush), not one more program inside every push
        ['receive.autogc', 'false'],
        // In quarantine the repo's own objects are an alternate, so the connectivity check
        // would list the repo's refs a second time with a for-each-ref inside every push.
        ['core.alternateRefsCommand', 'true'],
      ]),
    };
    const run = (body?: Buffer) => {
      const keep = orGit(() => (body ? lsRefs?.learner(body) : adverts.map((a) => a.recorder(call, gitProtocol)).find((r) => r !== null)), null);
      void runService(req, res, o.repo, call, env, { ...(keep ? { tee: keep.tee } : {}), ...(body ? { body } : {}) }).done.then(({ code }) => {
        orGit(() => keep?.end(code), undefined);
        if (call.service === 'receive-pack' && code === 0) gc.afterPush();
        const p = pushes.get(pushId);
        pushes.delete(pushId);
        if (p && p.owners.length) void owners.confirm(git, p.owners, p.who);
      });
    };
    if (call.advertise || call.service === 'receive-pack') return run();
    // A fetch's calls are read whole first (as http-backend does); ls-refs needs no git.
    void readWhole(req, res, call).then((body) => {
      if (!body) return;
      const answer = orGit(() => lsRefs?.answer(body) ?? null, null);
      if (!answer) return run(body);
      sendAnswer(req, res, 'application/x-git-upload-pack-result', answer);
    });
  };

  const policy = async (text: string): Promise<string> => {
    const [id, qPath, objDir, alt, ...lines] = text.split('\n');
    const refs = lines.slice(0, lines.indexOf('') < 0 ? lines.length : lines.indexOf(''));
    const p = pushes.get(id ?? '');
    if (!p) return 'ERROR this push did not come through the harness server; push to its URL';
    const updates: RefUpdate[] = refs.filter((l) => l.trim()).map((l) => {
      const [old, neu, ref] = l.trim().split(' ') as [string, string, string];
      return { old, new: neu, ref };
    });
    const q: QuarantineEnv = { GIT_QUARANTINE_PATH: qPath, GIT_OBJECT_DIRECTORY: objDir, GIT_ALTERNATE_OBJECT_DIRECTORIES: alt };
    const mu = updates.find((u) => u.ref === MAIN && u.new !== ZERO);
    // A push that already lost the race for main is told so before any git work.
    const stale = staleMain(updates, mainTip(o.repo));
    const facts = mu && !stale ? await mainFacts(git, q, mu.old, mu.new, o.protect, objects.forPush(q)) : null;
    const errors = stale ? [stale] : checkPush(p.who, updates, facts, (task, lock) => owners.ownerOf(task, lock), { allowTestEdits: o.allowTestEdits }, (agent, session) => o.tokens.isLive(agent, session));
    appendFileSync(pushLog, JSON.stringify({ at: new Date().toISOString(), role: p.who.role, agent: p.who.agent, session: p.who.session, updates, refused: errors }) + '\n');
    if (errors.length) return errors.join('\n');
    for (const c of facts?.locks ?? []) if (c.kind !== 'deleted' && c.blob && c.after?.readable && c.after.headers.Agent === undefined) p.owners.push({ task: c.task, blob: c.blob });
    return 'OK';
  };

  // The hook (bash's /dev/tcp) cannot half-close: a request is whole at the empty line
  // after its four header lines and its ref lines (or at its end).
  const policyServer = net.createServer({ allowHalfOpen: true }, (sock) => {
    let text = '';
    let asked = false;
    const answer = () => {
      if (asked) return;
      asked = true;
      policy(text)
        .catch((e: Error) => `ERROR the upstream server could not check this push (${e.message}); push again, and tell the supervisor's operator if it repeats`)
        .then((reply) => sock.end(reply + '\n'));
    };
    sock.setEncoding('utf8');
    sock.setTimeout(60_000, () => sock.destroy());
    sock.on('data', (d: string) => {
      text += d;
      if (text.length > 4 << 20) return void sock.destroy();
      if (requestComplete(text)) answer();
    });
    sock.on('error', () => {});
    sock.on('end', answer);
  });
  const tcp = http.createServer(handle);
  const unix = http.createServer(handle);
  await listen(unix, httpSock);
  // Loopback only: the hook runs on this host; a request names a push by its random id.
  const policyPort = await new Promise<number>((resolve, reject) => {
    policyServer.once('error', reject);
    policyServer.listen(0, '127.0.0.1', () => resolve((policyServer.address() as net.AddressInfo).port));
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', (e: NodeJS.ErrnoException) => reject(new EnvError('SERVE_PORT_BUSY', `cannot listen on ${o.host}:${o.port} (${e.code ?? e.message}); choose another --listen HOST:PORT`)));
    tcp.listen(o.port, o.host, () => resolve());
  });
  const port = (tcp.address() as net.AddressInfo).port;
  const shownHost = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${shownHost}:${port}/${repoName}`,
    port,
    socket: httpSock,
    close: async () => {
      objects.close();
      for (const s of [tcp, unix, policyServer]) {
        (s as http.Server).closeAllConnections?.();
        await new Promise<void>((r) => s.close(() => r()));
      }
      rmSync(httpDir, { recursive: true, force: true });
    },
  };
}

function listen(s: net.Server, sock: string): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(sock, () => resolve());
  });
}

/**
 * The server's own answers (from the ref files) are a shortcut: whatever goes wrong in one
 * leaves the request to git, and never reaches the request handler, where it would end the
 * server.
 */
function orGit<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/** Four header lines, then ref lines, then an empty line. */
export function requestComplete(text: string): boolean {
  let at = -1;
  for (let i = 0; i < 4; i++) if ((at = text.indexOf('\n', at + 1)) < 0) return false;
  return text.indexOf('\n\n', at) >= 0;
}

function refuse(res: http.ServerResponse, status: number, msg: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'Content-Type': 'text/plain' });
  res.end(msg + '\n');
}

/**
 * `git gc --auto` (which does nothing until the repo needs it) after a push, at most once
 * per `everyMs`: what receive-pack would run after every push, without its cost in each.
 */
function gcAfterPush(git: Git, everyMs: number, repacked: () => void): { afterPush(): void } {
  let last = 0;
  let running = false;
  return {
    afterPush() {
      if (running || Date.now() - last < everyMs) return;
      running = true;
      last = Date.now();
      void git
        // In the foreground: a detached gc would repack after `repacked` had already run.
        .run(['-c', 'gc.autoDetach=false', 'gc', '--auto', '--quiet'])
        .then(repacked, () => {})
        .finally(() => (running = false));
    },
  };
}

/** The tip of main as a loose ref file says it; null when it is packed or absent (then nothing is assumed). */
function mainTip(repo: string): string | null {
  try {
    const t = readFileSync(path.join(repo, MAIN), 'utf8').trim();
    return /^[0-9a-f]{40,64}$/.test(t) ? t : null;
  } catch {
    return null;
  }
}

/**
 * Who pushed each prose-only lock (no Agent header): its owner. Recorded once the push has
 * landed (a pre-receive that passed may still lose the race for the ref).
 */
class OwnerBook {
  private book: Record<string, { blob: string; agent: string; session?: string | null }> = {};

  constructor(private readonly file: string) {
    try {
      this.book = JSON.parse(readFileSync(file, 'utf8')) as typeof this.book;
    } catch {
      /* none yet */
    }
  }

  ownerOf(task: string, lock: ParsedLock | null): Owner | null {
    if (lock?.readable && lock.headers.Agent) return { agent: lock.headers.Agent, session: lock.headers.Session ?? null };
    const rec = this.book[task];
    return rec ? { agent: rec.agent, session: rec.session ?? null } : null;
  }

  async confirm(git: Git, recs: { task: string; blob: string }[], who: Identity): Promise<void> {
    for (const r of recs) {
      const now = await git.run(['rev-parse', '--verify', '--quiet', `${MAIN}:current_tasks/${r.task}.txt`]);
      if (now.code === 0 && now.stdout.trim() === r.blob) this.book[r.task] = { blob: r.blob, agent: who.agent, session: who.session };
    }
    writeFileSync(this.file, JSON.stringify(this.book, null, 1));
  }
}
