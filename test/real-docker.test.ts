// The real Claude Code CLI inside the agent image, in a container on a private dockerd:
// the image is built here without pulling (scripts/build-image.sh: mmdebstrap from the
// Debian mirror, Node and the CLIs from npm, `docker import`), then `harness run --sandbox
// docker` runs the image's own `claude`, then its own `codex`, against the scripted model server. Slow suite: the
// first build takes minutes (HARNESS_IMAGE_CACHE keeps the root filesystem for later runs).
import path from 'node:path';
import { execa } from 'execa';
import { runTool } from '../harness/sandbox/common.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDockerd, type Dockerd } from './helpers/dockerd.js';
import { startModelServer, turns, type ModelServer } from './helpers/model-server.js';
import { ANTHROPIC_KEY, costOf, filesContaining, landTask, OPENAI_KEY, realCliMissing, runReal } from './helpers/real-agents.js';
import { git, ROOT, tempDir, upstreamLocks } from './helpers/repos.js';
import { events, makeProject, sessionLogs } from './helpers/swarm.js';
import type { Usage } from '../harness/events/log.js';

const SLOW = !!process.env.HARNESS_SLOW_TESTS;
const IMAGE = 'harness-agent-test:1';
const CACHE = process.env.HARNESS_IMAGE_CACHE ?? '/var/tmp/harness-image-cache';
const USAGE = [{ input: 1100, output: 70, cacheRead: 2000, cacheWrite: 400 }]; // every one of the 4 turns

let d: Dockerd | undefined;
let why = realCliMissing() ?? (SLOW ? null : 'slow suite only (HARNESS_SLOW_TESTS=1): builds the agent image');
let server: ModelServer;

beforeAll(async () => {
  server = await startModelServer(turns([]));
  if (why) return;
  const started = await startDockerd();
  if (!started.ok) return void (why = started.reason);
  d = started.dockerd;
  const b = await execa('bash', [path.join(ROOT, 'scripts/build-image.sh'), IMAGE], { env: { ...process.env, DOCKER_HOST: d.host, HARNESS_IMAGE_CACHE: CACHE }, reject: false, all: true });
  if (b.exitCode !== 0) throw new Error(`build-image.sh failed (exit ${b.exitCode}):\n${b.all}`);
}, 30 * 60_000);
afterAll(async () => {
  await server?.close();
  await d?.stop();
}, 60_000);

describe('real Claude Code in the agent image (docker, built without pulling)', () => {
  it('the image has Node 20, git, a compiler and both pinned CLIs', async (ctx) => {
    if (why) return ctx.skip();
    // a private dockerd on vfs copies the 1.5 GB image for every container: give it time
    const r = await runTool(d!.docker, ['run', '--rm', '--entrypoint', '/bin/sh', IMAGE, '-c', 'node --version; git --version; cc --version | head -1; socat -V | sed -n 2p; claude --version; codex --version'], { ...process.env, DOCKER_HOST: d!.host }, 10 * 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^v20\./m);
    expect(r.stdout).toMatch(/^socat version/m); // sessions reach the upstream server through it (--network none)
    expect(r.stdout).toMatch(/2\.1\.332 \(Claude Code\)/);
    expect(r.stdout).toMatch(/codex-cli 0\.171\.0/);
  }, 15 * 60_000);

  // Each CLI: claims, commits and lands from inside the container; usage from its own events;
  // no key in the swarm folder or the repo, and no container left behind.
  const checks = {
    claude: { key: ANTHROPIC_KEY, usage: (u: Usage) => {
      expect(u.costSource).toBe('agent'); // as root, IS_SANDBOX=1 from the adapter
      expect(u.costUsd!.toFixed(2)).toBe(costOf(Array(4).fill(USAGE[0])).toFixed(2));
      expect(u.costUsd).toBeCloseTo(costOf(Array(4).fill(USAGE[0])), 9);
    } },
    codex: { key: OPENAI_KEY, usage: (u: Usage) => {
      expect(u.costSource).toBe('table');
      expect(u.outputTokens).toBe(4 * USAGE[0]!.output);
    } },
  };
  for (const kind of ['claude', 'codex'] as const) {
    it(`--sandbox docker: the image's ${kind} claims, commits and lands; usage to the cent; no key in the swarm, the repo or a leftover container`, async (ctx) => {
      if (why) return ctx.skip();
      const t = tempDir();
      try {
        makeProject(t.dir);
        const task = `${kind}-in-docker`;
        server.setScript(turns(landTask(task, USAGE)));
        const r = await runReal(t.dir, kind, server, ['--from', 'proj', '--max-sessions', '1', '--sandbox', 'docker', '--docker-host', d!.host, '--image', IMAGE]);
        expect(r.code, r.err.join('\n') + r.out.join('\n')).toBe(0);
        const up = path.join(t.dir, '.swarm/upstream.git');
        expect(git(up, 'log', '-1', '--format=%an|%s|%(trailers:key=Task-Status,valueonly)', 'main'), sessionLogs(t.dir)).toBe(`agent-1|Fix ${task}|done`);
        expect(upstreamLocks(up)).toEqual([]);
        const end = events(t.dir).find((e) => e.type === 'session_end') as unknown as { usage: Usage };
        checks[kind].usage(end.usage);
        expect(filesContaining(t.dir, checks[kind].key)).toEqual([]);
        expect((await d!.run(['ps', '--all', '--quiet'])).stdout.trim()).toBe('');
      } finally {
        t.cleanup();
      }
    }, 15 * 60_000);
  }
});
