// A scripted model server: the two HTTP APIs the real agent CLIs speak (Anthropic Messages
// streaming for Claude Code, OpenAI Responses streaming for Codex), answered from a script
// instead of a model. No model runs: every answer is a turn the test wrote. It listens on
// 127.0.0.1 only and records every request, so a test can also prove that nothing else
// was contacted and that no credential left the environment.
//
// The turn to play is chosen statelessly from the request itself: the number of tool
// results the CLI sends back is how many turns it has already played. Several sessions and
// agents can share one server at once; which agent asks is read from the working directory
// the CLIs put in their system prompt (`.../agents/<agent>/workspace`).
//
// Codex's exec_command yields after at most 30 s and leaves a long command running. As a
// real model would, the server then polls it with write_stdin until it ends, outside the
// script: a poll's output joins the command's, so turn numbers stay the script's own.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the model says on one turn. Usage is what the server reports for this turn. */
export type Turn =
  | { run: string; usage?: TurnUsage }
  | { say: string; usage?: TurnUsage }
  /** an HTTP error: 429 (with retry-after seconds), 529 overloaded, 500 */
  | { fail: 429 | 500 | 529; retryAfter?: number }
  /** accept the request, send headers, then nothing until the client goes away */
  | { hang: true }
  /** Claude subscriber usage limit (429 + anthropic-ratelimit-unified-* headers), reset at this time (ms) */
  | { claudeUsageLimit: number }
  /** Codex usage limit (429 usage_limit_reached), reset at this time (ms) */
  | { codexUsageLimit: number };

