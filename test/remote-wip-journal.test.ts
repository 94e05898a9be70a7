// A remote slot (ssh, Slurm) pushes its leftover work from the host it ran on. When that
// push fails the work waits in the remote workspace, which is not reset, and the next
// session there pushes it: pending/ says so meanwhile, and `harness status` shows it.
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { buildStatus } from '../harness/events/status.js';
import { statusLines } from '../harness/events/status-lines.js';
import type { Executor } from '../harness/executors/types.js';
import type { Git } from '../harness/kit/git.js';
import { remoteSlot } from '../harness/swarm/remote-slot.js';
import { PendingJournal, pendingSummary } from '../harness/tasks/journal.js';
import { tempDir } from './helpers/repos.js';

let cleanup = () => {};
afterEach(() => cleanup());

it('a failed remote wip push is owed from its first failure until the host reports the workspace saved', () => {
  const t = tempDir('remote-wip-');
  cleanup = t.cleanup;
  const dir = path.join(t.dir, 'pending');
  const journal = new PendingJournal(dir);
  let now = Date.UTC(2026, 0, 1, 3, 0, 0);
  const owed = { journal, run: 'run-1', now: () => new Date(now) };
  // report() touches neither the executor nor git: only the journal and the event stream.
  const slot = remoteSlot({} as Executor, {} as Git, t.dir, 'agent-3', owed);
  const events: string[] = [];
  const emit = (e: { type: string }) => void events.push(e.type);

  slot.report({ type: 'wip_error', error: 'cannot reach upstream' }, emit);
  now += 60_000;
  slot.report({ type: 'wip_error', error: 'cannot reach upstream again' }, emit); // the next session, still failing
  now += 60_000;
  const s = pendingSummary(dir, now);
  expect(s).toMatchObject({ remoteWips: 1, remoteWipOldestMs: 120_000, count: 0, wips: 0 });
  expect(events).toEqual(['wip_error', 'wip_error']);
  const lines = statusLines(buildStatus({ events: [], facts: { commits: [], claims: [], wipBranches: 0, pass: [] }, budget: { maxCostUsd: null, maxTokens: null }, now, pending: s }), '.swarm');
  expect(lines).toContainEqual(expect.stringMatching(/^wip pushes pending on remote hosts 1 \(oldest 2m\): the work waits in the slot's remote workspace/));

  slot.report({ type: 'wip', session: '4', ref: 'wip/agent-3/4', commit: 'a'.repeat(40), files: 2, unpushed: 1 }, emit);
  slot.report({ type: 'ready', head: 'b'.repeat(40) }, emit);
  expect(pendingSummary(dir, now)).toMatchObject({ remoteWips: 0, remoteWipOldestMs: null });
});
