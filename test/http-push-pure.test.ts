// The pure half of the harness's HTTP push: when it may push itself (httpTarget) and the
// receive-pack conversation's bytes (receive-pack.ts). The real exchange with git's
// receive-pack behind the served upstream is test/http-push.test.ts.
import { describe, expect, it } from 'vitest';
import { httpTarget } from '../harness/git/http-push.js';
import { FLUSH, pktLine } from '../harness/git/pkt.js';
import { commitParents, parseAdvert, parseReport, reportText, requestCaps, updateRequest } from '../harness/git/receive-pack.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const PLAIN: [string, string | null][] = [
  ['core.bare', 'false'],
  ['remote.origin.url', 'http://127.0.0.1:9418/upstream.git'],
  ['remote.origin.fetch', '+refs/heads/*:refs/remotes/origin/*'],
  ['branch.main.remote', 'origin'],
  ['http.extraheader', 'Authorization: Bearer t0k3n'],
];

describe('httpTarget: the harness pushes itself only where git would push plain smart HTTP', () => {
  it('a plain http remote with its token header', () => {
    expect(httpTarget(PLAIN, {}, 'origin')).toEqual({ base: 'http://127.0.0.1:9418/upstream.git/', headers: { authorization: 'Bearer t0k3n' } });
    // an empty extraHeader clears the ones before it, as in git
    expect(httpTarget([...PLAIN, ['http.extraheader', '']], {}, 'origin')?.headers).toEqual({});
  });

  it.each([
    ['https', [['remote.origin.url', 'https://example.invalid/u.git']]],
    ['credentials in the URL', [['remote.origin.url', 'http://u:p@127.0.0.1/u.git']]],
    ['a second URL (git pushes to both)', [['remote.origin.url', 'http://127.0.0.1:1/other.git']]],
    ['a push URL', [['remote.origin.pushurl', 'http://127.0.0.1:1/other.git']]],
    ['a proxy for the remote', [['remote.origin.proxy', 'http://proxy.invalid']]],
    ['any other http setting', [['http.proxy', 'http://proxy.invalid']]],
    ['a URL rewrite', [['url.http://elsewhere/.pushinsteadof', 'http://127.0.0.1']]],
    ['push options', [['push.pushoption', 'x']]],
    ['a hooks path (a pre-push hook git would run)', [['core.hookspath', '/h']]],
    ['submodules pushed with it', [['submodule.recurse', 'true']]],
    ['a header Node would not send as is', [['http.extraheader', 'X-Name: Zoë']]],
    ['no tracking refspec', [['remote.origin.fetch', '+refs/heads/main:refs/x']]],
  ] as [string, [string, string][]][])('steps aside to git for %s', (_what, extra) => {
    const entries = extra[0]![0] === 'remote.origin.fetch' ? PLAIN.filter(([k]) => k !== 'remote.origin.fetch').concat(extra) : PLAIN.concat(extra);
    expect(httpTarget(entries, {}, 'origin')).toBeNull();
  });

  it.each(['http_proxy', 'ALL_PROXY', 'GIT_TRACE_CURL', 'GIT_HTTP_USER_AGENT', 'GIT_SMART_HTTP', 'HARNESS_PUSH_WITH_GIT'])('steps aside to git when %s is set', (name) => {
    expect(httpTarget(PLAIN, { [name]: '1' }, 'origin')).toBeNull();
  });

  it('a credential helper or a TLS setting is no reason to step aside (a 401 steps aside, and git asks the helper then)', () => {
    const extra: [string, string][] = [
      ['credential.helper', 'store'],
      ['credential.https://source.developers.google.com.helper', 'gcloud.sh'],
      ['http.sslcainfo', '/etc/ssl/ca.pem'],
      ['http.https://example.invalid/.sslverify', 'false'],
    ];
    expect(httpTarget([...PLAIN, ...extra], { GIT_SSL_CAINFO: '/etc/ssl/ca.pem', GIT_SSL_NO_VERIFY: '1' }, 'origin')).toEqual(httpTarget(PLAIN, {}, 'origin'));
    expect(httpTarget([...PLAIN, ['http.sslkey', '/k'], ['http.proxy', 'http://p.invalid']], {}, 'origin')).toBeNull();
  });

  it('another remote is not this one', () => {
    expect(httpTarget(PLAIN, {}, 'upstream')).toBeNull();
  });
});

