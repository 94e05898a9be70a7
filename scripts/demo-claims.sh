#!/usr/bin/env bash
# A two-minute tour of the lock protocol on a throwaway swarm: eight agents race for the
# same task, exactly one wins; a hand-written prose lock is listed; work lands with done.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
harness() { node "$here/bin/harness.js" "$@"; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/harness-demo-XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
export GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@example.invalid GIT_COMMITTER_NAME=demo GIT_COMMITTER_EMAIL=demo@example.invalid

echo "== harness init (in $dir)"
harness init
for i in 1 2 3 4 5 6 7 8; do git clone -q .swarm/upstream.git "agent-$i"; done

echo "== eight agents claim fix-parser-crash at once"
for i in 1 2 3 4 5 6 7 8; do
  (cd "agent-$i"; rc=0; HARNESS_AGENT="agent-$i" harness task claim fix-parser-crash --note "crash on empty switch" >"../out-$i" 2>&1 || rc=$?; echo "exit $rc" >>"../out-$i") &
done
wait
for i in 1 2 3 4 5 6 7 8; do printf '   agent-%s: %s  %s\n' "$i" "$(tail -1 "out-$i")" "$(head -1 "out-$i" | sed 's/ \[TASK_HELD\]//; s/^harness: //')"; done

echo "== agent-9 writes a lock by hand with plain git, as agents often do"
git clone -q .swarm/upstream.git agent-9
(cd agent-9 && echo "Rewriting the register allocator. Ask before touching regalloc.c." > current_tasks/regalloc.txt \
  && git add . && git commit -qm "Lock regalloc" && git push -q)

echo "== harness task list"
(cd agent-1 && harness task list)

winner=$(grep -l "exit 0" out-* | head -1 | sed 's/out-//')
echo "== agent-$winner finishes: work and lock removal in one commit"
(cd "agent-$winner" && git pull -q --rebase && echo 'int parse_switch(void) { return 0; }' > parser.c && git add parser.c \
  && HARNESS_AGENT="agent-$winner" harness task done fix-parser-crash -m "Fix parser crash on empty switch" \
  && git log --format='   %h %s  [%(trailers:key=Task-Status,valueonly,separator=)]' -4)
echo "== demo done (the swarm folder is removed on exit)"
