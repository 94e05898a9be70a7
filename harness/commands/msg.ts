// `harness msg send AGENT|ROLE|all TEXT` and `harness msg inbox [--ack]`: messages kept as
// files under current_tasks/messages/ on upstream main. Run inside a clone (as an agent
// does), or with --dir SWARM as the person or supervisor outside every clone.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { defineCommand, defineGroup, type Io, type Register } from '../kit/cli-kit.js';
import { UsageError } from '../kit/errors.js';
import { Git } from '../kit/git.js';
import { fetchUpstream } from '../git/sync.js';
import { ackMessages, readMessages, sendMessage } from '../tasks/message-ops.js';
import { parseTarget, unread, type Message } from '../tasks/messages.js';
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
    describe: 'Send a message to an agent (agent-3), a role (role:docs, or the bare role name with --dir) or all',
    args: { command: 'send <to> <text..>', options: MSG_OPTIONS },
    run: async (args, io) => {
      const { ctx, roles } = await msgContext(args, io);
      const to = parseTarget(String(args.to), roles);
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

/** In a clone: the task context. With --dir: a private bare clone of the swarm's upstream, and its roles. */
async function msgContext(args: MsgArgs, io: Io): Promise<{ ctx: TaskCtx; roles: string[] }> {
  if (!args.dir) return { ctx: await taskContext(args, io), roles: [] };
  const dir = path.resolve(io.cwd, args.dir);
  let run: Record<string, unknown> = {};
  try {
    run = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    /* a swarm not yet run: its upstream is DIR/upstream.git */
  }
  const upstream = typeof run.upstream === 'string' ? run.upstream : path.join(dir, 'upstream.git');
  if (!/:\/\/|@/.test(upstream) && !existsSync(upstream)) {
    throw new UsageError('NO_SWARM', `${dir} has no upstream (${upstream}); pass the swarm folder (e.g. --dir .swarm) or run inside a clone`);
  }
  const clone = path.join(dir, 'people', 'clone.git');
  if (!existsSync(clone)) {
    mkdirSync(path.dirname(clone), { recursive: true });
    await new Git(dir, io.env).must(['clone', '--bare', '--quiet', upstream, clone]);
  }
  const roles = Array.isArray(run.roles) ? (run.roles as { name?: unknown }[]).map((r) => String(r.name)) : [];
  return { ctx: await taskContext({ ...args, repo: clone }, io), roles };
}
