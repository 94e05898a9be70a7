#!/usr/bin/env bash
# Builds the agent image (scripts/agent.Dockerfile) with docker, or podman when
# HARNESS_CONTAINER=podman. Usage: bash scripts/build-image.sh [TAG] [extra build args...]
#   e.g. bash scripts/build-image.sh swarm-harness-agent:1 --build-arg CLAUDE_CODE_VERSION=2.0.0
# Needs network access to pull node:20-bookworm-slim and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-swarm-harness-agent:latest}"
shift || true
tool="${HARNESS_CONTAINER:-docker}"
command -v "$tool" >/dev/null || { echo "build-image: $tool is not installed: run \`apt-get install ${tool/docker/docker.io}\`" >&2; exit 4; }
exec "$tool" build -f scripts/agent.Dockerfile -t "$tag" "$@" .
