// What a session can reach, checked from inside real sessions (bwrap, and docker on a
// private dockerd when one can start) against listeners planted on the host's loopback,
// each answering with its own secret and counting who connected: with --network upstream
// (the default) a session reaches the upstream server and each --allow-host (an address
// literal, and a name that resolves inside to the supervisor's relay) and nothing else of
// the host; with --network host it reaches the host's services. And a session that cannot
// reach the server: it ends at once with exit 75 and one line, the work of one that lost the
// server mid-way is saved to wip/, and the run goes on.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bwrapSandbox } from '../harness/sandbox/bwrap.js';
import { dockerFixture } from './helpers/docker-image.js';
import { git, tempDir } from './helpers/repos.js';
import { events, FAST, fastUnless, makeProject, spawnHarness, waitFor } from './helpers/swarm.js';

const noBwrap = await bwrapSandbox().check().then(() => null, (e: Error) => e.message);

interface Listener {
  port: number;
  secret: string;
  /** connections the host saw */
  hits: () => number;
  close: () => Promise<void>;
}

let open: Listener[] = [];
afterEach(async () => {
  for (const l of open) await l.close();
  open = [];
});

/** A service on the host's 127.0.0.1 that tells each client its secret. */
async function plant(name: string): Promise<Listener> {
  const secret = `SECRET-${name}-${randomBytes(6).toString('hex')}`;
  let hits = 0;
  const s = net.createServer((c) => {
    hits++;
    c.on('error', () => {});
    c.end(secret + '\n');
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const l = { port: (s.address() as net.AddressInfo).port, secret, hits: () => hits, close: () => new Promise<void>((r) => s.close(() => r())) };
  open.push(l);
  return l;
}

/** The session: one `REACH label answer` line per target (answer `none` when nothing answered), then whether the upstream answers. */
function prober(targets: [label: string, host: string, port: number][]): string {
  return [
    ...targets.map(([label, host, port]) => `r=$(socat -T 5 -u TCP4:${host}:${port},connect-timeout=5 STDOUT 2>/dev/null); echo "REACH ${label} \${r:-none}"`),
    'if git ls-remote origin main >/dev/null 2>&1; then echo "UPSTREAM ok"; else echo "UPSTREAM fail"; fi',
  ].join('\n');
}

function sessionLog(root: string, n?: number): string {
  const dir = path.join(root, '.swarm/agent_logs/agent-1');
  return readdirSync(dir)
    .filter((f) => n === undefined || f.startsWith(`${n}-`))
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
}

const reach = (log: string, label: string) => /^REACH (\S+) (.*)$/m.exec(log.split('\n').filter((l) => l.startsWith(`REACH ${label} `))[0] ?? '')?.[2] ?? '(no line)';

/** A run of one probing session with the given sandbox flags; its log. */
async function probeRun(sandbox: string[], extra: string[], targets: [string, string, number][]): Promise<string> {
  const t = tempDir();
  try {
    makeProject(t.dir);
    const r = await spawnHarness(t.dir, ['run', ...sandbox, '--agent', 'cmd', '--agent-cmd', prober(targets), '--from', 'proj', '--max-sessions', '1', ...FAST, ...extra]);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    return sessionLog(t.dir);
  } finally {
    t.cleanup();
  }
}

function networkTests(sandbox: () => string[]) {
  it('--network upstream (default) with --allow-host: the allowed HOST:PORT (a loopback literal and a name) answers inside; another port of the host does not, and the host sees no connection', async () => {
    const allowed = await plant('allowed');
    const named = await plant('named');
    const other = await plant('other');
    const log = await probeRun(sandbox(), ['--allow-host', `127.0.0.1:${allowed.port}`, '--allow-host', `localhost:${named.port}`], [
      ['allowed', '127.0.0.1', allowed.port],
      ['named', 'localhost', named.port],
      ['other', '127.0.0.1', other.port],
    ]);
    expect(reach(log, 'allowed'), log).toBe(allowed.secret);
    expect(reach(log, 'named'), log).toBe(named.secret);
    expect(reach(log, 'other'), log).toBe('none');
    expect(log).toContain('UPSTREAM ok');
    expect(allowed.hits()).toBeGreaterThanOrEqual(1);
    expect(named.hits()).toBeGreaterThanOrEqual(1);
    expect(other.hits()).toBe(0);
  }, 180_000);

  it('a session that cannot reach the server: one that loses it mid-way has its work saved to wip/; the next one ends at once with exit 75 and one line; the run goes on', async () => {
    const t = tempDir();
    try {
      makeProject(t.dir);
      const ws = path.join(t.dir, '.swarm/agents/agent-1/workspace');
      // Session 1 works, then (once the test has cut the server off) cannot push; session 3 lands its work.
      const script = [
        'n=$HARNESS_SESSION',
        'echo "work of session $n" > "work-$n.txt"',
        'if [ "$n" = 1 ]; then',
        '  touch .git/test-ready; i=0; while [ ! -e .git/test-go ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done',
        '  if git push -q origin HEAD:refs/heads/try-1 2>/dev/null; then echo "PUSH-1 ok"; else echo "PUSH-1 failed"; fi',
        '  exit 1',
        'fi',
        'git add -A && git commit -qm "work $n" && git push -q origin HEAD:main && echo "PUSHED $n"',
      ].join('\n');
      // a fixed wait after each failing session: time for the test to let the server back in before session 3
      const backoff = ['--backoff-base', '5s', '--backoff-cap', '5s'];
      const run = spawnHarness(t.dir, ['run', ...sandbox(), '--agent', 'cmd', '--agent-cmd', script, '--from', 'proj', '--max-sessions', '3', ...backoff, ...fastUnless(backoff)]);
      await waitFor('session 1 to start working', () => existsSync(path.join(ws, '.git/test-ready')), 120_000);
      // The server's socket as sessions reach it, made unreachable for a session (no capability
      // inside overrides its mode) while the supervisor (root with its capabilities) still
      // finds it answering, so it is not restarted under the sessions' feet.
      const sock = path.join(t.dir, '.swarm/serve/http/upstream.sock');
      expect(existsSync(sock), 'the server socket under .swarm/serve/http').toBe(true);
      const mode = statSync(sock).mode & 0o777;
      chmodSync(sock, 0);
      writeFileSync(path.join(ws, '.git/test-go'), '');
      await waitFor('session 2 to end', () => events(t.dir).find((e) => e.type === 'session_end' && (e as { session?: string }).session === '2'), 120_000);
      chmodSync(sock, mode);
      const r = await run;
      expect(r.exitCode, r.stderr + r.stdout).toBe(0);
      const up = path.join(t.dir, '.swarm/upstream.git');
      const ends = events(t.dir).filter((e) => e.type === 'session_end') as unknown as { session: string; exit: number | null }[];
      expect(ends.map((e) => [e.session, e.exit])).toEqual([['1', 1], ['2', 75], ['3', 0]]);
      // 1: lost the server mid-way, and its work was saved to wip/ through the supervisor's own way in
      expect(sessionLog(t.dir, 1)).toContain('PUSH-1 failed');
      expect(git(up, 'show', 'wip/agent-1/1:work-1.txt')).toBe('work of session 1');
      // 2: ended before the agent ran, with one line that says why
      const said = sessionLog(t.dir, 2).split('\n').filter((l) => l.trim() && !l.startsWith('# harness:'));
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(/^harness: the upstream server does not answer \(.*\); this session cannot work without it and ends now \(the supervisor saves its workspace\)$/);
      // 3: the run went on, and its work landed
      expect(sessionLog(t.dir, 3)).toContain('PUSHED 3');
      expect(git(up, 'show', 'main:work-3.txt')).toBe('work of session 3');
      expect(git(up, 'ls-tree', '--name-only', 'main')).not.toMatch(/work-[12]\.txt/);
    } finally {
      t.cleanup();
    }
  }, 300_000);

  it('--network host: a service on the host\'s loopback answers inside (and the upstream still does)', async () => {
    const other = await plant('other');
    const log = await probeRun(sandbox(), ['--network', 'host'], [['other', '127.0.0.1', other.port]]);
    expect(reach(log, 'other'), log).toBe(other.secret);
    expect(other.hits()).toBeGreaterThanOrEqual(1);
    expect(log).toContain('UPSTREAM ok');
  }, 180_000);
}

describe.skipIf(noBwrap !== null)(noBwrap ? `network of bwrap sessions: SKIPPED, ${noBwrap}` : 'network of bwrap sessions', () => {
  networkTests(() => ['--sandbox', 'bwrap']);
});

const { daemon, image } = await dockerFixture();

describe.skipIf(!daemon.ok)(daemon.ok ? 'network of docker sessions (private dockerd)' : `network of docker sessions: SKIPPED, ${daemon.reason}`, () => {
  const d = daemon.ok ? daemon.dockerd : undefined!;
  networkTests(() => ['--sandbox', 'docker', '--docker-host', d.host, '--image', image!.image, ...image!.mounts.flatMap((m) => ['--mount', m.path])]);
});
