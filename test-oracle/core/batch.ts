// A batch runs many tests in one process (the suite's "batch" command): where starting a
// process costs more than the test itself, a gate over a thousand tests is a thousand
// starts. Its stdout carries, before each test's output, the marker \x1e and the test's
// id as given. Pure: how tests are cut into batches and how a batch's output is read.

export const BATCH_MARK = '\x1e';

/** At most this many tests per batch: a batch that dies costs at most this many reruns. */
export const MAX_BATCH = 256;

/** Cuts `ids` into about one batch per job, none over `max` tests, order kept. */
export function batchesOf(ids: readonly string[], jobs: number, max = MAX_BATCH): string[][] {
  if (ids.length === 0) return [];
  const n = Math.max(Math.ceil(ids.length / max), Math.min(Math.max(1, jobs), ids.length));
  const size = Math.ceil(ids.length / n);
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += size) out.push(ids.slice(i, i + size));
  return out;
}

export interface BatchReading {
  /** each test's stdout, for the tests whose output is known to be whole */
  outputs: Map<string, string>;
  /** why some tests have no trusted output, when some do not: words after "the batch" */
  why?: string;
}

/**
 * Reads a batch's stdout. A marker naming a test not in the batch, or one named twice, means
 * the command does not speak the protocol (or a test printed the marker): nothing of it is
 * trusted. When the batch did not end cleanly, the last test's output may be cut: it is
 * dropped too. Tests left out are run one by one, so every verdict stays the test's own.
 */
export function readBatch(stdout: string, ids: readonly string[], ended: { clean: boolean; how: string }): BatchReading {
  const wanted = new Set(ids);
  const outputs = new Map<string, string>();
  const parts = stdout.split(BATCH_MARK).slice(1);
  for (const part of parts) {
    const nl = part.indexOf('\n');
    const id = nl < 0 ? part : part.slice(0, nl);
    if (!wanted.has(id) || outputs.has(id)) {
      return { outputs: new Map(), why: `named ${JSON.stringify(id.slice(0, 80))} ${wanted.has(id) ? 'twice' : 'in its output, which is not one of its tests'}` };
    }
    outputs.set(id, nl < 0 ? '' : part.slice(nl + 1));
  }
  if (!ended.clean && parts.length > 0) outputs.delete([...outputs.keys()].at(-1)!);
  if (outputs.size === ids.length) return { outputs };
  const missing = ids.length - outputs.size;
  return { outputs, why: ended.clean ? `printed no marker for ${missing} of them` : ended.how };
}
