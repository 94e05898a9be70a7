// The pre-receive hook the server installs in a folder of its own (core.hooksPath is set
// through the environment of git http-backend, which outranks the repo's config). It asks
// the server's policy over a unix socket (socat, so no interpreter starts per push), then
// runs the repo's own pre-receive hook (the test gate of harness init --gate), if any.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function hookScript(): string {
  // Only sh and socat start (reads, loops and the reply's check are the shell's own): this
  // runs inside every push, while main's race window is open.
  return `#!/bin/sh
# Written by the harness upstream server; rewritten at every start.
nl='
'
input=
while IFS= read -r line || [ -n "$line" ]; do input="$input$line$nl"; done
reply=$( { printf '%s\\n' "$HARNESS_PUSH_ID" "\${GIT_QUARANTINE_PATH:-}" "\${GIT_OBJECT_DIRECTORY:-}" "\${GIT_ALTERNATE_OBJECT_DIRECTORIES:-}"; printf '%s' "$input"; } | socat -t 900 -T 900 - "UNIX-CONNECT:$HARNESS_POLICY_SOCKET" 2>/dev/null)
case "$reply" in
  OK) ;;
  *"\${nl}OK") printf '%s\\n' "\${reply%"\${nl}OK"}" ;;
  '') echo "ERROR the upstream server's policy check did not answer; push again in a moment"; exit 1 ;;
  *) printf '%s\\n' "$reply"; exit 1 ;;
esac
if [ -x hooks/pre-receive ]; then printf '%s' "$input" | hooks/pre-receive; exit $?; fi
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
