// Which folder a command acts in: the one typed in for `npm run harness`, its own otherwise
// (npm's variables reach every process below `npm test` or `npm run`).
import { describe, expect, it } from 'vitest';
import { invocationCwd } from '../harness/kit/cli-kit.js';
import { PACKAGE_ROOT } from '../harness/kit/paths.js';

describe('invocationCwd', () => {
  it('npm run harness / test-oracle from the package folder: where the user typed it', () => {
    expect(invocationCwd({ npm_lifecycle_event: 'harness', INIT_CWD: '/home/me/proj' }, PACKAGE_ROOT)).toBe('/home/me/proj');
    expect(invocationCwd({ npm_lifecycle_event: 'test-oracle', INIT_CWD: '/home/me/proj' }, PACKAGE_ROOT)).toBe('/home/me/proj');
  });
  it('a child of npm test, or a process elsewhere, keeps its own folder', () => {
    expect(invocationCwd({ npm_lifecycle_event: 'test', INIT_CWD: '/x' }, PACKAGE_ROOT)).toBe(PACKAGE_ROOT);
    expect(invocationCwd({ npm_lifecycle_event: 'harness', INIT_CWD: '/x' }, '/tmp/upstream.git')).toBe('/tmp/upstream.git');
    expect(invocationCwd({}, '/a')).toBe('/a');
  });
});
