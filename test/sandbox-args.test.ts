// The pure parts of the real sandboxes: what bwrap and docker are told to do for a spec,
// and, through a fake docker client, how the secrets file is handled. No daemon needed.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../harness/kit/errors.js';
import { bwrapArgs, type PathKind } from '../harness/sandbox/bwrap.js';
import { sessionMounts } from '../harness/sandbox/common.js';
import { dockerCreateArgs, envFileText, mountSpec } from '../harness/sandbox/docker-args.js';
import { dockerSandbox } from '../harness/sandbox/docker.js';
import { SANDBOX_KINDS, sandboxFor } from '../harness/sandbox/index.js';
import type { SessionSpec } from '../harness/sandbox/types.js';
import { makeFixture, type Fixture } from './helpers/sandbox-fixture.js';

const spec = (over: Partial<SessionSpec> = {}): SessionSpec => ({
  name: 'agent-1-s1',
  cwd: '/sw/agents/a/workspace',
  mounts: [
    { path: '/sw/agents/a/workspace/verify', mode: 'ro' },
    { path: '/sw/upstream.git', mode: 'rw' },
  ],
  argv: ['claude', '-p', 'go'],
  env: { PATH: '/usr/bin:/bin', HOME: '/home/agent' },
  secrets: { ANTHROPIC_API_KEY: 'sk-secret' },
  outputFd: 1,
  network: true,
  limits: {},
  ...over,
});

const lookup = (p: string): PathKind => (p === '/bin' ? { kind: 'symlink', target: 'usr/bin' } : p === '/usr' || p === '/etc' ? { kind: 'dir' } : { kind: 'missing' });
const plan = { systemPaths: ['/usr', '/bin', '/etc', '/opt'], lookup, root: true };

describe('mounts', () => {
  it('puts parents before children, keeps the workspace rw and a doubly listed path ro', () => {
    const m = sessionMounts(spec({ mounts: [{ path: '/sw/t', mode: 'rw' }, { path: '/sw/t/', mode: 'ro' }, { path: '/sw/agents/a/workspace/verify', mode: 'ro' }, { path: '/sw/agents/a/workspace', mode: 'ro' }] }));
    expect(m).toEqual([
      { path: '/sw/t', mode: 'ro' },
      { path: '/sw/agents/a/workspace', mode: 'rw' },
      { path: '/sw/agents/a/workspace/verify', mode: 'ro' },
    ]);
  });
  it('refuses a relative path', () => {
    expect(() => sessionMounts(spec({ mounts: [{ path: 'rel', mode: 'ro' }] }))).toThrow(UsageError);
  });
});

describe('bwrapArgs', () => {
  it('binds system folders read-only, copies symlinks, mounts the session after /tmp and HOME', () => {
    const a = bwrapArgs(spec(), plan).join(' ');
    expect(a).toContain('--ro-bind /usr /usr');
    expect(a).toContain('--symlink usr/bin /bin');
    expect(a).not.toContain('/opt');
    expect(a).toContain('--unshare-pid');
    expect(a).toContain('--cap-drop ALL');
    expect(a).not.toContain('--unshare-net');
    expect(a).toMatch(/--tmpfs \/tmp .*--tmpfs \/home\/agent .*--bind \/sw\/agents\/a\/workspace \/sw\/agents\/a\/workspace .*--ro-bind \/sw\/agents\/a\/workspace\/verify/);
    expect(a).toContain('--chdir /sw/agents/a/workspace');
    expect(a).not.toContain('sk-secret');
  });
  it('cuts the network only when asked, and leaves HOME alone when it is a mount', () => {
    const a = bwrapArgs(spec({ network: false, env: { HOME: '/sw/agents/a/workspace/.home' } }), plan);
    expect(a).toContain('--unshare-net');
    expect(a.join(' ')).not.toContain('.home');
  });
});

