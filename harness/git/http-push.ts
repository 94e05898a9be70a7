// Pushing one commit to an http:// upstream from this process, for the commands agents run
// dozens of times a session (claim, release, message). `git push` over HTTP is four
// programs (push, the remote-http helper, whose start-up is mostly the dynamic loader
// relocating libcurl, send-pack, pack-objects); this is one, pack-objects, plus the update
// of the tracking ref git push would make. The same two requests go to the same server:
// the ref advertisement (a lost race is seen there, before any pack is sent) and the update.
// Only the plain case is taken: an http:// URL without credentials in it, and no setting
// that changes how git would push (proxies, other http.* settings, URL rewrites, a push
// URL, a pre-push hook). Credential helpers and TLS settings are no reason: git asks a
// helper only after a 401, and a 401 here steps aside to git, which asks it then; TLS is
// not spoken over http://. (This machine's /etc/gitconfig names a helper for one Google
// host, and the shell exports GIT_SSL_CAINFO: with those read as "git must push", every
// session's push went to git.) Anything else, and anything unexpected on
// the way (a refused token, a cut connection), returns null and the caller runs git push,
// which says what is wrong in git's own words. An update whose answer was lost is looked
// up first: landed, it is reported so; else git push goes again, as it is never told the
// first try happened (an update that did not land changed nothing).
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Git, GitTimeoutError } from '../kit/git.js';
import { effectiveConfigEntries } from './config-file.js';
import { objectDir, readLoose, repoFacts } from './objects.js';
import { commitParents, parseAdvert, type Advert, parseReport, reportText, requestCaps, updateRequest, ZERO_OID } from './receive-pack.js';

export interface HttpTarget {
  /** the repository's URL, ending in '/' */
  base: string;
  headers: Record<string, string>;
}

/** Set to 1 to have every push made by git itself (the benchmarks compare the two). */
export const PUSH_WITH_GIT_ENV = 'HARNESS_PUSH_WITH_GIT';

const ENV_STEERS = /^(https?_proxy|all_proxy|GIT_(TRACE|CURL|HTTP|SMART_HTTP|ALLOW_PROTOCOL|PROTOCOL_FROM_USER|CONFIG_PARAMETERS))/i;
/** http.sslVerify, http.<url>.sslCAInfo, ...: settings of https only */
const TLS_ONLY = /^http\.(.+\.)?ssl[a-z]*$/;
const REMOTE_KEYS_IGNORED = new Set(['url', 'fetch', 'push', 'tagopt', 'prune', 'prunetags']);

/**
 * Where and how `git push` would reach `remote` when that is plain smart HTTP (see the
 * file's head), from the config git reads; null when git must push. Pure over its inputs.
 */
