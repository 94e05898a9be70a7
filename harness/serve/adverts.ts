// Advertisements the server answers itself instead of starting git for them. Each is
// learnt from git's own answer first and used only where it stays true: protocol v2's
// capability list (the same bytes every time) and the list of refs a push starts from
// (read from the repo's files, with the capabilities git gave).
import http from 'node:http';
import type { Git } from '../kit/git.js';
import { listRefs, type Ref } from '../git/refs.js';
import { FLUSH, pktLine, pktLines } from '../git/pkt.js';
import { sendAnswer, wantsV2, type GitCall } from './smart-http.js';

/**
 * Whether answers may come from the ref files at all: not where config hides refs (per
 * request prefix, so one equal answer would not prove them all) or makes git's
 * capabilities differ per request (a push certificate's nonce, a session id).
 */
export async function refsAnswerable(git: Git): Promise<boolean> {
  const r = await git.run(['config', '--get-regexp', '^(transfer|receive|uploadpack)\\.hiderefs$|^receive\\.certnonceseed$|^transfer\\.advertisesid$']);
  return r.code === 1 && r.stdout.trim() === '';
}

/** Takes every byte of git's answer (tee), then its exit code (end). */
export interface Recorder {
  tee: (d: Buffer) => void;
  end: (code: number) => void;
}

/** A recorder that hands git's whole answer to `learn` when git succeeded. */
export function recordAnswer(learn: (answer: Buffer) => void): Recorder {
  const parts: Buffer[] = [];
  return {
    tee: (d) => void parts.push(Buffer.from(d)),
    end: (code) => {
      if (code === 0) learn(Buffer.concat(parts));
    },
  };
}

/** Answers an advertisement request without git, or records git's answer to learn from it. */
export interface Advertiser {
  /** Answers the request; false when it cannot (then git runs, through recorder's tee). */
  serve(call: GitCall, gitProtocol: string | undefined, req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /** What to tee git's answer into; null when this advertiser has nothing to learn from it. */
  recorder(call: GitCall, gitProtocol: string | undefined): Recorder | null;
}

/**
 * Protocol v2's first answer to a fetch (GET info/refs?service=git-upload-pack) lists the
 * server's capabilities, not its refs: the same bytes for every request with the same
 * Git-Protocol header while the server runs. It is kept after the first one, so every fetch
 * after that starts one git process less. A v0 advertisement (refs) is never kept.
 */
export class AdvertCache implements Advertiser {
  private readonly kept = new Map<string, Buffer>();

  private key(call: GitCall, gitProtocol: string | undefined): string | null {
    return call.advertise && call.service === 'upload-pack' && wantsV2(gitProtocol) ? gitProtocol! : null;
  }

  /** Answers from what is kept; false when nothing is (then run the service). */
  serve(call: GitCall, gitProtocol: string | undefined, req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const k = this.key(call, gitProtocol);
    const body = k === null ? undefined : this.kept.get(k);
    if (!body) return false;
    sendAnswer(req, res, 'application/x-git-upload-pack-advertisement', body);
    return true;
  }

  /** What to tee a service's answer into, to keep it when it is a v2 advertisement. */
  recorder(call: GitCall, gitProtocol: string | undefined): Recorder | null {
    const k = this.key(call, gitProtocol);
    if (k === null) return null;
    return recordAnswer((body) => {
      if (body.subarray(0, 14).toString('latin1') === '000eversion 2\n') this.kept.set(k, body);
    });
  }
}

/**
 * A push's first request (GET info/refs?service=git-receive-pack, protocol v0: pushes have
 * no v2) is every ref with receive-pack's capabilities on the first line. The capabilities
 * come from config and git's version, so they are learnt from one real answer; the refs are
 * read from the repo's files at each request. The learnt answer is trusted only once the
 * refs git listed equal the refs read from the files at that moment: hidden refs, an
 * alternate's `.have` lines or anything else this reading does not know keep git answering.
 */
export class PushAdvert implements Advertiser {
  private caps: string | null = null;
  private checks = 0;

  constructor(private readonly repo: string) {}

  private applies(call: GitCall, gitProtocol: string | undefined): boolean {
    return call.advertise && call.service === 'receive-pack' && !gitProtocol;
  }

  serve(call: GitCall, gitProtocol: string | undefined, req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (this.caps === null || !this.applies(call, gitProtocol)) return false;
    const refs = listRefs(this.repo);
    if (!refs) return false;
    sendAnswer(req, res, 'application/x-git-receive-pack-advertisement', pushAdvertisement(refs, this.caps));
    return true;
  }

  recorder(call: GitCall, gitProtocol: string | undefined): Recorder | null {
    // A few tries: a ref that moved between git's listing and ours is a race, not a difference.
    if (this.caps !== null || this.checks >= 5 || !this.applies(call, gitProtocol)) return null;
    return recordAnswer((answer) => {
      this.checks++;
      const got = parsePushAdvertisement(answer);
      const now = listRefs(this.repo);
      if (got && now && pushAdvertisement(now, got.caps).equals(answer)) this.caps = got.caps;
    });
  }
}

/** The whole answer, as git http-backend would send it. */
export function pushAdvertisement(refs: Ref[], caps: string): Buffer {
  const zero = '0'.repeat(/(^| )object-format=sha256( |$)/.test(caps) ? 64 : 40);
  const lines = refs.length ? refs.map((r, i) => `${r.oid} ${r.name}${i === 0 ? `\0${caps}` : ''}\n`) : [`${zero} capabilities^{}\0${caps}\n`];
  return Buffer.from(pktLine('# service=git-receive-pack\n') + '0000' + lines.map(pktLine).join('') + '0000');
}

/** The capabilities of a v0 receive-pack advertisement; null when it is not one. */
export function parsePushAdvertisement(body: Buffer): { caps: string } | null {
  const lines = pktLines(body);
  if (!lines || lines[0] !== '# service=git-receive-pack\n' || lines[1] !== FLUSH) return null;
  const first = lines[2] ?? '';
  const nul = first.indexOf('\0');
  return nul < 0 ? null : { caps: first.slice(nul + 1).replace(/\n$/, '') };
}
