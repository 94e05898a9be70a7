// What the supervisor and a remote session's entrypoint say to each other, over the one
// channel every executor gives (ssh's and srun's stdin/stdout/stderr). Pure: framing,
// the spec's shape and the path rewriting, no I/O.
//
// stdin:  `<N>\n` + N bytes of the entrypoint's code + one JSON line (the RemoteSpec), then
//         the channel stays open: its end means the supervisor is gone or stops the session.
// stdout: the agent's own output (the session log).
// stderr: lines `@harness {json}` (EntryReport), anything else is shown in the log as is.

/** Slot paths on the supervisor are written with this prefix; the entrypoint puts its own slot folder there. */
export const SLOT = '@@HARNESS_SLOT@@';

export type RemoteSandboxKind = 'process' | 'bwrap' | 'docker' | 'podman';
export const REPORT_PREFIX = '@harness ';

export interface RemoteSpec {
  v: 1;
  agent: string;
  session: string;
  run: string;
  /** where the slot's folders live on the remote side; `~/` is the remote user's home */
  base: string;
  /** the upstream as the remote side reaches it */
  upstream: string;
  /** git config for the entrypoint's own fetch and wip push (the session's salvage token); never the agent's */
  gitEnv: Record<string, string>;
  argv: string[];
  env: Record<string, string>;
  secrets: Record<string, string>;
  stdin?: string;
  /** files the session needs that live on the supervisor: path (under SLOT) -> text */
  files: Record<string, string>;
  /** how the agent is isolated where it runs (docker/podman through the remote's own client and daemon) */
  sandbox: RemoteSandboxKind;
  /** `upstream`: the sandbox has no network but relays the entrypoint starts there (the upstream, then `allowHost`) */
  network: 'upstream' | 'host';
  allowHost: { host: string; port: number }[];
  /** the sandbox's name for this session (the container's name; unique per swarm) */
  name: string;
  /** folders of the supervisor's session that the sandbox sees at the same path, where they exist on the remote */
  mounts: { path: string; mode: 'ro' | 'rw' }[];
  limits: { cpus?: number; memoryMb?: number; pids?: number };
  /** docker/podman: the image there, and the daemon (null: the remote's own DOCKER_HOST / CONTAINER_HOST) */
  container?: { image: string; host: string | null };
  timeoutMs: number;
  graceMs: number;
}

export type EntryReport =
  | { type: 'placed'; host: string; job: string | null; workspace: string }
  | { type: 'ready'; head: string }
  | { type: 'wip'; session: string; ref: string; commit: string; files: number; unpushed: number }
  | { type: 'wip_error'; error: string }
  | { type: 'exit'; code: number | null; signal: string | null; timedOut: boolean; stopped: boolean };

/** The short program given on the command line (no secrets): it reads the real entrypoint from stdin and runs it. */
export const BOOTSTRAP = [
  "const fs=require('fs'),os=require('os'),p=require('path');let b=Buffer.alloc(0);",
  "const f=d=>{b=Buffer.concat([b,d]);const i=b.indexOf(10);if(i<0)return;const n=Number(b.subarray(0,i));if(!(n>0)||b.length<i+1+n)return;",
  "process.stdin.off('data',f);process.stdin.pause();const d0=fs.mkdtempSync(p.join(os.tmpdir(),'harness-entry-'));const file=p.join(d0,'entry.mjs');",
  "fs.writeFileSync(file,b.subarray(i+1,i+1+n));globalThis.__harnessEntry={rest:b.subarray(i+1+n),dir:d0};import(file).catch(e=>{console.error(String(e&&e.stack||e));process.exit(70)})};",
  "process.stdin.on('data',f);",
].join('');

export function frame(code: string, spec: RemoteSpec): Buffer {
  const body = Buffer.from(code);
  return Buffer.concat([Buffer.from(`${body.length}\n`), body, Buffer.from(JSON.stringify(spec) + '\n')]);
}

export function parseReport(line: string): EntryReport | null {
  if (!line.startsWith(REPORT_PREFIX)) return null;
  try {
    const r = JSON.parse(line.slice(REPORT_PREFIX.length)) as EntryReport;
    return r && typeof r.type === 'string' ? r : null;
  } catch {
    return null;
  }
}

/** Every occurrence of the supervisor's slot folder becomes SLOT (the remote side puts its own back). */
export function toSlot(s: string, slotDir: string): string {
  return s.split(slotDir).join(SLOT);
}

export function fromSlot(s: string, slotDir: string): string {
  return s.split(SLOT).join(slotDir);
}
