// Messages' I/O shell: read them from a commit, send one and acknowledge some with one
// commit each on top of upstream main, through the same plumbing as claims (the working
// tree is never touched; a rejected push is rebuilt on the new main).
import { randomInt } from 'node:crypto';
import type { Git } from '../kit/git.js';
import { readFolder, Snapshot } from '../git/objects.js';
import { landOnUpstream } from '../git/sync.js';
import { ackEdit, checkText, formatMessage, messageId, MSG_DIR, MSG_ID_RE, msgPath, parseMessage, unread, type Message, type Reader } from './messages.js';
import { commitOn, type TaskCtx } from './ops.js';

export async function readMessages(git: Git, rev: string | null): Promise<Message[]> {
  if (!rev) return [];
  const files = await readFolder(git, rev, MSG_DIR, (e) => e.name.endsWith('.txt') && MSG_ID_RE.test(e.name.slice(0, -4)));
  return files.map((f) => parseMessage(f.entry.name.slice(0, -4), f.data)).filter((m): m is Message => m !== null);
}

function msgTrailers(status: 'sent' | 'acked', ids: string[], ctx: TaskCtx, to?: string): string {
  return [...ids.map((id) => `Msg-Id: ${id}`), ...(to ? [`Msg-To: ${to}`] : []), `Msg-Status: ${status}`, `Msg-Agent: ${ctx.me.agent}`, ...(ctx.me.session ? [`Msg-Session: ${ctx.me.session}`] : [])].join('\n');
}

export interface SendResult {
  id: string;
  commit: string | null;
  attempts: number;
}

export async function sendMessage(ctx: TaskCtx, to: string, rawText: string, random: () => number = () => randomInt(0x1000000) / 0x1000000): Promise<SendResult> {
  const text = checkText(rawText);
  const sent = ctx.now();
  const id = messageId(sent, ctx.me.agent, random);
  const content = formatMessage({ id, from: ctx.me.agent, to, sent, ackedBy: [], text });
  const subject = `Message to ${to}: ${text.split('\n')[0]!.slice(0, 60)}`;
  const landed = await landOnUpstream<null>(ctx.git, ctx.upstream, ctx.retry, async (base) => {
    const snap = await Snapshot.load(ctx.git, base, { files: [msgPath(id)] });
    const msg = `${subject}\n\n${msgTrailers('sent', [id], ctx, to)}\n`;
    return { commit: await commitOn(ctx, snap, [{ path: msgPath(id), content }], msg), value: null };
  });
  return { id, commit: landed.commit, attempts: landed.attempts };
}

export interface AckResult {
  acked: string[];
  commit: string | null;
  attempts: number;
}

/** Acknowledges the given messages (those still unread on the newest main) in one commit. */
export async function ackMessages(ctx: TaskCtx, reader: Reader, ids: string[]): Promise<AckResult> {
  const want = new Set(ids);
  const landed = await landOnUpstream<string[]>(ctx.git, ctx.upstream, ctx.retry, async (base) => {
    const rev = base ? await ctx.git.revParse(base) : null;
    const todo = unread(await readMessages(ctx.git, rev), reader).filter((m) => want.has(m.id));
    const edits = todo.map((m) => ackEdit(m, reader)).filter((e) => e !== null);
    if (edits.length === 0) return { stop: [] };
    const snap = await Snapshot.load(ctx.git, rev, { files: edits.map((e) => e.path) });
    const msg = `Read ${todo.length} message${todo.length > 1 ? 's' : ''} (${reader.agent})\n\n${msgTrailers('acked', todo.map((m) => m.id), ctx)}\n`;
    return { commit: await commitOn(ctx, snap, edits, msg), value: todo.map((m) => m.id) };
  });
  return { acked: landed.value, commit: landed.commit, attempts: landed.attempts };
}
