import type { Argv } from 'yargs';
import { defineCommand, type Io, type Register } from '../../harness/kit/cli-kit.js';
import { UsageError } from '../../harness/kit/errors.js';
import { HISTORY_HEADER, historyLines } from '../core/history.js';
import { checkToolName } from '../suite/config.js';
import { resolveCommit } from '../git/git.js';
import { fetchNotes, recordsAlongHistory } from '../git/notes.js';

interface HistoryArgs {
  limit: number;
  rev: string;
  fetch?: string;
  tool?: string;
}

export function historyCommand(io: Io, setResult: Register) {
  return defineCommand<HistoryArgs>(io, setResult, {
    command: 'history',
    describe: 'pass rate by commit from the recorded runs, newest first, one line each',
    builder: (y: Argv) =>
      y
        .option('limit', { alias: 'n', type: 'number', default: 20, describe: 'at most this many commits' })
        .option('rev', { type: 'string', default: 'HEAD', describe: 'follow the first-parent history of this revision' })
        .option('fetch', { type: 'string', describe: "first fetch and merge this remote's notes (e.g. origin)" })
        .option('tool', { type: 'string', describe: "only runs under this tool ('' for runs with no tool); default: a line per tool" }) as unknown as Argv<HistoryArgs>,
    run: async (a, io) => {
      if (!Number.isInteger(a.limit) || a.limit < 1) throw new UsageError('BAD_LIMIT', `--limit takes a whole number >= 1 (got ${a.limit})`);
      if (!(await resolveCommit(io.cwd, io.env, a.rev))) {
        throw new UsageError('BAD_REV', `${a.rev} does not name a commit here; run inside a clone or pass --rev`);
      }
      if (a.tool !== undefined && a.tool !== '') checkToolName(a.tool, '--tool');
      if (a.fetch) await fetchNotes(io.cwd, a.fetch, { env: io.env });
      // Recorded commits may be sparse; look well past the limit.
      const found = await recordsAlongHistory(io.cwd, io.env, a.rev, Math.max(500, a.limit * 50));
      const lines = found.map((c) => historyLines(c, a.tool)).filter((l) => l.length);
      if (!lines.length) {
        const which = a.tool === undefined ? '' : a.tool === '' ? ' with no tool' : ` under tool ${a.tool}`;
        io.out(`no recorded runs${which} on the history of ${a.rev} (run 'test-oracle run' on a clean commit to record one)`);
        return 0;
      }
      io.out(HISTORY_HEADER);
      for (const l of lines.slice(0, a.limit).flat()) io.out(l);
      return 0;
    },
  });
}
