// One entry point for the supervisor: a sandbox by kind. `docker` and `podman` are one
// implementation driven through two binaries.
import { UsageError } from '../kit/errors.js';
import { bwrapSandbox, type BwrapOptions } from './bwrap.js';
import { dockerSandbox, type DockerOptions } from './docker.js';
import { processSandbox } from './process.js';
import { SANDBOX_KINDS, type Sandbox, type SandboxKind } from './types.js';

export type SandboxOptions = { bwrap?: BwrapOptions } & DockerOptions;

export { SANDBOX_KINDS };

export function sandboxFor(kind: SandboxKind, opts: SandboxOptions = {}): Sandbox {
  switch (kind) {
    case 'process':
      return processSandbox();
    case 'bwrap':
      return bwrapSandbox(opts.bwrap);
    case 'docker':
    case 'podman':
      return dockerSandbox(opts, kind);
    default:
      throw new UsageError('BAD_SANDBOX', `unknown sandbox "${String(kind)}": choose one of ${SANDBOX_KINDS.join(', ')}`);
  }
}

export type { BwrapOptions, DockerOptions };
export type * from './types.js';