export interface TurnUsage {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

export interface TurnContext {
  protocol: 'anthropic' | 'responses';
  /** the agent id from the CLI's working directory, or null */
  agent: string | null;
  /** tool results the CLI sent back so far, oldest first: this is turn number outputs.length */
  outputs: string[];
  /** the text of the first user message (the harness's prompt) */
  prompt: string;
  /** Codex only: the session id of a command that outlived its yield time and is still running */
  running?: number;
}

/** A script: the turn to play now, or null to end with a plain "done". */
export type Script = (ctx: TurnContext) => Turn | null;

/** A list of turns played in order by every session (a session starts again at turn 0). */
export function turns(list: Turn[]): Script {
  return (ctx) => list[ctx.outputs.length] ?? null;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** what the server answered: a status, or 'stream' / 'hang' */
  answer: string;
  agent: string | null;
  turn: number;
  /** answered by the server itself: a write_stdin poll of a Codex command still running */
  poll?: true;
  at: number;
}

export interface ModelServer {
  url: string;
  /** Anthropic's base URL (ANTHROPIC_BASE_URL) */
  anthropicBase: string;
  /** OpenAI's base URL, with /v1 (the Codex provider's base_url) */
  openaiBase: string;
  requests: RecordedRequest[];
  /** replace the script (tests change it between runs) */
  setScript(s: Script): void;
  close(): Promise<void>;
}

/** A write_stdin poll of a still-running Codex command: played by the server, not the script. */
interface Poll {
  poll: number;
  usage: TurnUsage;
}
/** What a poll costs: a short turn, so scripted totals stay easy to predict (script usage + polls x this). */
export const POLL_USAGE: Required<TurnUsage> = { input: 100, output: 10, cacheRead: 0, cacheWrite: 0 };

/** The default usage of a turn, when the script gives none. */
export const DEFAULT_USAGE: Required<TurnUsage> = { input: 1000, output: 100, cacheRead: 0, cacheWrite: 0 };

export async function startModelServer(script: Script, opts: { model?: string } = {}): Promise<ModelServer> {
  let current = script;
  const requests: RecordedRequest[] = [];
  const hung = new Set<http.ServerResponse>();
  let seq = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const rec: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, answer: '', agent: null, turn: -1, at: Date.now() };
      requests.push(rec);
      try {
        answer(req, res, body, rec);
      } catch (e) {
        rec.answer = '500 (server bug)';
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: String(e) } }));
      }
    });
  });

  function answer(req: http.IncomingMessage, res: http.ServerResponse, body: string, rec: RecordedRequest) {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    let protocol: TurnContext['protocol'];
    if (req.method === 'POST' && url.pathname === '/v1/messages') protocol = 'anthropic';
    else if (req.method === 'POST' && url.pathname === '/v1/responses') protocol = 'responses';
    else {
      rec.answer = '404';
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { type: 'not_found_error', message: `scripted server: no ${req.method} ${url.pathname}` } }));
      return;
    }
    const ctx = protocol === 'anthropic' ? anthropicContext(json) : responsesContext(json);
    rec.agent = ctx.agent;
    rec.turn = ctx.outputs.length;
    // Side requests (titles, summaries) carry no tools: they are not part of the script.
    const side = !Array.isArray(json.tools) || json.tools.length === 0;
    const turn: Turn | Poll = side ? { say: 'ok', usage: { input: 0, output: 0 } } : ctx.running !== undefined ? { poll: ctx.running, usage: POLL_USAGE } : (current(ctx) ?? { say: 'done' });
    const id = `${++seq}`;
    const model = typeof json.model === 'string' ? json.model : (opts.model ?? 'scripted');
    if ('fail' in turn) {
      rec.answer = String(turn.fail);
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
      if (turn.retryAfter !== undefined) headers['retry-after'] = String(turn.retryAfter);
      const type = turn.fail === 429 ? 'rate_limit_error' : turn.fail === 529 ? 'overloaded_error' : 'api_error';
      res.writeHead(turn.fail, headers).end(JSON.stringify(protocol === 'anthropic' ? { type: 'error', error: { type, message: `scripted ${turn.fail}` } } : { error: { type, message: `scripted ${turn.fail}`, code: type } }));
      return;
    }
    if ('hang' in turn) {
      rec.answer = 'hang';
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    if ('claudeUsageLimit' in turn) {
      rec.answer = '429 usage limit';
      const reset = Math.floor(turn.claudeUsageLimit / 1000);
      res
        .writeHead(429, {
          'content-type': 'application/json',
          'anthropic-ratelimit-unified-status': 'rejected',
          'anthropic-ratelimit-unified-reset': String(reset),
          'anthropic-ratelimit-unified-5h-status': 'rejected',
          'anthropic-ratelimit-unified-5h-reset': String(reset),
          'anthropic-ratelimit-unified-representative-claim': 'five_hour',
          'anthropic-ratelimit-unified-fallback-percentage': '0.5',
        })
        .end(JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'usage limit reached' } }));
      return;
    }
    if ('codexUsageLimit' in turn) {
      rec.answer = '429 usage limit';
      const resetsIn = Math.max(1, Math.ceil((turn.codexUsageLimit - Date.now()) / 1000));
      res
        .writeHead(429, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { type: 'usage_limit_reached', message: 'The usage limit has been reached', plan_type: 'plus', resets_at: Math.floor(turn.codexUsageLimit / 1000), resets_in_seconds: resetsIn } }));
      return;
    }
    rec.answer = 'stream';
    if ('poll' in turn) rec.poll = true;
    const usage = { ...DEFAULT_USAGE, ...turn.usage };
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_${id}` });
    if ('poll' in turn && protocol === 'anthropic') throw new Error('scripted server: a poll is Codex-only');
    const events = protocol === 'anthropic' ? anthropicStream(turn as Exclude<typeof turn, Poll>, usage, model, id) : responsesStream(turn, usage, model, id, () => toolOf(json));
    for (const [name, data] of events) res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    anthropicBase: url,
    openaiBase: `${url}/v1`,
    requests,
    setScript: (s) => void (current = s),
    close: async () => {
      for (const r of hung) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---- reading requests ----

const AGENT_IN_PATH = /\/agents\/([a-z0-9][a-z0-9._-]*)\/workspace/;

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((c) => {
      const b = c as Record<string, unknown>;
      if (typeof b.text === 'string') return b.text;
      if (b.type === 'tool_result') return textOf(b.content);
      return '';
    })
    .join('\n');
}

function anthropicContext(json: Record<string, unknown>): TurnContext {
  const messages = (Array.isArray(json.messages) ? json.messages : []) as Record<string, unknown>[];
  const outputs: string[] = [];
  for (const m of messages) {
    if (m.role !== 'user' || !Array.isArray(m.content)) continue;
    for (const b of m.content as Record<string, unknown>[]) if (b.type === 'tool_result') outputs.push(textOf(b.content));
  }
  const firstUser = messages.find((m) => m.role === 'user');
  const all = JSON.stringify(json.system ?? '') + JSON.stringify(messages);
  return { protocol: 'anthropic', agent: AGENT_IN_PATH.exec(all)?.[1] ?? null, outputs, prompt: textOf(firstUser?.content) };
}

const STILL_RUNNING = /Process running with session ID (\d+)/;

function responsesContext(json: Record<string, unknown>): TurnContext {
  const input = (Array.isArray(json.input) ? json.input : []) as Record<string, unknown>[];
  const nameOf = new Map(input.filter((i) => i.type === 'function_call').map((i) => [i.call_id, i.name]));
  const outputs: string[] = [];
  let last = '';
  for (const i of input) {
    if (i.type !== 'function_call_output' && i.type !== 'custom_tool_call_output') continue;
    last = typeof i.output === 'string' ? i.output : JSON.stringify(i.output);
    if (nameOf.get(i.call_id) === 'write_stdin' && outputs.length > 0) outputs[outputs.length - 1] += last; // a poll continues its command
    else outputs.push(last);
  }
  const running = STILL_RUNNING.exec(last)?.[1];
  const users = input.filter((i) => i.role === 'user').map((i) => textOf(i.content));
  const all = JSON.stringify(json.instructions ?? '') + JSON.stringify(input);
  // Codex sends its environment context and instructions as user messages first; the prompt is the last user text before any tool call.
  const prompt = users.filter((u) => !u.startsWith('<')).pop() ?? users.pop() ?? '';
  return { protocol: 'responses', agent: AGENT_IN_PATH.exec(all)?.[1] ?? null, outputs, prompt, ...(running ? { running: Number(running) } : {}) };
}

/** Codex's shell tool for this model: `exec_command` {cmd} or `shell` {command: [argv]}. */
function toolOf(json: Record<string, unknown>): { name: string; args: (cmd: string) => unknown } {
  const names = (Array.isArray(json.tools) ? json.tools : []).map((t) => String((t as Record<string, unknown>).name ?? ''));
  if (names.includes('exec_command')) return { name: 'exec_command', args: (cmd) => ({ cmd }) };
  if (names.includes('shell')) return { name: 'shell', args: (cmd) => ({ command: ['bash', '-c', cmd] }) };
  throw new Error(`scripted server: no shell tool among ${names.join(', ')}`);
}

// ---- writing streams ----

type Sse = [string, unknown];

function anthropicStream(turn: { run: string } | { say: string }, u: Required<TurnUsage>, model: string, id: string): Sse[] {
  const usage = { input_tokens: u.input, output_tokens: 1, cache_read_input_tokens: u.cacheRead, cache_creation_input_tokens: u.cacheWrite };
  const out: Sse[] = [['message_start', { type: 'message_start', message: { id: `msg_${id}`, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage } }]];
  if ('run' in turn) {
    out.push(['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: `toolu_${id}`, name: 'Bash', input: {} } }]);
    out.push(['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: JSON.stringify({ command: turn.run, description: 'scripted step' }) } }]);
  } else {
    out.push(['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }]);
    out.push(['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: turn.say } }]);
  }
  out.push(['content_block_stop', { type: 'content_block_stop', index: 0 }]);
  out.push(['message_delta', { type: 'message_delta', delta: { stop_reason: 'run' in turn ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: u.output } }]);
  out.push(['message_stop', { type: 'message_stop' }]);
  return out;
}

function responsesStream(turn: { run: string } | { say: string } | Poll, u: Required<TurnUsage>, model: string, id: string, tool: () => ReturnType<typeof toolOf>): Sse[] {
  const call = (name: string, args: unknown) => ({ type: 'function_call', id: `fc_${id}`, call_id: `call_${id}`, name, arguments: JSON.stringify(args), status: 'completed' });
  const t = 'run' in turn ? tool() : null;
  const item =
    'poll' in turn
      ? call('write_stdin', { session_id: turn.poll, chars: '', yield_time_ms: 30_000 })
      : 'run' in turn
      ? call(t!.name, t!.args(turn.run))
      : { type: 'message', id: `msg_${id}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: turn.say, annotations: [] }] };
  const response = { id: `resp_${id}`, object: 'response', model, status: 'completed', output: [item] };
  // Responses counts cached tokens inside input_tokens.
  const usage = { input_tokens: u.input + u.cacheRead, input_tokens_details: { cached_tokens: u.cacheRead }, output_tokens: u.output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: u.input + u.cacheRead + u.output };
  return [
    ['response.created', { type: 'response.created', response: { ...response, status: 'in_progress', output: [] } }],
    ['response.output_item.done', { type: 'response.output_item.done', output_index: 0, item }],
    ['response.completed', { type: 'response.completed', response: { ...response, usage } }],
  ];
}
