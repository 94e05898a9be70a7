// The pre-receive hook the server installs in a folder of its own (core.hooksPath is set
// through the environment of git http-backend, which outranks the repo's config). It asks
// the server's policy over a unix socket (socat, so no interpreter starts per push), then
// runs the repo's own pre-receive hook (the test gate of harness init --gate), if any.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function hookScript(): string {
  return `#!/bin/sh
# Written by the harness upstream server; rewritten at every start.
input=$(cat)
reply=$(printf '%s\\n%s\\n%s\\n%s\\n%s\\n' "$HARNESS_PUSH_ID" "\${GIT_QUARANTINE_PATH:-}" "\${GIT_OBJECT_DIRECTORY:-}" "\${GIT_ALTERNATE_OBJECT_DIRECTORIES:-}" "$input" | socat -t 900 -T 900 - "UNIX-CONNECT:$HARNESS_POLICY_SOCKET" 2>/dev/null)
last=$(printf '%s\\n' "$reply" | tail -n 1)
if [ "$last" != OK ]; then
  if [ -n "$reply" ]; then printf '%s\\n' "$reply"; else echo "ERROR the upstream server's policy check did not answer; push again in a moment"; fi
  exit 1
fi
printf '%s\\n' "$reply" | sed '$d'
if [ -x hooks/pre-receive ]; then printf '%s\\n' "$input" | hooks/pre-receive; exit $?; fi
exit 0
`;
}

export function writeHooks(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'pre-receive');
  writeFileSync(file, hookScript(), { mode: 0o755 });
  chmodSync(file, 0o755);
  return dir;
}