const advert = (lines: string[]) => Buffer.from(pktLine('# service=git-receive-pack\n') + FLUSH + lines.map(pktLine).join('') + FLUSH, 'latin1');

describe("receive-pack's bytes", () => {
  it('reads an advertisement, and an empty repo', () => {
    const a = parseAdvert(advert([`${A} refs/heads/main\0report-status side-band-64k quiet ofs-delta agent=git/2.39.5\n`, `${B} refs/heads/wip/x\n`, `${B} .have\n`]));
    expect(a?.refs).toEqual(new Map([['refs/heads/main', A], ['refs/heads/wip/x', B]]));
    expect(requestCaps(a!.caps)).toEqual(['report-status', 'side-band-64k', 'quiet', 'agent=harness']);
    const empty = parseAdvert(advert([`${'0'.repeat(40)} capabilities^{}\0report-status\n`]));
    expect(empty?.refs.size).toBe(0);
    expect(requestCaps(empty!.caps)).toEqual(['report-status']);
  });

  it('answers null for what is not an advertisement, or one cut short; no report-status, no push', () => {
    expect(parseAdvert(Buffer.from('<html>login</html>'))).toBeNull();
    expect(parseAdvert(advert([`${A} refs/heads/main\0report-status\n`]).subarray(0, 60))).toBeNull();
    expect(parseAdvert(advert([`${A} refs/heads/main\n`]))).toBeNull(); // no capabilities
    expect(requestCaps(new Set(['side-band-64k']))).toBeNull();
  });

  it('writes the update as git does: the command with its capabilities, a flush, the pack', () => {
    const body = updateRequest(A, B, 'refs/heads/main', ['report-status', 'quiet'], Buffer.from('PACK'));
    expect(body.toString('latin1')).toBe(`007a${A} ${B} refs/heads/main\0 report-status quiet0000PACK`);
  });

  it('reads a report through side-band, with the hook lines of band 2', () => {
    const status = pktLine('unpack ok\n') + pktLine('ng refs/heads/main pre-receive hook declined\n') + FLUSH;
    const band = (n: number, s: string) => pktLine(String.fromCharCode(n) + s);
    const body = Buffer.from(band(2, 'ERROR current_tasks/t1.txt: held by agent-1\nsecond ') + band(2, 'line\r\n') + band(1, status) + FLUSH, 'latin1');
    const r = parseReport(body, true);
    expect(r).toEqual({ unpack: 'ok', refs: new Map([['refs/heads/main', 'pre-receive hook declined']]), messages: ['ERROR current_tasks/t1.txt: held by agent-1', 'second line'] });
    expect(reportText(r!, B, 'refs/heads/main')).toBe(`remote: ERROR current_tasks/t1.txt: held by agent-1\nremote: second line\n!\t${B}:refs/heads/main\t[remote rejected] (pre-receive hook declined)`);
    expect(parseReport(Buffer.from(pktLine('unpack ok\n') + pktLine('ok refs/heads/main\n') + FLUSH), false)?.refs.get('refs/heads/main')).toBeNull();
  });

  it('a fatal error (band 3), a cut report or no unpack line is null: the caller lets git push', () => {
    expect(parseReport(Buffer.from(pktLine('\x03fatal: out of memory\n') + FLUSH, 'latin1'), true)).toBeNull();
    expect(parseReport(Buffer.from(pktLine('unpack ok\n')), false)).toBeNull();
    expect(parseReport(Buffer.from(pktLine('ok refs/heads/main\n') + FLUSH), false)).toBeNull();
  });

  it("reads a commit's parents from its header, not its message", () => {
    const body = Buffer.from(`tree ${A}\nparent ${A}\nparent ${B}\nauthor x <x> 1 +0000\ncommitter x <x> 1 +0000\n\nparent ${'c'.repeat(40)}\n`);
    expect(commitParents(body)).toEqual([A, B]);
  });
});
