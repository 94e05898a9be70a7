// Shared by the bisect tests: run `test-oracle` in-process with a captured Io.
import { captureIo } from './helpers/io.js';
import { main } from '../test-oracle/cli.js';

export async function oracle(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const { io, out, err } = captureIo(env, cwd);
  const code = await main(args, io);
  return { code, out, err, text: out.join('\n') };
}

export { tempDir } from './helpers/repos.js';
