// `harness msg send AGENT|ROLE|all TEXT` and `harness msg inbox [--ack]`: messages kept as
// files under current_tasks/messages/ on upstream main. Run inside a clone (as an agent
// does), or with --dir SWARM as the person or supervisor outside every clone.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { defineCommand, defineGroup, type Io, type Register } from '../kit/cli-kit.js';
import { UsageError } from '../kit/errors.js';
import { Git } from '../kit/git.js';
import { fetchUpstream } from '../git/sync.js';
import { ackMessages, readMessages, sendMessage } from '../tasks/message-ops.js';
import { CONFIG_FILE } from '../swarm/config.js';
import { parseRoles } from '../swarm/roles.js';
import { dependsOnAgents, resolveRecipient, unread, type Message } from '../tasks/messages.js';
import type { TaskCtx } from '../tasks/ops.js';
import { COMMON_TASK_OPTIONS, taskContext, type CommonTaskArgs } from './task-context.js';

type MsgArgs = CommonTaskArgs & { dir?: string; role?: string };

const MSG_OPTIONS = {
  ...COMMON_TASK_OPTIONS,
  dir: { type: 'string', describe: 'act from a swarm folder (e.g. .swarm) instead of a clone: for people and the supervisor' },
  role: { type: 'string', describe: 'your role, if HARNESS_ROLE is not set (for role messages)' },
} as const;

export function msgCommand(io: Io, setResult: Register): CommandModule {
  return defineGroup({
    command: 'msg',
    describe: 'Send and read messages between agents, roles and people (git-native, in current_tasks/messages/)',
    commands: [sendCmd(io, setResult), inboxCmd(io, setResult)],
    demand: 'say which msg command to run: send or inbox',
    epilogue: 'Messages reach an agent at the start of its next session (its prompt says how many wait). Exit codes: 0 ok, 2 bad input, 4 upstream unavailable.',
  });
}

function sendCmd(io: Io, setResult: Register) {
  return defineCommand<MsgArgs & { to: string; text: string[] }>(io, setResult, {
    describe: 'Send a message to an agent (agent-3), a role of the run (docs) or all; role:NAME / agent:NAME to be explicit',
    args: { command: 'send <to> <text..>', options: MSG_OPTIONS },
    run: async (args, io) => {
      const { ctx, roles } = await msgContext(args, io);
      // The senders on main are read only when the name needs them: sending is a fetch fewer for all, agent-N and role:NAME.
      const senders = dependsOnAgents(String(args.to)) ? await messageSenders(ctx) : [];
      const to = resolveRecipient(String(args.to), { roles, agents: [...senders, ctx.me.agent] });
      const r = await sendMessage(ctx, to, args.text.join(' '));
      io.out(`sent ${r.id} to ${to} (commit ${r.commit?.slice(0, 7) ?? '-'}${r.attempts > 1 ? `, ${r.attempts} attempts` : ''})`);
    },
  });
}

function inboxCmd(io: Io, setResult: Register) {
  return defineCommand<MsgArgs & { ack: boolean; json: boolean }>(io, setResult, {
    describe: 'Messages for you (your agent, your role, all) not yet acknowledged; --ack marks them read',
    args: {
      command: 'inbox',
      options: {
        ...MSG_OPTIONS,
        ack: { type: 'boolean', default: false, describe: 'acknowledge the messages shown (one commit)' },
        json: { type: 'boolean', default: false, describe: 'print JSON for programs' },
      },
    },
    run: async (args, io) => {
      const { ctx } = await msgContext(args, io);
      const reader = { agent: ctx.me.agent, role: io.env.HARNESS_ROLE?.trim() || args.role || null };
      const head = await fetchUpstream(ctx.git, ctx.upstream);
      const mine = unread(await readMessages(ctx.git, head ? await ctx.git.revParse(head) : null), reader);
      const acked = args.ack && mine.length ? await ackMessages(ctx, reader, mine.map((m) => m.id)) : null;
      if (args.json) {
        io.out(JSON.stringify({ reader, messages: mine.map(messageJson), acked: acked?.acked ?? [] }, null, 2));
        return;
      }
      if (mine.length === 0) io.out(`no messages waiting for ${reader.agent}${reader.role ? ` (role ${reader.role})` : ''}`);
      for (const m of mine) {
        io.out(`${m.id}  from ${m.from} to ${m.to}${m.sent ? ` at ${m.sent.toISOString()}` : ''}`);
        m.text.split('\n').forEach((l) => io.out(`  ${l}`));
      }
      if (acked) io.out(`acknowledged ${acked.acked.length} (commit ${acked.commit?.slice(0, 7) ?? '-'})`);
      else if (mine.length) io.out(`acknowledge with: harness msg inbox --ack`);
    },
  });
}

