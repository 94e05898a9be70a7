// The advertisement of a push and a fetch's ls-refs, answered by the server from the repo's
// files: each must be git's own answer byte for byte, and git must keep answering where it
// would differ.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PushAdvert, pushAdvertisement, refsAnswerable } from '../harness/serve/adverts.js';
import { Git } from '../harness/kit/git.js';
import { listRefs } from '../harness/git/refs.js';
import { LsRefs, lsRefsAnswer } from '../harness/serve/ls-refs.js';
import { pktLine } from '../harness/git/pkt.js';
import type { GitCall } from '../harness/serve/smart-http.js';
import { git, gitEnv, tempDir } from './helpers/repos.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/** What git http-backend sends for GET info/refs?service=git-receive-pack. */
function gitsAnswer(repo: string): Buffer {
  const refs = execFileSync('git', ['receive-pack', '--stateless-rpc', '--advertise-refs', '.'], { cwd: repo, env: gitEnv() });
  return Buffer.concat([Buffer.from('001f# service=git-receive-pack\n0000'), refs]);
}

/** A bare repo with packed refs, loose refs that override packed ones, nested names and a tag. */
function repoWithRefs(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const repo = path.join(t.dir, 'up.git');
  const work = path.join(t.dir, 'w');
  git(t.dir, 'init', '-q', '--bare', '-b', 'main', repo);
  git(t.dir, 'init', '-q', '-b', 'main', work);
  git(work, 'commit', '-q', '--allow-empty', '-m', 'one');
  git(work, 'tag', '-a', '-m', 'v', 'v1');
  git(work, 'push', '-q', repo, 'main', 'main:refs/heads/wip/agent-1/3', 'v1');
  git(repo, 'pack-refs', '--all');
  git(work, 'commit', '-q', '--allow-empty', '-m', 'two');
  git(work, 'push', '-q', repo, 'main', 'main:refs/heads/wip/agent-2/1', 'main:refs/notes/test-oracle');
  return repo;
}

const PUSH_ADVERT: GitCall = { service: 'receive-pack', advertise: true };

/** Enough of a request and a response for an advertiser: what it wrote, and whether it answered. */
function exchange(a: PushAdvert, gitProtocol?: string): { answered: boolean; body: Buffer } {
  const parts: Buffer[] = [];
  const req = { resume: () => {} } as unknown as http.IncomingMessage;
  const res = { writeHead: () => res, end: (b: Buffer) => void parts.push(b) } as unknown as http.ServerResponse;
  const answered = a.serve(PUSH_ADVERT, gitProtocol, req, res);
  return { answered, body: Buffer.concat(parts) };
}

function learn(a: PushAdvert, answer: Buffer): void {
  const r = a.recorder(PUSH_ADVERT, undefined);
  expect(r).not.toBeNull();
  r!.tee(answer);
  r!.end(0);
}

describe('a push\'s advertisement answered by the server', () => {
  it('reads the refs git lists (packed, loose over packed, tags unpeeled) in git\'s order', () => {
    const repo = repoWithRefs();
    const fromGit = git(repo, 'for-each-ref', '--format=%(objectname) %(refname)').split('\n').map((l) => ({ oid: l.slice(0, 40), name: l.slice(41) }));
    expect(listRefs(repo)).toEqual(fromGit);
    expect(fromGit.length).toBe(5);
  });

  it('once learnt from git, answers byte for byte as git does, also after refs move', () => {
    const repo = repoWithRefs();
    const a = new PushAdvert(repo);
    expect(exchange(a).answered).toBe(false);
    learn(a, gitsAnswer(repo));
    const first = exchange(a);
    expect(first.answered).toBe(true);
    expect(first.body.equals(gitsAnswer(repo))).toBe(true);
    git(repo, 'update-ref', 'refs/heads/new', 'main');
    git(repo, 'update-ref', '-d', 'refs/heads/wip/agent-1/3');
    expect(exchange(a).body.toString()).toBe(gitsAnswer(repo).toString());
    // a Git-Protocol header asks for another version: git answers that
    expect(exchange(a, 'version=1').answered).toBe(false);
  });

  it('an empty repo: the capabilities^{} line, as git sends it', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    git(t.dir, 'init', '-q', '--bare', 'e.git');
    const repo = path.join(t.dir, 'e.git');
    expect(pushAdvertisement([], 'report-status object-format=sha1').toString()).toContain('0000000000000000000000000000000000000000 capabilities^{}\0report-status');
    const a = new PushAdvert(repo);
    learn(a, gitsAnswer(repo));
    expect(exchange(a).body.toString()).toBe(gitsAnswer(repo).toString());
  });

  it('refs git hides (receive.hideRefs) or a symbolic ref keep git answering', () => {
    const repo = repoWithRefs();
    git(repo, 'config', 'receive.hideRefs', 'refs/notes');
    const a = new PushAdvert(repo);
    learn(a, gitsAnswer(repo));
    expect(gitsAnswer(repo).toString()).not.toContain('refs/notes');
    expect(exchange(a).answered).toBe(false);

    const b = repoWithRefs();
    const adv = new PushAdvert(b);
    learn(adv, gitsAnswer(b));
    git(b, 'symbolic-ref', 'refs/heads/alias', 'refs/heads/main');
    expect(listRefs(b)).toBeNull();
    expect(exchange(adv).answered).toBe(false);
  });
});

