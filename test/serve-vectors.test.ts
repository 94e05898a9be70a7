// The attack of issue 11, planted from inside a real bwrap session and from inside a docker
// container on a private dockerd (the locally built test image): every way a session
// could make the host run its code through git (hooks, core.hooksPath,
// core.alternateRefsCommand, core.fsmonitor, gpg.program with log.showSignature,
// objects/info/alternates), aimed at the bare upstream (which the session must not even
// see) and at its own workspace (which the supervisor runs git in). Each planted program
// would write a marker into a host folder the session cannot see; after the supervisor's
// pushes, `harness status` and `harness report`, there must be no marker.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bwrapSandbox } from '../harness/sandbox/bwrap.js';
import { dockerFixture } from './helpers/docker-image.js';
import { git, tempDir } from './helpers/repos.js';
import { FAST, spawnHarness } from './helpers/swarm.js';
import { makeOracleProject } from './helpers/swarm-work.js';

const noBwrap = await bwrapSandbox().check().then(() => null, (e: Error) => e.message);

/** The hostile session: plants everything, pushes, claims, leaves work behind. One `PLANT name ok|fail` line each. */
function attacker(swarm: string, markers: string): string {
  const up = `${swarm}/upstream.git`;
  const plant = (name: string, cmd: string) => `if ( ${cmd} ) >/dev/null 2>&1; then echo "PLANT ${name} ok"; else echo "PLANT ${name} fail"; fi`;
  // A program that, if the host ever ran it, would leave a marker named after the vector.
  const evil = (name: string) => `${swarm}/agents/$HARNESS_AGENT/workspace/.git/evil-${name}.sh`;
  const mkEvil = (name: string) => `printf '#!/bin/sh\\ntouch ${markers}/${name}\\nexit 0\\n' > ${evil(name)} && chmod +x ${evil(name)}`;
  const names = ['pre-receive', 'post-receive', 'post-update', 'update', 'reference-transaction', 'hooksPath', 'alternateRefsCommand', 'fsmonitor', 'gpg', 'pre-push', 'post-checkout', 'pre-commit', 'post-commit', 'post-merge', 'post-rewrite'];
  return [
    'ws=$(pwd)',
    ...names.map(mkEvil),
    `echo "SEES-UPSTREAM-DIR $(test -e ${up} && echo yes || echo no)"`,
    // the bare repo, at its host path and through git --git-dir
    ...['pre-receive', 'post-receive', 'post-update', 'update', 'reference-transaction'].map((h) => plant(`up-hook-${h}`, `mkdir -p ${up}/hooks && cp ${evil(h)} ${up}/hooks/${h}`)),
    plant('up-hooksPath', `git config --file ${up}/config core.hooksPath ${swarm}/agents/$HARNESS_AGENT/workspace/.git`),
    plant('up-alternateRefsCommand', `git config --file ${up}/config core.alternateRefsCommand ${evil('alternateRefsCommand')}`),
    plant('up-fsmonitor', `git config --file ${up}/config core.fsmonitor ${evil('fsmonitor')}`),
    plant('up-gpg', `git config --file ${up}/config gpg.program ${evil('gpg')} && git config --file ${up}/config log.showSignature true`),
    plant('up-alternates', `mkdir -p ${up}/objects/info && echo $ws/.git/objects > ${up}/objects/info/alternates`),
    plant('up-update-ref', `git --git-dir=${up} update-ref refs/heads/main HEAD`),
    // its own workspace, where the supervisor runs git between sessions
    ...['pre-push', 'post-checkout', 'pre-commit', 'post-commit', 'post-merge', 'post-rewrite', 'reference-transaction', 'update'].map((h) => plant(`ws-hook-${h}`, `cp ${evil(h)} .git/hooks/${h}`)),
    plant('ws-hooksPath', 'git config core.hooksPath $ws/.git/hooks'),
    plant('ws-fsmonitor', `git config core.fsmonitor ${evil('fsmonitor')}`),
    plant('ws-gpg', `git config gpg.program ${evil('gpg')} && git config log.showSignature true && git config commit.gpgSign true`),
    plant('ws-alternateRefsCommand', `git config core.alternateRefsCommand ${evil('alternateRefsCommand')}`),
    plant('ws-alternates', `echo $ws/.git/objects > .git/objects/info/alternates`),
    // a commit with a (fake) signature on main: verifying it runs gpg.program
    plant('push-signed', `tree=$(git write-tree) && c=$(printf 'tree %s\\nparent %s\\nauthor a <a@a> 1700000000 +0000\\ncommitter a <a@a> 1700000000 +0000\\ngpgsig -----BEGIN PGP SIGNATURE-----\\n \\n -----END PGP SIGNATURE-----\\n\\nsigned\\n' "$tree" "$(git rev-parse HEAD)" | git hash-object -t commit -w --stdin) && git -c core.hooksPath=/dev/null push -q origin "$c:main"`),
    // a claim in another agent's name: refused by the server
    plant('forged-claim', `printf 'Agent: agent-9\\n\\nmine now\\n' > current_tasks/forged.txt && git add current_tasks/forged.txt && git -c commit.gpgSign=false -c core.hooksPath=/dev/null commit -qm forged && git -c core.hooksPath=/dev/null push -q origin HEAD:main`),
    'git -c core.hooksPath=/dev/null reset -q --hard origin/main',
    // a real claim the supervisor releases, and work it saves to wip/
    `HARNESS_SESSION=$HARNESS_SESSION harness task claim "held-by-$HARNESS_AGENT-$HARNESS_SESSION" >/dev/null && echo CLAIMED`,
    'echo leftover > leftover.txt',
    'echo SESSION-END',
  ].join('\n');
}

