// Read-only views of a local bare upstream, in-process with isomorphic-git: listing
// current_tasks/ this way needs no clone, no fetch and no git process per call.
import fs from 'node:fs';
import git from 'isomorphic-git';

export interface ViewFile {
  name: string;
  data: Uint8Array;
}

export async function resolveBranch(gitdir: string, branch: string): Promise<string | null> {
  try {
    return await git.resolveRef({ fs, gitdir, ref: `refs/heads/${branch}` });
  } catch {
    return null;
  }
}

/** The blobs directly inside `dir` at `commit`, or [] if there is no such folder. */
export async function readDirBlobs(gitdir: string, commit: string, dir: string): Promise<ViewFile[]> {
  let tree;
  try {
    tree = await git.readTree({ fs, gitdir, oid: commit, filepath: dir });
  } catch (e) {
    if ((e as { code?: string }).code === 'NotFoundError') return [];
    throw e;
  }
  const blobs = tree.tree.filter((e) => e.type === 'blob');
  return Promise.all(
    blobs.map(async (e) => ({ name: e.path, data: (await git.readBlob({ fs, gitdir, oid: e.oid })).blob })),
  );
}
