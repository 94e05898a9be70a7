import type { Argv } from 'yargs';
import { defineCommand, type Io, type Register } from '../../harness/kit/cli-kit.js';
import { syncNotes } from '../git/notes.js';

export function notesSyncCommand(io: Io, setResult: Register) {
  return defineCommand<{ remote: string }>(io, setResult, {
    command: 'notes-sync',
    describe: "share recorded results: fetch the remote's notes, merge (keeping every run), push",
    builder: (y: Argv) =>
      y.option('remote', { type: 'string', default: 'origin', describe: 'remote to sync refs/notes/test-oracle with' }) as unknown as Argv<{ remote: string }>,
    run: async (a, io) => {
      const r = await syncNotes(io.cwd, a.remote, { env: io.env });
      io.out(r.pushed ? `notes synced with ${a.remote}${r.attempts > 1 ? ` (after ${r.attempts} tries)` : ''}` : 'no recorded results to share yet');
      return 0;
    },
  });
}