/** The whole attack through `harness run` with these sandbox flags, checked on the host. */
function vectorTests(sandboxArgs: () => string[]) {
  it('the session cannot see the bare repo; nothing it planted ever runs on the host: not at the supervisor\'s pushes, not in status or report', async () => {
    const t = tempDir();
    try {
      makeOracleProject(t.dir);
      const swarm = path.join(t.dir, '.swarm');
      const markers = path.join(t.dir, 'markers');
      mkdirSync(markers);
      const r = await spawnHarness(t.dir, ['run', ...sandboxArgs(), '--agent', 'cmd', '--agent-cmd', attacker(swarm, markers), '--from', 'proj', '--max-sessions', '2', ...FAST]);
      expect(r.exitCode, r.stderr + r.stdout).toBe(0);
      const logDir = path.join(swarm, 'agent_logs/agent-1');
      const logs = readdirSync(logDir).map((f) => readFileSync(path.join(logDir, f), 'utf8')).join('\n');
      expect(logs).toContain('SESSION-END');
      expect(logs).toContain('SEES-UPSTREAM-DIR no');
      const planted = [...logs.matchAll(/^PLANT (\S+) (ok|fail)$/gm)].map((m) => `${m[1]} ${m[2]}`);
      // What it "planted" at the bare repo's path went into its own private /tmp, never the
      // host's repo; git --git-dir on that path finds no repo. Its own workspace's .git it can write.
      expect(planted).toContain('up-update-ref fail');
      for (const p of planted.filter((p) => p.startsWith('ws-'))) expect(p).toMatch(/ ok$/);
      const upHost = path.join(swarm, 'upstream.git');
      expect(readdirSync(path.join(upHost, 'hooks')).filter((f) => !f.endsWith('.sample'))).toEqual([]);
      expect(readFileSync(path.join(upHost, 'config'), 'utf8')).not.toMatch(/hooksPath|alternateRefsCommand|fsmonitor|gpg|showSignature/i);
      expect(existsSync(path.join(upHost, 'objects/info/alternates'))).toBe(false);
      expect(planted).toContain('push-signed ok');
      expect(planted).toContain('forged-claim fail');
      expect(logs).toContain('CLAIMED');
      // The supervisor pushed through the server: the leftover work went to wip/, the claims were released.
      const up = path.join(swarm, 'upstream.git');
      expect(git(up, 'for-each-ref', '--format=%(refname)', 'refs/heads/wip/')).toMatch(/refs\/heads\/wip\/agent-1\/1/);
      expect(git(up, 'ls-tree', '--name-only', 'main', 'current_tasks/')).not.toMatch(/held-by|forged/);
      expect(git(up, 'log', '--format=%(trailers:key=Task-Status,valueonly)', 'main')).toMatch(/abandoned/);
      // status and report read the upstream on the host
      const st = await spawnHarness(t.dir, ['status']);
      expect(st.exitCode, st.stderr).toBe(0);
      const rep = await spawnHarness(t.dir, ['report', '--out', path.join(t.dir, 'r.html')]);
      expect(rep.exitCode, rep.stderr).toBe(0);
      // and git itself on the host, as a person would look
      git(up, 'log', '--show-signature', '-3', 'main');
      expect(readdirSync(markers)).toEqual([]);
    } finally {
      t.cleanup();
    }
  }, 240_000);
}

describe.skipIf(noBwrap !== null)(noBwrap ? `vectors from a bwrap session: SKIPPED, ${noBwrap}` : 'vectors planted from inside a bwrap session', () => {
  vectorTests(() => ['--sandbox', 'bwrap']);
});

const { daemon, image } = await dockerFixture();

describe.skipIf(!daemon.ok)(daemon.ok ? 'vectors planted from inside a docker session (private dockerd)' : `vectors from a docker session: SKIPPED, ${daemon.reason}`, () => {
  const d = daemon.ok ? daemon.dockerd : undefined!;
  vectorTests(() => ['--sandbox', 'docker', '--docker-host', d.host, '--image', image!.image, ...image!.mounts.flatMap((m) => ['--mount', m.path])]);
});