export function httpTarget(entries: [string, string | null][], env: Readonly<Record<string, string>>, remote: string): HttpTarget | null {
  if (env[PUSH_WITH_GIT_ENV] === '1' || Object.keys(env).some((k) => ENV_STEERS.test(k))) return null;
  const urls: string[] = [];
  let fetchesTracking = false;
  let headers: string[] = [];
  const prefix = `remote.${remote}.`;
  for (const [k, v] of entries) {
    if (k.startsWith(prefix) && !k.slice(prefix.length).includes('.')) {
      const key = k.slice(prefix.length);
      if (!REMOTE_KEYS_IGNORED.has(key)) return null; // pushurl, proxy, receivepack, ...
      if (key === 'url' && v !== null) urls.push(v);
      if (key === 'fetch' && v === `+refs/heads/*:refs/remotes/${remote}/*`) fetchesTracking = true;
    } else if (k === 'http.extraheader') {
      if (v === null) return null;
      headers = v === '' ? [] : [...headers, v]; // an empty value clears the list, as in git
    } else if (k.startsWith('credential.') || TLS_ONLY.test(k)) {
      continue;
    } else if (/^(http|url|protocol)\./.test(k) || (k.startsWith('push.') && k !== 'push.default') || k === 'core.hookspath' || k === 'submodule.recurse') {
      return null;
    }
  }
  if (urls.length !== 1 || !fetchesTracking) return null;
  let url: URL;
  try {
    url = new URL(urls[0]!);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' || url.username || url.password || url.search || url.hash) return null;
  const out: Record<string, string> = {};
  for (const h of headers) {
    const colon = h.indexOf(':');
    if (colon <= 0) return null;
    const name = h.slice(0, colon).trim().toLowerCase();
    const value = h.slice(colon + 1).trim();
    if (!/^[a-z0-9-]+$/.test(name) || Object.hasOwn(out, name) || !/^[\x20-\x7e]*$/.test(value)) return null;
    out[name] = value;
  }
  return { base: url.href.endsWith('/') ? url.href : `${url.href}/`, headers: out };
}

/**
 * Pushes commit `rev` to `ref` of `remote` when httpTarget allows, as a
 * compare-and-swap on the ref's advertised value; `out` is what git push --porcelain
 * would have printed. Null: git must push. A push past git's network limit throws, as git's would.
 */
export async function pushOverHttp(git: Git, remote: string, rev: string, ref: string, trackingRef: string): Promise<{ ok: boolean; out: string } | null> {
  const target = await git.memo(`http-target:${remote}`, async () => {
    const { commonDir } = await repoFacts(git);
    if (existsSync(path.join(commonDir, 'hooks', 'pre-push'))) return null;
    const entries = effectiveConfigEntries(git.envEntries(), commonDir);
    return entries && httpTarget(entries, git.envEntries(), remote);
  });
  if (!target) return null;
  // HEAD (task done, the sim) costs a rev-parse; claims and releases give the id they made
  const src = /^[0-9a-f]{40}$/.test(rev) ? rev : await git.revParse(rev);
  if (!src) return null;
  const commit = readLoose(await objectDir(git), src); // not loose here: git pushes
  if (commit?.type !== 'commit') return null;
  const parents = commitParents(commit.data);
  const limit = git.timeouts.networkMs;
  const deadline = Date.now() + limit;
  const timedOut = () => new GitTimeoutError(['push', remote, `${src}:${ref}`], 'network', limit, git.dir);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const advertNow = async (): Promise<Advert | null> => {
    const adv = await request(agent, new URL('info/refs?service=git-receive-pack', target.base), { ...target.headers, accept: '*/*' }, null, deadline);
    if (adv === 'timeout') throw timedOut();
    if (!adv || adv.status !== 200 || adv.type !== 'application/x-git-receive-pack-advertisement') return null;
    return parseAdvert(adv.body);
  };
  try {
    const advert = await advertNow();
    const caps = advert && requestCaps(advert.caps);
    if (!advert || !caps) return null;
    const old = advert.refs.get(ref) ?? ZERO_OID;
    const upToDate = `=\t${src}:${ref}\t[up to date]`;
    const landed = async (out: string) => {
      await git.run(['update-ref', '-m', 'update by push', trackingRef, src]); // as git push does, "up to date" too; its failure is a warning there as well
      return { ok: true, out };
    };
    if (old === src) return landed(upToDate);
    if (old === ZERO_OID) return null; // a new branch: rare, and git's to make
    // What git's client refuses before sending a pack: a remote tip this commit does not
    // build on ("fetch first" when it is not even here: the usual lost race).
    if (!parents.includes(old) && (await git.run(['merge-base', '--is-ancestor', old, src])).code !== 0) {
      return { ok: false, out: `!\t${src}:${ref}\t[rejected] (fetch first)` };
    }
    const packArgs = ['pack-objects', '--revs', '--stdout', '-q', ...(advert.caps.has('ofs-delta') ? ['--delta-base-offset'] : []), ...(advert.caps.has('no-thin') ? [] : ['--thin'])];
    const pack = await git.run(packArgs, { input: `${src}\n^${old}\n` });
    if (pack.code !== 0) return null;
    const headers = { ...target.headers, 'content-type': 'application/x-git-receive-pack-request', accept: 'application/x-git-receive-pack-result' };
    const res = await request(agent, new URL('git-receive-pack', target.base), headers, updateRequest(old, src, ref, caps, pack.raw), deadline);
    if (res === 'timeout') throw timedOut();
    const report = res && res.status === 200 && res.type === 'application/x-git-receive-pack-result' ? parseReport(res.body, caps.includes('side-band-64k')) : null;
    // An answer lost or unreadable, or objects the remote could not unpack (receive-pack
    // then moves no ref): did it land? If not, git push tries in its own way.
    if (!report || !report.refs.has(ref) || report.unpack !== 'ok') return (await advertNow())?.refs.get(ref) === src ? landed(upToDate) : null;
    const out = reportText(report, src, ref);
    return report.refs.get(ref) === null ? landed(out) : { ok: false, out };
  } finally {
    agent.destroy();
  }
}

const MAX_ANSWER = 64 * 1024 * 1024;

type Answer = { status: number; type: string; body: Buffer };

/** One request; null on any failure but the deadline, which is 'timeout'. */
function request(agent: http.Agent, url: URL, headers: Record<string, string>, body: Buffer | null, deadline: number): Promise<Answer | 'timeout' | null> {
  return new Promise((resolve) => {
    let settled = false;
    let req: http.ClientRequest | null = null;
    const done = (v: Answer | 'timeout' | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(v);
    };
    const timer = setTimeout(() => {
      req?.destroy();
      done('timeout');
    }, Math.max(0, deadline - Date.now()));
    try {
      req = http.request(url, { method: body ? 'POST' : 'GET', agent, headers: { 'user-agent': 'git/harness', ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER) {
            req?.destroy();
            done(null);
          } else chunks.push(c);
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
        res.on('error', () => done(null));
      });
    } catch {
      done(null); // a header Node will not send: git's to try
      return;
    }
    req.on('error', () => done(null));
    req.end(body ?? undefined);
  });
}
