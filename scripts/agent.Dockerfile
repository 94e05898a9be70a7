# The image an agent session runs in, for `--sandbox docker` / `--sandbox podman`:
# Node, git, the harness (so `harness task claim` and `test-oracle` work inside), Claude
# Code and Codex CLI. Build it from the repository root with
#     bash scripts/build-image.sh [TAG]          (default tag: swarm-harness-agent:latest)
# The sandbox runs each session as `docker create --rm --init --read-only --user UID:GID
# --entrypoint ARGV0 IMAGE ARGS...` with the workspace, upstream and tests bind-mounted at
# their host paths, so this image needs no ENTRYPOINT, no USER and no project files: only
# the tools. The root is read-only at run time; /tmp and $HOME get private tmpfs mounts.
FROM node:20-bookworm-slim

# The packages: scripts/agent-packages.txt (the same list build-image.sh installs).
COPY scripts/agent-packages.txt /tmp/agent-packages.txt
RUN apt-get update \
 && grep -v '^#' /tmp/agent-packages.txt | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/*

# The agent CLIs. Pin versions with --build-arg for reproducible runs.
ARG CLAUDE_CODE_VERSION=latest
ARG CODEX_VERSION=latest
RUN npm install -g --no-audit --no-fund \
      "@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}" \
      "@openai/codex@${CODEX_VERSION}" \
 && npm cache clean --force

# The harness itself, runnable through tsx (a runtime dependency): no build step.
WORKDIR /opt/harness
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY harness ./harness
COPY test-oracle ./test-oracle
COPY current_tasks ./current_tasks
COPY scripts ./scripts
RUN ln -s /opt/harness/bin/harness.js /usr/local/bin/harness \
 && ln -s /opt/harness/bin/test-oracle.js /usr/local/bin/test-oracle

# Sessions run as the supervisor's uid, which has no passwd entry here: a HOME that exists
# even without the sandbox's tmpfs, and git that trusts mounts owned by another uid.
ENV HOME=/home/agent
RUN mkdir -p /home/agent && chmod 1777 /home/agent \
 && git config --system safe.directory '*'
WORKDIR /
