// Pure parts of the run's configuration added for the swarm in earnest: resource limits,
// --until as a clock time, mounts, and when `--until done` is done.
import { describe, expect, it } from 'vitest';
import { resolveConfig, runJson, type RawSettings } from '../harness/swarm/config.js';
import { failingOf, judgeDone } from '../harness/swarm/done.js';
import { parseCpus, parseMemory, parsePids, unappliedLimitsNote } from '../harness/swarm/limits.js';
import { defaultDockerHost, sandboxOptions } from '../harness/swarm/sandbox.js';
import { sessionName } from '../harness/swarm/session.js';
import { nextClockTime, parseUntil } from '../harness/swarm/until.js';

const resolve = (flags: RawSettings, file: RawSettings | null = null) => resolveConfig({ flags, file, cwd: '/p', now: 1_000_000, hasProject: true });

function oneLine(f: () => unknown): Error & { exitCode?: number } {
  try {
    f();
  } catch (e) {
    const err = e as Error & { exitCode?: number };
    expect(err.message.split('\n')).toHaveLength(1);
    expect(err.exitCode).toBe(2);
    return err;
  }
  throw new Error('expected a UsageError');
}

describe('limits', () => {
  it('memory sizes with a unit, in MiB', () => {
    expect(parseMemory('512m', 'x')).toBe(512);
    expect(parseMemory('2g', 'x')).toBe(2048);
    expect(parseMemory('1.5GiB', 'x')).toBe(1536);
    expect(parseMemory('2048MB', 'x')).toBe(2048);
    expect(parseMemory('1t', 'x')).toBe(1024 * 1024);
    expect(parseMemory('65536k', 'x')).toBe(64);
  });
  it.each(['512', '', 'lots', '-1g', '2 gigs', '1m'])('refuses memory %j', (v) => {
    expect(oneLine(() => parseMemory(v, '--memory')).message).toMatch(/^--memory: /);
  });
  it('cpus and pids', () => {
    expect(parseCpus('0.5', 'x')).toBe(0.5);
    expect(parseCpus(2, 'x')).toBe(2);
    expect(parsePids('512', 'x')).toBe(512);
    for (const v of ['0', 'two', '-1', '0.001']) oneLine(() => parseCpus(v, '--cpus'));
    for (const v of ['0', '1.5', 'many', '3']) oneLine(() => parsePids(v, '--pids-limit'));
  });
  it('flags win over the config file; run.json records the limits', () => {
    const c = resolve({ memory: '1g' }, { memory: '4g', cpus: 2, pidsLimit: 256 });
    expect(c.limits).toEqual({ memoryMb: 1024, cpus: 2, pids: 256, nice: 10 });
    expect(resolve({}).limits).toEqual({ nice: 10 });
    expect(resolve({ nice: 0 }).limits).toEqual({});
    expect(resolve({}, { nice: 19 }).limits).toEqual({ nice: 19 });
    const json = JSON.parse(runJson(c, { secretNames: [], startedAt: 'now', pid: 1, host: 'h', upstream: 'u' }));
    expect(json.limits).toEqual({ memoryMb: 1024, cpus: 2, pids: 256, nice: 10 });
  });
  it('errors name the flag or the config key', () => {
    expect(oneLine(() => resolve({ cpus: 'lots' })).message).toMatch(/^--cpus: "lots" is not a number of CPUs/);
    expect(oneLine(() => resolve({}, { memory: 512 })).message).toMatch(/^harness.config.json "memory": 512 is not a memory size; write it with a unit/);
    expect(oneLine(() => resolve({ pidsLimit: '2' })).message).toMatch(/^--pids-limit: /);
    expect(oneLine(() => resolve({ nice: 20 })).message).toMatch(/^--nice: /);
  });
  it('bwrap and process say once that they cannot apply limits; containers say nothing', () => {
    expect(unappliedLimitsNote('bwrap', { memoryMb: 512, pids: 64 })).toMatch(/bwrap sandbox cannot apply --memory, --pids-limit .*docker or podman/);
    expect(unappliedLimitsNote('process', { cpus: 1 })).toMatch(/--cpus/);
    expect(unappliedLimitsNote('bwrap', {})).toBeNull();
    expect(unappliedLimitsNote('docker', { cpus: 1 })).toBeNull();
  });
});

describe('mounts and the daemon', () => {
  it('--mount: read-only unless :rw, relative to the project', () => {
    expect(resolve({ mount: ['/usr', 'tools:rw', '/opt/x:ro'] }).mounts).toEqual([
      { path: '/usr', mode: 'ro' },
      { path: '/p/tools', mode: 'rw' },
      { path: '/opt/x', mode: 'ro' },
    ]);
    expect(resolve({}, { mount: '/etc' }).mounts).toEqual([{ path: '/etc', mode: 'ro' }]);
    oneLine(() => resolve({ mount: [3] }));
  });
  it('--docker-host wins over DOCKER_HOST; podman reads CONTAINER_HOST; process and bwrap none', () => {
    const env = { DOCKER_HOST: 'unix:///d.sock', CONTAINER_HOST: 'unix:///p.sock' };
    expect(sandboxOptions({ sandbox: 'docker', dockerHost: null, image: 'img' }, env)).toEqual({ host: 'unix:///d.sock', image: 'img' });
    expect(sandboxOptions({ sandbox: 'docker', dockerHost: 'tcp://h:2375', image: null }, env)).toEqual({ host: 'tcp://h:2375' });
    expect(defaultDockerHost('podman', env)).toBe('unix:///p.sock');
    expect(defaultDockerHost('bwrap', env)).toBeUndefined();
    expect(defaultDockerHost('docker', {})).toBeUndefined();
  });
  it("container names carry the swarm's tag, so two swarms on one daemon never collide", () => {
    expect(sessionName('agent-3', '17', '1a2b3c4d')).toBe('agent-3-s17-1a2b3c4d');
  });
});

