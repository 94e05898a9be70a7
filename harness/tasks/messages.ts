// Messages between agents, their supervisor and people: one file per message under
// current_tasks/messages/ on upstream main. A new file per message means concurrent
// senders never edit the same file, so a rejected push is rebuilt and nothing is lost.
// Pure: naming, the file format, who a message is for, what an acknowledgement changes.
import { UsageError } from '../kit/errors.js';
import { parseLock } from './lockfile.js';
import { LOCK_DIR } from '../kit/task-name.js';

export const MSG_DIR = `${LOCK_DIR}/messages`;
export const MSG_ID_RE = /^[0-9]{8}T[0-9]{6}Z-[a-z0-9][a-z0-9._-]{0,40}-[0-9a-f]{6}$/;
export const msgPath = (id: string) => `${MSG_DIR}/${id}.txt`;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;
const MAX_TEXT = 4000;

export interface Message {
  id: string;
  from: string;
  /** `all`, an agent id, or `role:NAME` */
  to: string;
  sent: Date | null;
  ackedBy: string[];
  text: string;
}

/** What a sender knows about who can read: the run's roles, and agents by name. */
export interface Known {
  /** role names of the run (run.json, the config file, HARNESS_ROLES); null: not known here */
  roles: readonly string[] | null;
  /** names that are agents besides `agent-N`: senders of messages on main, the sender itself */
  agents: readonly string[];
}

const SLOT_RE = /^agent-[0-9]+$/;

/** Whether resolving `raw` depends on which agents exist: a bare name other than `all` and `agent-N`. */
export function dependsOnAgents(raw: string): boolean {
  const t = raw.trim();
  return t !== 'all' && !/^(role|agent):/.test(t) && !SLOT_RE.test(t);
}

/**
 * The recipient rule: `all`; `role:NAME` and `agent:NAME` are taken as written (to send
 * ahead of a run that will have them); a bare name is an agent when it is `agent-N` or a
 * known agent, a role when it is a role of the run, and refused otherwise (exit 2), so a
 * message never goes to a name nobody reads.
 */
export function resolveRecipient(raw: string, known: Known = { roles: null, agents: [] }): string {
  const t = raw.trim();
  if (t === 'all') return t;
  const m = /^(role|agent):(.*)$/.exec(t);
  const name = m ? m[2]! : t;
  if (!NAME_RE.test(name)) throw new UsageError('BAD_RECIPIENT', `recipient ${JSON.stringify(raw)}: give an agent (agent-3), a role (docs or role:docs) or all`);
  if (m) return m[1] === 'role' ? `role:${name}` : name;
  const isRole = known.roles?.includes(name) ?? false;
  const isAgent = SLOT_RE.test(name) || known.agents.includes(name);
  if (isRole && isAgent) throw new UsageError('AMBIGUOUS_RECIPIENT', `recipient "${name}" is both a role and an agent; write role:${name} or agent:${name}`);
  if (isRole) return `role:${name}`;
  if (isAgent) return name;
  const roles = known.roles === null ? 'the roles of this run are not known here' : known.roles.length ? `roles: ${known.roles.join(', ')}` : 'this run has no roles';
  throw new UsageError('UNKNOWN_RECIPIENT', `recipient "${name}" is no role or agent of this run (${roles}; agents are agent-N); write role:${name} or agent:${name} to send it anyway`);
}

export function checkText(text: string): string {
  const t = text.trim();
  if (!t) throw new UsageError('EMPTY_MESSAGE', 'the message is empty; say something, e.g. harness msg send all "stop touching src/parser.c"');
  if (t.length > MAX_TEXT) throw new UsageError('MESSAGE_TOO_LONG', `the message is ${t.length} characters; keep it under ${MAX_TEXT} (put long notes in a file in the repo and point to it)`);
  if (t.includes('\0')) throw new UsageError('BAD_MESSAGE', 'the message contains a NUL byte');
  return t;
}

/** A unique, sortable file name: time, sender, random. */
export function messageId(at: Date, from: string, random: () => number): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const who = from.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 40).replace(/[^a-z0-9]+$/, '') || 'someone';
  const rand = Math.floor(random() * 0x1000000).toString(16).padStart(6, '0');
  return `${stamp}-${who}-${rand}`;
}

export function formatMessage(m: Message): string {
  const lines = [`From: ${oneLine(m.from)}`, `To: ${m.to}`, `Sent: ${(m.sent ?? new Date(0)).toISOString()}`];
  if (m.ackedBy.length) lines.push(`Acked-By: ${m.ackedBy.join(', ')}`);
  return [...lines, '', m.text, ''].join('\n');
}

export function parseMessage(id: string, data: Uint8Array | string): Message | null {
  const p = parseLock(data);
  if (!p.readable) return null;
  const h = (k: string) => Object.entries(p.headers).find(([x]) => x.toLowerCase() === k)?.[1] ?? '';
  const sent = new Date(h('sent'));
  return {
    id,
    from: h('from') || 'unknown',
    to: h('to') || 'all',
    sent: Number.isNaN(sent.getTime()) ? null : sent,
    ackedBy: h('acked-by').split(/[\s,]+/).filter(Boolean),
    text: p.note,
  };
}

export interface Reader {
  agent: string;
  role: string | null;
}

export function isFor(m: Message, r: Reader): boolean {
  return m.to === 'all' || m.to === r.agent || (r.role !== null && m.to === `role:${r.role}`);
}

/** What `r` has not acknowledged yet, oldest first; a sender never waits on its own broadcast. */
export function unread(messages: Message[], r: Reader): Message[] {
  return messages.filter((m) => isFor(m, r) && !m.ackedBy.includes(r.agent) && !(m.to !== r.agent && m.from === r.agent)).sort(byTime);
}

const byTime = (a: Message, b: Message) => a.id.localeCompare(b.id);

/** An acknowledgement: a message to this reader alone is removed; a broadcast records who has read it. */
export function ackEdit(m: Message, r: Reader): { path: string; content: string | null } | null {
  if (m.ackedBy.includes(r.agent)) return null;
  if (m.to === r.agent) return { path: msgPath(m.id), content: null };
  return { path: msgPath(m.id), content: formatMessage({ ...m, ackedBy: [...m.ackedBy, r.agent] }) };
}

/** The lines a session's prompt starts with when messages wait for it. */
export function promptHeader(waiting: Message[]): string {
  if (waiting.length === 0) return '';
  const n = waiting.length;
  const lines = [
    `# ${n} message${n > 1 ? 's' : ''} waiting for you`,
    '',
    `Read ${n > 1 ? 'them' : 'it'} first; when you have, run \`harness msg inbox --ack\`. Reply with \`harness msg send AGENT|ROLE|all "TEXT"\` (an agent: agent-3 or the name a message came from; a role: its name, e.g. docs; \`role:NAME\` or \`agent:NAME\` to be explicit).`,
    '',
    ...waiting.map((m) => `- from ${m.from} to ${m.to}${m.sent ? ` at ${m.sent.toISOString()}` : ''}: ${m.text.replace(/\n+/g, ' ')}`),
    '',
    '---',
    '',
  ];
  return lines.join('\n');
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').trim();
}