/** A v2 ls-refs request as git fetch sends it. */
function lsRefsRequest(args: string[], caps = ['agent=git/2.39.5', 'object-format=sha1']): Buffer {
  return Buffer.from([pktLine('command=ls-refs\n'), ...caps.map((c) => pktLine(c + '\n')), '0001', ...args.map((a) => pktLine(a + '\n')), '0000'].join(''));
}

function gitsLsRefs(repo: string, body: Buffer): Buffer {
  return execFileSync('git', ['upload-pack', '--stateless-rpc', '.'], { cwd: repo, input: body, env: { ...gitEnv(), GIT_PROTOCOL: 'version=2' } });
}

describe('a fetch\'s ls-refs answered by the server', () => {
  const FETCH_MAIN = ['peel', 'symrefs', 'unborn', 'ref-prefix refs/heads/main', 'ref-prefix refs/refs/heads/main', 'ref-prefix refs/tags/refs/heads/main', 'ref-prefix refs/heads/refs/heads/main', 'ref-prefix refs/remotes/refs/heads/main', 'ref-prefix refs/remotes/refs/heads/main/HEAD'];

  it('answers what git answers for branch prefixes, packed and loose refs alike', () => {
    const repo = repoWithRefs();
    for (const args of [FETCH_MAIN, ['peel', 'symrefs', 'ref-prefix refs/heads/'], ['ref-prefix refs/heads/wip/', 'ref-prefix refs/notes/'], ['ref-prefix refs/heads/nothing-here']]) {
      const body = lsRefsRequest(args);
      const ours = lsRefsAnswer(repo, body);
      expect(ours, args.join(' ')).not.toBeNull();
      expect(ours!.toString(), args.join(' ')).toBe(gitsLsRefs(repo, body).toString());
    }
    expect(lsRefsAnswer(repo, lsRefsRequest(['ref-prefix refs/heads/']))!.toString()).toContain('refs/heads/wip/agent-2/1');
  });

  it('leaves to git what needs more than the ref files: HEAD, tags to peel, other args or capabilities, many prefixes, other commands', () => {
    const repo = repoWithRefs();
    expect(lsRefsAnswer(repo, lsRefsRequest(['symrefs', 'ref-prefix HEAD']))).toBeNull();
    expect(lsRefsAnswer(repo, lsRefsRequest(['symrefs']))).toBeNull(); // no prefix: HEAD too
    expect(lsRefsAnswer(repo, lsRefsRequest(['peel', 'ref-prefix refs/tags/']))).toBeNull();
    expect(lsRefsAnswer(repo, lsRefsRequest(['ref-prefix refs/heads/', 'something-new']))).toBeNull();
    expect(lsRefsAnswer(repo, lsRefsRequest(['ref-prefix refs/heads/'], ['object-format=sha256']))).toBeNull();
    expect(lsRefsAnswer(repo, lsRefsRequest(Array.from({ length: 10 }, (_, i) => `ref-prefix refs/heads/x${i}`)))).toBeNull();
    expect(lsRefsAnswer(repo, Buffer.from(pktLine('command=fetch\n') + '0001' + '0000'))).toBeNull();
  });

  it('is trusted only after its answer equalled git\'s', () => {
    const repo = repoWithRefs();
    const body = lsRefsRequest(FETCH_MAIN);
    const l = new LsRefs(repo);
    expect(l.answer(body)).toBeNull();
    const wrong = l.learner(body)!;
    wrong.tee(Buffer.from('0000'));
    wrong.end(0);
    expect(l.answer(body)).toBeNull();
    const right = l.learner(body)!;
    right.tee(gitsLsRefs(repo, body));
    right.end(0);
    expect(l.answer(body)!.equals(gitsLsRefs(repo, body))).toBe(true);
  });

  it('peels nothing itself: a ref outside refs/heads/ may name an annotated tag', () => {
    const repo = repoWithRefs();
    git(repo, 'update-ref', 'refs/x/tagobj', git(repo, 'rev-parse', 'refs/tags/v1'));
    expect(gitsLsRefs(repo, lsRefsRequest(['peel', 'ref-prefix refs/x/'])).toString()).toContain('peeled:');
    expect(lsRefsAnswer(repo, lsRefsRequest(['peel', 'ref-prefix refs/x/']))).toBeNull();
    expect(lsRefsAnswer(repo, lsRefsRequest(['ref-prefix refs/x/']))!.toString()).toBe(gitsLsRefs(repo, lsRefsRequest(['ref-prefix refs/x/'])).toString());
  });
});

describe('when the server may answer from the ref files at all', () => {
  it('not where config hides refs or makes capabilities differ per request', async () => {
    for (const [key, value] of [[null, null], ['uploadpack.hideRefs', 'refs/heads/wip'], ['transfer.hideRefs', 'refs/x'], ['receive.hideRefs', 'refs/y'], ['receive.certNonceSeed', 'seed'], ['transfer.advertiseSID', 'true']] as const) {
      const repo = repoWithRefs();
      if (key) git(repo, 'config', key, value!);
      expect(await refsAnswerable(new Git(repo, gitEnv())), String(key)).toBe(key === null);
    }
  });

  it('a ref file that is not a plain file, or an odd name, leaves the listing to git', () => {
    const repo = repoWithRefs();
    execFileSync('mkfifo', [path.join(repo, 'refs/heads/pipe')]);
    expect(listRefs(repo)).toBeNull();
    const other = repoWithRefs();
    writeFileSync(path.join(other, 'refs/heads/a..b'), git(other, 'rev-parse', 'main') + '\n');
    expect(listRefs(other)).toBeNull();
  });
});