describe('--until', () => {
  const utc = () => 0;
  const at = (iso: string) => Date.parse(iso);
  it('a clock time is its next occurrence: later today, or tomorrow once passed', () => {
    expect(parseUntil('07:30', '--until', at('2026-03-01T05:00:00Z'), utc)).toEqual({ kind: 'time', at: at('2026-03-01T07:30:00Z') });
    expect(parseUntil('07:30', '--until', at('2026-03-01T22:15:00Z'), utc)).toEqual({ kind: 'time', at: at('2026-03-02T07:30:00Z') });
    expect(parseUntil('7:30:15', '--until', at('2026-03-01T07:30:15Z'), utc)).toEqual({ kind: 'time', at: at('2026-03-02T07:30:15Z') });
  });
  it('clock times are local: UTC+2 (offset -120) means 07:30 there is 05:30 UTC', () => {
    expect(nextClockTime(at('2026-03-01T01:00:00Z'), 7.5 * 3600, () => -120)).toBe(at('2026-03-01T05:30:00Z'));
    expect(nextClockTime(at('2026-03-01T23:00:00Z'), 7.5 * 3600, () => 300)).toBe(at('2026-03-02T12:30:00Z')); // UTC-5: 18:00 there, next 07:30 is tomorrow
  });
  it('durations, dates, done, forever', () => {
    expect(parseUntil('8h', 'x', 1000, utc)).toEqual({ kind: 'time', at: 1000 + 8 * 3_600_000 });
    expect(parseUntil('1h30m', 'x', 0, utc)).toEqual({ kind: 'time', at: 5_400_000 });
    expect(parseUntil('2026-01-05T09:00:00Z', 'x', 0, utc)).toEqual({ kind: 'time', at: at('2026-01-05T09:00:00Z') });
    expect(parseUntil('done', 'x', 0)).toEqual({ kind: 'done' });
    expect(parseUntil('forever', 'x', 0)).toEqual({ kind: 'forever' });
  });
  it.each(['24:00', '7:60', 'tomorrow', '', '8x'])('refuses %j in one line', (v) => {
    expect(oneLine(() => parseUntil(v, '--until', 0)).message).toMatch(/^--until: .* is not done, forever, a duration \(8h\), a clock time \(07:30\)/);
  });
});

describe('--until done outside the demo', () => {
  const H = 'h'.repeat(40);
  const full = (failing: string[], tests = 3) => ({ tests, failing });
  const latest = (failing: string[], commit = H, tests = 3) => ({ commit, tests, failing, tools: [''] });
  it('done: no claims on main and a full run at the head with no failing test', () => {
    expect(judgeDone({ head: H, claimed: [], full: full([]), latest: latest([]) })).toEqual({ done: true });
  });
  it('not done: a claim, a failing test, or no results at all', () => {
    expect(judgeDone({ head: H, claimed: ['fix-x'], full: full([]), latest: latest([]) })).toEqual({ done: false, why: 'claimed' });
    expect(judgeDone({ head: H, claimed: [], full: full(['t/a.c']), latest: latest(['t/a.c']) })).toEqual({ done: false, why: 'failing' });
    expect(judgeDone({ head: H, claimed: [], full: null, latest: null })).toEqual({ done: false, why: 'no-results' });
    expect(judgeDone({ head: H, claimed: [], full: null, latest: latest([], H, 0) })).toEqual({ done: false, why: 'no-results' });
  });
  it('a passing sample or filtered run never ends a swarm: without a full run at the head it is unverified', () => {
    expect(judgeDone({ head: H, claimed: [], full: null, latest: latest([]) })).toEqual({ done: false, why: 'unverified' });
    // a full run of an older commit says nothing of the head either
    expect(judgeDone({ head: H, claimed: [], full: null, latest: latest([], 'o'.repeat(40)) })).toEqual({ done: false, why: 'unverified' });
    // a failing sample at the head is proof enough; an older commit's failures are not
    expect(judgeDone({ head: H, claimed: [], full: null, latest: latest(['t/b.c']) })).toEqual({ done: false, why: 'failing' });
    expect(judgeDone({ head: H, claimed: [], full: null, latest: latest(['t/b.c'], 'o'.repeat(40)) })).toEqual({ done: false, why: 'unverified' });
  });
  it('runs under different tools are judged each on its own (a later pass under one tool hides no failure under another)', () => {
    const rec = (at: string, tool: string | undefined, tests: [string, 'pass' | 'fail'][]) => ({ at, v: 1 as const, commit: H, seed: 's', pct: 100, mode: 'full' as const, ...(tool ? { tool } : {}), total: tests.length, selected: tests.length, counts: { pass: 0, fail: 0, error: 0, timeout: 0, crash: 0, skip: 0 } as never, tests: tests.map(([id, r]) => [id, r, 1] as [string, 'pass' | 'fail', number]) });
    expect(failingOf([rec('1', 'mycc', [['a', 'fail']]), rec('2', 'gcc', [['a', 'pass']])])).toEqual({ tests: 2, failing: ['a'] });
    expect(failingOf([rec('1', undefined, [['a', 'fail']]), rec('2', undefined, [['a', 'pass']])])).toEqual({ tests: 1, failing: [] });
  });
});