describe('dockerCreateArgs', () => {
  const p = { image: 'img:1', user: '1000:1000', extraMounts: [], envFile: '/tmp/x/env' };
  it('maps limits, network, user, env file and the entrypoint; never a secret value', () => {
    const a = dockerCreateArgs(spec({ limits: { cpus: 1.5, memoryMb: 2048, pids: 256 } }), { ...p, network: 'host' });
    const s = a.join(' ');
    expect(a.slice(0, 3)).toEqual(['create', '--rm', '--init']);
    expect(s).toContain('--cpus 1.5 --memory 2048m --pids-limit 256');
    expect(s).toContain('--network host');
    expect(s).toContain('--user 1000:1000');
    expect(s).toContain('--read-only');
    expect(s).toContain('--env-file /tmp/x/env');
    expect(s).toContain('--mount type=bind,source=/sw/agents/a/workspace/verify,target=/sw/agents/a/workspace/verify,readonly');
    expect(a.slice(-4)).toEqual(['claude', 'img:1', '-p', 'go']);
    expect(s).not.toContain('sk-secret');
  });
  it('network=false is none; otherwise the daemon default unless one is chosen', () => {
    expect(dockerCreateArgs(spec({ network: false }), { ...p, network: 'host' }).join(' ')).toContain('--network none');
    expect(dockerCreateArgs(spec(), p)).not.toContain('--network');
  });
  it('refuses nonsense limits', () => {
    expect(() => dockerCreateArgs(spec({ limits: { cpus: 0 } }), p)).toThrow(UsageError);
  });
  it('quotes mount paths with commas; env files refuse multi-line secrets', () => {
    expect(mountSpec({ path: '/a,b', mode: 'rw' })).toBe('type=bind,"source=/a,b","target=/a,b"');
    expect(envFileText({ A: '1', B: 'x=y' })).toBe('A=1\nB=x=y\n');
    expect(() => envFileText({ PEM: 'a\nb' })).toThrow(UsageError);
  });
});

describe('the secrets file, seen by a fake docker client', () => {
  let f: Fixture;
  beforeEach(() => {
    f = makeFixture();
  });
  afterEach(() => f.cleanup());

  it('is mode 0600 with the secrets while `create` runs, and gone when start() returns', async () => {
    const rec = path.join(f.root, 'record');
    const fake = path.join(f.root, 'fake-docker');
    writeFileSync(
      fake,
      `#!/bin/sh
echo "ARGV $*" >> ${rec}
case "$1" in
  version) echo 99 ;;
  network) printf 'bridge\\nhost\\nnone\\n' ;;
  create) while [ $# -gt 0 ]; do if [ "$1" = --env-file ]; then echo "MODE $(stat -c %a "$2") DIR $(stat -c %a "$(dirname "$2")")" >> ${rec}; cat "$2" >> ${rec}; echo "FILE $2" >> ${rec}; fi; shift; done; echo fakeid ;;
  start) echo started ;;
esac
`,
    );
    chmodSync(fake, 0o755);
    const sb = dockerSandbox({ binary: fake, image: 'img:1', secretsDir: f.root });
    const s = await sb.start(f.spec({ secrets: { API_KEY: 'sk-fake-1' } }));
    const file = /^FILE (.*)$/m.exec(readFileSync(rec, 'utf8'))![1]!;
    expect(existsSync(file)).toBe(false);
    expect(existsSync(path.dirname(file))).toBe(false);
    expect((await s.exited).code).toBe(0);
    const log = readFileSync(rec, 'utf8');
    expect(log).toContain('MODE 600 DIR 700');
    expect(log).toContain('API_KEY=sk-fake-1');
    expect(log.split('\n').filter((l) => l.startsWith('ARGV')).join('\n')).not.toContain('sk-fake-1');
    expect(log).toMatch(/^ARGV start --attach fakeid$/m);
  });
});

describe('sandboxFor', () => {
  it('gives each kind its sandbox and refuses an unknown one', () => {
    for (const k of SANDBOX_KINDS) expect(sandboxFor(k).kind).toBe(k);
    expect(() => sandboxFor('vm' as never)).toThrow(UsageError);
  });
});
