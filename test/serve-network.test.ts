// What a session can reach, checked from inside real sessions (bwrap, and docker on a
// private dockerd when one can start) against listeners planted on the host's loopback,
// each answering with its own secret and counting who connected: with --network upstream
// (the default) a session reaches the upstream server and each --allow-host (an address
// literal, and a name that resolves inside to the supervisor's relay) and nothing else of
// the host; with --network host it reaches the host's services.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runTool } from '../harness/sandbox/common.js';
import { bwrapSandbox } from '../harness/sandbox/bwrap.js';
import { buildTestImage, type TestImage } from './helpers/docker-image.js';
import { startDockerd, type DockerdOrReason } from './helpers/dockerd.js';
import { tempDir } from './helpers/repos.js';
import { FAST, makeProject, spawnHarness } from './helpers/swarm.js';

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

function sessionLog(root: string): string {
  const dir = path.join(root, '.swarm/agent_logs/agent-1');
  return readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n');
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

const client = !(await runTool('docker', ['--version'])).missing;
const daemon: DockerdOrReason = client ? await startDockerd() : { ok: false, reason: 'the docker client is not installed (apt-get install docker.io)' };
const image: TestImage | undefined = daemon.ok ? await buildTestImage(daemon.dockerd) : undefined;
afterAll(async () => {
  if (daemon.ok) await daemon.dockerd.stop();
});

describe.skipIf(!daemon.ok)(daemon.ok ? 'network of docker sessions (private dockerd)' : `network of docker sessions: SKIPPED, ${daemon.reason}`, () => {
  const d = daemon.ok ? daemon.dockerd : undefined!;
  networkTests(() => ['--sandbox', 'docker', '--docker-host', d.host, '--image', image!.image, ...image!.mounts.flatMap((m) => ['--mount', m.path])]);
});
