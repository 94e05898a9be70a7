// The run's sandbox, from its configuration: one static call to sandboxFor, with the
// container daemon and image the run was given.
import { sandboxFor, type SandboxOptions } from '../sandbox/index.js';
import type { Sandbox, SandboxKind } from '../sandbox/types.js';
import type { RunConfig } from './config.js';

/** The daemon a container sandbox talks to when --docker-host is not given: the client's own variable. */
export function defaultDockerHost(kind: SandboxKind, env: NodeJS.ProcessEnv): string | undefined {
  const v = kind === 'podman' ? env.CONTAINER_HOST : kind === 'docker' ? env.DOCKER_HOST : undefined;
  return v || undefined;
}

export function dockerHostOf(c: Pick<RunConfig, 'sandbox' | 'dockerHost'>, env: NodeJS.ProcessEnv): string | undefined {
  return c.dockerHost ?? defaultDockerHost(c.sandbox, env);
}

export function sandboxOptions(c: Pick<RunConfig, 'sandbox' | 'dockerHost' | 'image'>, env: NodeJS.ProcessEnv): SandboxOptions {
  const host = dockerHostOf(c, env);
  return { ...(host ? { host } : {}), ...(c.image ? { image: c.image } : {}) };
}

export function runSandbox(c: Pick<RunConfig, 'sandbox' | 'dockerHost' | 'image'>, env: NodeJS.ProcessEnv): Sandbox {
  return sandboxFor(c.sandbox, sandboxOptions(c, env));
}
