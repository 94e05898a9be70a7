// The pre-receive hook the server installs in a folder of its own (core.hooksPath is set
// through the environment of receive-pack, which outranks the repo's config). It asks the
// server's policy over the server's loopback policy port, then runs the repo's own
// pre-receive hook (the test gate of harness init --gate), if any.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function hookScript(): string {
  // One program starts: bash, whose /dev/tcp speaks to the policy port itself (sh had to
  // start socat for its unix socket). Reads, loops and the reply's check are bash's own:
  // this runs inside every push, while main's race window is open. The request ends with an
  // empty line (bash cannot half-close a socket); the server closes after its answer.
  return `#!/bin/bash
# Written by the harness upstream server; rewritten at every start.
nl=$'\\n'
input=
while IFS= read -r line || [ -n "$line" ]; do input+="$line$nl"; done
reply=
if { exec 3<>"/dev/tcp/127.0.0.1/$HARNESS_POLICY_PORT"; } 2>/dev/null; then
  printf '%s\\n' "$HARNESS_PUSH_ID" "\${GIT_QUARANTINE_PATH:-}" "\${GIT_OBJECT_DIRECTORY:-}" "\${GIT_ALTERNATE_OBJECT_DIRECTORIES:-}" >&3
  printf '%s\\n' "$input" >&3
  while IFS= read -r -t 900 line <&3 || [ -n "$line" ]; do reply+="$line$nl"; line=; done
  exec 3<&-
fi
reply=\${reply%"$nl"}
case "$reply" in
  OK) ;;
  *"\${nl}OK") printf '%s\\n' "\${reply%"\${nl}OK"}" ;;
  '') echo "ERROR the upstream server's policy check did not answer; push again in a moment"; exit 1 ;;
  *) printf '%s\\n' "$reply"; exit 1 ;;
esac
# The gate lands a push it replayed itself, and asks first whether this server still runs
# (a supervisor killed with -9 leaves receive-pack and its hooks running): its port answers.
land_if="bash -c 'exec 3<>/dev/tcp/127.0.0.1/$HARNESS_POLICY_PORT'"
if [ -x hooks/pre-receive ]; then printf '%s' "$input" | TEST_ORACLE_LAND_IF=$land_if hooks/pre-receive; exit $?; fi
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