const messageJson = (m: Message) => ({ ...m, sent: m.sent?.toISOString() ?? null });

/**
 * In a clone: the task context, and the run's roles from HARNESS_ROLES (the supervisor sets
 * it). With --dir: the swarm's people clone, and the roles from run.json, or before the
 * first run from harness.config.json. Roles null: not known here.
 */
async function msgContext(args: MsgArgs, io: Io): Promise<{ ctx: TaskCtx; roles: string[] | null }> {
  if (!args.dir) return { ctx: await taskContext(args, io), roles: envRoles(io.env) };
  const dir = path.resolve(io.cwd, args.dir);
  const run = readJson(path.join(dir, 'run.json'));
  const upstream = typeof run?.upstream === 'string' ? run.upstream : path.join(dir, 'upstream.git');
  if (!/:\/\/|@/.test(upstream) && !existsSync(upstream)) {
    throw new UsageError('NO_SWARM', `${dir} has no upstream (${upstream}); pass the swarm folder (e.g. --dir .swarm) or run inside a clone`);
  }
  const clone = await peopleClone(dir, upstream, io);
  return { ctx: await taskContext({ ...args, repo: clone }, io), roles: runRoles(run) ?? configRoles(io.cwd) };
}

/** Who has sent a message on upstream main: the names besides agent-N that are agents. */
async function messageSenders(ctx: TaskCtx): Promise<string[]> {
  const head = await fetchUpstream(ctx.git, ctx.upstream);
  return (await readMessages(ctx.git, head ? await ctx.git.revParse(head) : null)).map((m) => m.from);
}

function envRoles(env: NodeJS.ProcessEnv): string[] | null {
  if (env.HARNESS_ROLES === undefined && !env.HARNESS_ROLE?.trim()) return null;
  return [...new Set([...(env.HARNESS_ROLES ?? '').split(','), env.HARNESS_ROLE ?? ''].map((r) => r.trim()).filter(Boolean))];
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null; // a swarm not yet run (its upstream is DIR/upstream.git), or no config file
  }
}

const runRoles = (run: Record<string, unknown> | null) => (Array.isArray(run?.roles) ? (run.roles as { name?: unknown }[]).map((r) => String(r.name)) : null);

/** Before the first run, the roles the config file will give (its errors are the run's to report). */
function configRoles(cwd: string): string[] | null {
  const json = readJson(path.join(cwd, CONFIG_FILE));
  if (!json || json.role === undefined) return null;
  try {
    return parseRoles(json.role, CONFIG_FILE, cwd).map((r) => r.name);
  } catch {
    return null;
  }
}

/**
 * The bare clone every --dir sender shares (objects fetched once). Made in a private folder
 * and renamed into place, so senders racing to make it do not trip over each other; the
 * fetches that follow race on its tracking ref, which fetchUpstream retries.
 */
async function peopleClone(dir: string, upstream: string, io: Io): Promise<string> {
  const clone = path.join(dir, 'people', 'clone.git');
  if (existsSync(clone)) return clone;
  mkdirSync(path.dirname(clone), { recursive: true });
  const tmp = mkdtempSync(path.join(path.dirname(clone), '.clone-'));
  try {
    await new Git(dir, io.env).must(['clone', '--bare', '--quiet', upstream, path.join(tmp, 'c.git')]);
    try {
      renameSync(path.join(tmp, 'c.git'), clone);
    } catch (e) {
      if (!existsSync(clone)) throw e; // else another sender made it first: use theirs
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return clone;
}
