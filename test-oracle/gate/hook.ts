// The upstream's pre-receive hook: run the gate on each pushed branch tip and reject a
// push that makes a passing test fail, with one ERROR line the pusher sees as
// `remote: ERROR ...`. A gate slower than its limit is killed and the push goes through
// with a WARNING: a slow or hung gate must never stall every agent's pushes. A gate that
// cannot run at all (missing command, environment) also lets pushes through, loudly.
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../harness/kit/errors.js';
import { shq } from '../core/shell.js';

export interface GateHookOptions {
  /** seconds a gate may take per pushed ref before the push is let through (default 300) */
  timeoutSec?: number;
  /** ref globs to gate (default ['refs/heads/main']); wip/ branches must never be refused */
  refs?: string[];
  /** pushes that change only paths under these prefixes skip the gate (default ['current_tasks/']) */
  skipPaths?: string[];
  /** replace a pre-receive hook that test-oracle did not write */
  force?: boolean;
}

export const HOOK_MARKER = '# test-oracle gate hook';

/**
 * Writes `hooks/pre-receive` into the bare repo `bareRepoDir`. `cmd` runs through `sh -c`
 * in a checkout of the pushed commit, with GIT_DIR pointing at the bare repo and
 * TEST_ORACLE_COMMIT, TEST_ORACLE_BASELINE (the ref's old value), TEST_ORACLE_REF,
 * TEST_ORACLE_SKIP_PATHS (what the gate never looks at) and TEST_ORACLE_HOOK=1 set, e.g.
 * `node /path/bin/test-oracle.js gate --fast=20`.
 * Exit 1 or 2 from `cmd` rejects the push; running past the limit, or any other exit
 * (126/127: cannot run; 4: environment), accepts it with a WARNING. Returns the hook path.
 */
export function installGateHook(bareRepoDir: string, cmd: string, opts: GateHookOptions = {}): string {
  if (!existsSync(join(bareRepoDir, 'objects')) || !existsSync(join(bareRepoDir, 'HEAD'))) {
    throw new UsageError('NOT_BARE_REPO', `${bareRepoDir} is not a bare git repository; give the upstream's .git folder`);
  }
  if (!cmd.trim()) throw new UsageError('BAD_GATE_CMD', 'the gate command is empty; give e.g. "npx test-oracle gate --fast=20"');
  const limit = opts.timeoutSec ?? 300;
  if (!Number.isFinite(limit) || limit <= 0) throw new UsageError('BAD_GATE_TIMEOUT', `the gate time limit must be seconds > 0 (got ${limit})`);
  const hook = join(bareRepoDir, 'hooks', 'pre-receive');
  if (existsSync(hook) && !opts.force && !readFileSync(hook, 'utf8').includes(HOOK_MARKER)) {
    throw new UsageError('HOOK_EXISTS', `${hook} exists and was not written by test-oracle; move it away or pass force`);
  }
  writeFileSync(hook, hookScript(cmd, Math.ceil(limit), opts.refs ?? ['refs/heads/main'], opts.skipPaths ?? ['current_tasks/']));
  chmodSync(hook, statSync(hook).mode | 0o755);
  return hook;
}

