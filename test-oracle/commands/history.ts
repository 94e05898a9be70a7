import type { Argv } from 'yargs';
import { defineCommand, type Io, type Register } from '../../harness/cli-kit.js';
import { UsageError } from '../../harness/errors.js';
import { historyLine } from '../core/history.js';
import { resolveCommit } from '../git/git.js';
import { fetchNotes, recordsAlongHistory } from '../git/notes.js';

interface HistoryArgs {
  limit: number;
  rev: string;
  fetch?: string;
}

export function historyCommand(io: Io, setResult: Register) {
  return defineCommand<HistoryArgs>(io, setResult, {
    command: 'history',
    describe: 'pass rate by commit from the recorded runs, newest first, one line each',
    builder: (y: Argv) =>
      y
        .option('limit', { alias: 'n', type: 'number', default: 20, describe: 'at most this many commits' })
        .option('rev', { type: 'string', default: 'HEAD', describe: 'follow the first-parent history of this revision' })
        .option('fetch', { type: 'string', describe: "first fetch and merge this remote's notes (e.g. origin)" }) as unknown as Argv<HistoryArgs>,
    run: async (a, io) => {
      if (!Number.isInteger(a.limit) || a.limit < 1) throw new UsageError('BAD_LIMIT', `--limit takes a whole number >= 1 (got ${a.limit})`);
      if (!(await resolveCommit(io.cwd, io.env, a.rev))) {
        throw new UsageError('BAD_REV', `${a.rev} does not name a commit here; run inside a clone or pass --rev`);
      }
      if (a.fetch) await fetchNotes(io.cwd, a.fetch, { env: io.env });
      // Recorded commits may be sparse; look well past the limit.
      const found = await recordsAlongHistory(io.cwd, io.env, a.rev, Math.max(500, a.limit * 50));
      if (!found.length) {
        io.out(`no recorded runs on the history of ${a.rev} (run 'test-oracle run' on a clean commit to record one)`);
        return 0;
      }
      io.out('commit  date         pass      tests  run                      subject');
      for (const c of found.slice(0, a.limit)) io.out(historyLine(c));
      return 0;
    },
  });
}
