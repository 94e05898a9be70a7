// A sandbox by kind, until branch `sandbox` lands harness/sandbox/index.ts (sandboxFor).
// The process sandbox is here already; the others are loaded from index.ts when it exists,
// so this file keeps working unchanged after the merge (and can then be replaced by a
// plain `import { sandboxFor } from './index.js'`).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvError } from '../errors.js';
import { processSandbox } from './process.js';
import type { Sandbox, SandboxKind } from './types.js';

export async function selectSandbox(kind: SandboxKind, opts: { image?: string } = {}): Promise<Sandbox> {
  if (kind === 'process') return processSandbox();
  const here = path.dirname(fileURLToPath(import.meta.url));
  const index = ['index.ts', 'index.js'].map((f) => path.join(here, f)).find((f) => existsSync(f));
  if (!index) throw new EnvError('SANDBOX_MISSING', `the ${kind} sandbox is not in this build yet; use --sandbox process, or update the harness`);
  const mod = (await import(index)) as { sandboxFor: (k: SandboxKind, o: object) => Sandbox };
  return mod.sandboxFor(kind, opts.image ? { image: opts.image } : {});
}