export function hookScript(cmd: string, limit: number, refs: string[], skipPaths: string[]): string {
  return `#!/bin/sh
${HOOK_MARKER}: rejects a push that makes a passing test fail.
# Written by installGateHook(); reinstall rather than edit.
gate_cmd=${shq(cmd)}
limit=${limit}
refs=${shq(refs.join(' '))}
skip_paths=${shq(skipPaths.join(' '))}
zero=0000000000000000000000000000000000000000
repo=$(cd "\${GIT_DIR:-.}" && pwd)

# Runs "$@" for at most $limit seconds. coreutils timeout signals the whole process group.
limited() {
  if command -v timeout >/dev/null 2>&1; then
    timeout -k 5 "$limit" "$@"
    return $?
  fi
  "$@" &
  pid=$!
  ( sleep "$limit"; kill -TERM "$pid" 2>/dev/null; sleep 5; kill -KILL "$pid" 2>/dev/null ) &
  dog=$!
  wait "$pid"
  rc=$?
  kill "$dog" 2>/dev/null
  return $rc
}

# One gate at a time per repository, and the queue stays closed until the accepted push has
# moved the ref (or 5 s). A push whose base moved while it waited is replayed onto the new
# tip (replay, below) rather than refused: its pusher would only come back with the same
# commits rebased, to wait again. Lock-file pushes run no gate but take their turn too, for
# the few milliseconds until their ref moves: a claim that landed in the middle of a gate
# made the gated push lose its ref update after a whole gate (a third of all gate runs in
# the endurance bench). Should one still lose (a move made without a push), it comes back
# with the same content, which the gate answers from the results it keeps per content
# (TEST_ORACLE_SKIP_PATHS) without running the suite. Without flock: no queue.
locked=
held_ref=
held_old=
serialize() {
  [ -n "$locked" ] && return 0
  command -v flock >/dev/null 2>&1 || return 0
  # Bounded: a holder that never lets go (it should not happen) costs one limit, not the upstream.
  exec 9>"$repo/test-oracle-gate.lock" && flock -w $((limit + 60)) 9 && locked=1
}
# The gates' checkout, kept between gates while they queue (one at a time): only the files
# that differ from the last gate's commit are written, not the whole tree. What the last gate
# changed in it (the baseline's expected outputs and suite config) is dropped from the index
# first, so it is written again (its blobs may have gone with a refused push's quarantine),
# and what it left is removed, but for the oracle's logs (creating a log per test is the
# slow part). An index lock found here is a killed gate's (this gate holds the queue): left,
# it would send every later gate to the slow fresh checkout.
kept_tree="$repo/test-oracle-gate.tree"
kept_index="$repo/test-oracle-gate.index"
sync_kept() {
  [ -n "$locked" ] || return 1
  # no mkdir -p: a repository moved away meanwhile must not be recreated
  ( { [ -d "$kept_tree" ] || mkdir "$kept_tree"; } && cd "$kept_tree" &&
    GIT_DIR=$repo GIT_INDEX_FILE="$kept_index" GIT_WORK_TREE="$kept_tree" && export GIT_DIR GIT_INDEX_FILE GIT_WORK_TREE &&
    rm -f "$kept_index.lock" &&
    { [ ! -f "$kept_index" ] || git diff-files --name-only -z | xargs -0r sh -c 'git update-index --force-remove -- "$@" && rm -f -- "$@"' sh; } &&
    git read-tree --reset -u "$1" &&
    git clean -ffdxq -e /.test-oracle/
  ) >/dev/null 2>&1 && return 0
  rm -rf "$kept_tree" "$kept_index" "$kept_index.lock"
  return 1
}
hold_until_moved() {
  [ -n "$locked" ] || return 0
  ( i=0
    while [ "$(git rev-parse -q --verify "$1" 2>/dev/null)" = "$2" ] && [ "$i" -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
  ) >/dev/null 2>&1 </dev/null &
}

# Replays the pushed commits ($1..$2, a line of at most 20 plain commits on $1, an ancestor
# of $3) onto $3: new commits with the same authors, committers, messages and changes,
# written with every object they need into the repository's own store, since this push is
# then refused (it lands as other commits) and a refused push's quarantine is deleted.
# Prints the new tip; fails on a conflict or anything but such a line (those go back to
# their pusher as stale). Git 2.39's merge-tree takes no merge base: each commit is merged
# with the last replayed one on their common base $1, which is exact for a line of commits
# that applies cleanly (the changes before it are on both sides). New objects go to the
# store named relative to the repository (the hook's folder), the pushed ones are read from
# the quarantine: a repository moved away meanwhile must not come back as a ghost, made by
# git creating the folders of an absolute path to write an object.
replay() (
  GIT_ALTERNATE_OBJECT_DIRECTORIES=\${GIT_QUARANTINE_PATH:-} GIT_OBJECT_DIRECTORY=\${GIT_DIR:-.}/objects
  export GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_OBJECT_DIRECTORY
  unset GIT_QUARANTINE_PATH
  git merge-base --is-ancestor "$1" "$3" && chain=$(git rev-list --reverse --parents "$1..$2") || exit 1
  tip=$3 prev=$1 n=0
  while read -r c p more; do
    [ "$p" = "$prev" ] && [ -z "$more" ] && [ "$n" -lt 20 ] || exit 1
    merged=$(git merge-tree --write-tree --no-messages "$tip" "$c" 2>/dev/null </dev/null) && raw=$(git cat-file commit "$c" </dev/null) || exit 1
    # A change main already has (two identical prose-only locks, say) would land as nothing
    # while its pusher took it for its own: that is a lost race, not a landing.
    trees=$(git rev-parse "$tip^{tree}" "$c^{tree}" "$p^{tree}" </dev/null) || exit 1
    tip_tree=\${trees%%"$nl"*} rest=\${trees#*"$nl"}
    [ "$merged" != "$tip_tree" ] || [ "\${rest%%"$nl"*}" = "\${rest#*"$nl"}" ] || exit 1
    head=\${raw%%"$nl$nl"*} author= committer=
    while IFS= read -r line; do
      case "$line" in author\\ *) author=\${line#author } ;; committer\\ *) committer=\${line#committer } ;; esac
    done <<HEAD
$head
HEAD
    [ -n "$author" ] && [ -n "$committer" ] || exit 1
    amail=\${author##*<} cmail=\${committer##*<}
    tip=$(printf '%s\\n' "\${raw#*"$nl$nl"}" | GIT_AUTHOR_NAME=\${author% <*} GIT_AUTHOR_EMAIL=\${amail%%>*} GIT_AUTHOR_DATE=\${author##*> } \\
      GIT_COMMITTER_NAME=\${committer% <*} GIT_COMMITTER_EMAIL=\${cmail%%>*} git commit-tree "$merged" -p "$tip") || exit 1
    prev=$c n=$((n + 1))
  done <<CHAIN
$chain
CHAIN
  [ "$prev" = "$2" ] || exit 1
  # what the replayed commits take from the push, out of the quarantine
  printf '%s\\n^%s\\n' "$tip" "$3" | git pack-objects --revs --stdout -q | GIT_ALTERNATE_OBJECT_DIRECTORIES= git unpack-objects -q || exit 1
  echo "$tip"
)
# Whether the server that runs receive-pack still runs, when it named a check for that
# (TEST_ORACLE_LAND_IF, run by sh): a server killed with -9 leaves receive-pack and this
# hook running, and a push landed then is one nobody hears of (a claim of a session that
# the next supervisor already cleaned up after).
server_up() {
  [ -z "\${TEST_ORACLE_LAND_IF:-}" ] || sh -c "$TEST_ORACLE_LAND_IF" >/dev/null 2>&1 </dev/null
}
# A replayed push lands by this hook's own compare-and-swap of the ref (outside the
# quarantine, where git forbids it), and the push itself is refused. Pushers read the
# LANDED line: "LANDED <commit> on <ref>: ...".
land_replayed() {
  # Only while its pusher still waits for the answer: receive-pack is stopped when its client
  # goes away (a session killed mid-push), and its hooks live on. Writing to receive-pack is
  # the test: with nobody reading, the write fails (or SIGPIPE ends this hook), and nothing lands.
  status=1
  server_up && echo "replayed onto $(git rev-parse --short "$old") and passed: landing it" || return 0
  if ( unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
       git update-ref -m "test-oracle gate: push of $replayed replayed onto $old" "$ref" "$new" "$old" ) >/dev/null 2>&1; then
    echo "LANDED $new on $ref: it moved while this push waited, so your push of $replayed was replayed onto it (no conflict) and landed as $new; fetch and reset to it (your commits are not on $ref as themselves)"
  else
    echo "$ref moved while this push waited (stale info): fetch, rebase and push again"
  fi
}

# Runs the gate on $new against $old; fails when it refuses the push (its lines said).
gate_one() {
  work=$(mktemp -d "\${TMPDIR:-/tmp}/test-oracle-gate.XXXXXX") || { echo "WARNING test gate skipped for $short: no temp folder"; return 0; }
  tree=$kept_tree
  if ! sync_kept "$new"; then
    tree=$work/tree
    mkdir "$tree"
    if ! git archive --format=tar "$new" | tar -xf - -C "$tree"; then
      echo "WARNING test gate skipped for $short: could not check it out"
      rm -rf "$work"
      return 0
    fi
  fi
  started=$(date +%s)
  ( cd "$tree" &&
    GIT_DIR="$repo" TEST_ORACLE_COMMIT="$new" TEST_ORACLE_BASELINE="$old" TEST_ORACLE_REF="$ref" TEST_ORACLE_HOOK=1 TEST_ORACLE_SKIP_PATHS="$skip_paths" &&
    export GIT_DIR TEST_ORACLE_COMMIT TEST_ORACLE_BASELINE TEST_ORACLE_REF TEST_ORACLE_HOOK TEST_ORACLE_SKIP_PATHS &&
    limited sh -c "$gate_cmd" 9>&- ) >"$work/out" 2>&1 </dev/null
  rc=$?
  took=$(( $(date +%s) - started ))
  verdict=0
  if [ "$rc" -eq 0 ]; then
    :
  elif [ "$took" -ge "$limit" ] || [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "WARNING test gate for $ref at $short passed its \${limit}s limit and was stopped; push accepted untested (make the gate faster, e.g. --fast, or raise its limit)"
  elif [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ]; then
    line=$(grep -m 1 '^ERROR' "$work/out")
    [ -n "$line" ] || line="ERROR test gate rejected $short on $ref (exit $rc): $(grep -v '^ *$' "$work/out" | tail -n 1)"
    echo "$line"
    grep '^  ' "$work/out" | head -n 10
    echo "push rejected by the test gate: fix the regression (or revert it), then push again"
    verdict=1
  else
    echo "WARNING test gate could not run for $short (exit $rc): $(grep -v '^ *$' "$work/out" | tail -n 1); push accepted untested"
  fi
  rm -rf "$work"
  return $verdict
}

nl='
'
input=
commands=0
while IFS= read -r line; do
  [ -n "$line" ] || continue
  input=$input$line$nl
  commands=$((commands + 1))
done
status=0
while read -r old new ref; do
  gated=
  for pattern in $refs; do
    case "$ref" in $pattern) gated=1 ;; esac
  done
  [ -n "$gated" ] || continue
  [ "$new" = "$zero" ] && continue
  [ "$old" = "$zero" ] && continue
  short=$(git rev-parse --short "$new")
  if [ -n "$skip_paths" ]; then
    other=$(git diff --name-only "$old" "$new" | while read -r f; do
      keep=1
      for p in $skip_paths; do case "$f" in "$p"*) keep= ;; esac; done
      [ -n "$keep" ] && echo "$f"
    done | head -n 1)
  fi
  serialize
  now=$(git rev-parse -q --verify "$ref")
  replayed=
  if [ -n "$now" ] && [ "$now" != "$old" ]; then
    # Main moved while this push waited. Sent back, its pusher would fetch, rebase and push
    # into the same queue, to lose again to whoever landed meanwhile (four times a landed
    # task in the endurance bench). Commits that apply cleanly are replayed here instead,
    # and the gate judges what would land.
    if [ "$commands" -eq 1 ] && made=$(replay "$old" "$new" "$now"); then
      replayed=$new old=$now new=$made
      short=$(git rev-parse --short "$new")
    else
      echo "$ref moved to $(git rev-parse --short "$now") while this push waited (stale info): fetch, rebase and push again"
      status=1
      continue
    fi
  fi
  [ -n "$replayed" ] || { held_ref=$ref; held_old=$old; }
  # Lock-file-only pushes (claims, releases) change no code: no gate.
  if [ -z "$skip_paths" ] || [ -n "$other" ]; then
    gate_one || { status=1; continue; }
  fi
  [ -n "$replayed" ] && land_replayed
done <<EOF
$input
EOF
# Accepted: keep the queue closed until receive-pack has moved the ref, after this exits.
if [ "$status" -eq 0 ] && [ -n "$held_ref" ] && ! server_up; then
  echo "ERROR the upstream's server stopped while this push waited; push again once it is back"
  status=1
fi
[ "$status" -eq 0 ] && [ -n "$held_ref" ] && hold_until_moved "$held_ref" "$held_old"
exit $status
`;
}
