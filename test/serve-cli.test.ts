// `harness serve` as its own process, and `harness status` / `harness report` of a swarm
// whose upstream is a URL: they read it through a mirror kept in the swarm folder.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { gitEnv, harness, HARNESS_BIN } from './helpers/repos.js';
import { waitFor } from './helpers/swarm.js';

describe('harness serve', () => {
  it('serves DIR/upstream.git at a URL; status and report of a swarm with that URL upstream read it through DIR/mirror.git; SIGTERM stops it', async ({ tmp }) => {
    expect((await harness(tmp, ['init', '--dir', 'srv'])).code).toBe(0);
    const p = execa('node', [HARNESS_BIN, 'serve', '--dir', 'srv', '--listen', '127.0.0.1:0'], { cwd: tmp, env: gitEnv(), extendEnv: false, reject: false });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const url = await waitFor('the URL', () => /at (http:\/\/127\.0\.0\.1:\d+\/upstream\.git)/.exec(out)?.[1], 60_000);
    const token = readFileSync(path.join(tmp, 'srv/serve/supervisor.token'), 'utf8').trim();
    expect(out).not.toContain(token);
    const auth = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Bearer ${token}` };
    // a swarm folder elsewhere whose upstream is that URL
    const swarm = path.join(tmp, 'remote-swarm');
    mkdirSync(swarm);
    writeFileSync(path.join(swarm, 'run.json'), JSON.stringify({ upstream: url, agents: 1 }) + '\n');
    writeFileSync(path.join(swarm, 'events.jsonl'), '');
    const st = await harness(tmp, ['status', '--dir', swarm, '--json'], auth);
    expect(st.code, st.err.join('\n')).toBe(0);
    expect(existsSync(path.join(swarm, 'mirror.git/objects'))).toBe(true);
    const rep = await harness(tmp, ['report', '--dir', swarm, '--out', path.join(tmp, 'r.html')], auth);
    expect(rep.code, rep.err.join('\n')).toBe(0);
    // without the token the mirror cannot be brought up to date: one line, exit 4
    const denied = await harness(tmp, ['status', '--dir', swarm]);
    expect(denied.code).toBe(4);
    expect(denied.err.join('\n')).toMatch(/cannot fetch .* \[UPSTREAM_UNREACHABLE\]/);
    p.kill('SIGTERM');
    const r = await p;
    expect(r.exitCode).toBe(0);
    expect(out + r.stdout).toMatch(/stopped/);
  }, 120_000);

  it('a bad --listen is exit 2 with one line; a folder without an upstream is exit 4', async ({ tmp }) => {
    const bad = await harness(tmp, ['serve', '--listen', 'localhost']);
    expect(bad.code).toBe(2);
    expect(bad.err).toHaveLength(1);
    expect(bad.err[0]).toMatch(/--listen "localhost" is not HOST:PORT/);
    const none = await harness(tmp, ['serve', '--dir', 'nothing']);
    expect(none.code).toBe(4);
    expect(none.err[0]).toMatch(/is not a bare git repository; run harness init first/);
  });
});
