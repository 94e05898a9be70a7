// Standing roles for agent slots (`--role NAME=COUNT[:PROMPT_FILE]`), as Carlini's run had:
// merge duplicate code, speed up the compiler, keep the docs... Pure: parsing, which slot
// gets which role, and how a session's prompt is put together from its parts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../kit/errors.js';

export interface RoleSpec {
  name: string;
  count: number;
  /** absolute path of the role's prompt, added after the agent prompt; null: none */
  prompt: string | null;
  /** the prompt's text, read once when the run starts (readRolePrompts) */
  text?: string;
}

const ROLE_RE = /^[a-z][a-z0-9-]{0,31}$/;

/** From flags (`NAME=COUNT[:FILE]`, repeatable) or the config file (the same strings, or `{name, count, prompt}`). */
export function parseRoles(raw: unknown, from: string, cwd: string): RoleSpec[] {
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  const roles = list.map((x) => parseOne(x, from, cwd));
  const seen = new Set<string>();
  for (const r of roles) {
    if (seen.has(r.name)) throw new UsageError('BAD_CONFIG', `${from}: role "${r.name}" is given twice; give it once with the total count`);
    seen.add(r.name);
  }
  return roles;
}

function parseOne(x: unknown, from: string, cwd: string): RoleSpec {
  const want = 'NAME=COUNT or NAME=COUNT:PROMPT_FILE, e.g. docs=1:templates/roles/docs.md (NAME: a-z 0-9 -, up to 32)';
  let name: unknown, count: unknown, prompt: unknown;
  if (typeof x === 'string') {
    const m = /^([^=]*)=(\d+)(?::(.+))?$/.exec(x.trim());
    if (!m) throw new UsageError('BAD_CONFIG', `${from}: ${JSON.stringify(x)} is not ${want}`);
    [name, count, prompt] = [m[1], Number(m[2]), m[3]];
  } else if (x && typeof x === 'object' && !Array.isArray(x)) {
    ({ name, count, prompt } = x as Record<string, unknown>);
  } else throw new UsageError('BAD_CONFIG', `${from}: ${JSON.stringify(x)} is not ${want}`);
  if (typeof name !== 'string' || !ROLE_RE.test(name)) throw new UsageError('BAD_CONFIG', `${from}: role name ${JSON.stringify(name)} is not ${want}`);
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1024) {
    throw new UsageError('BAD_CONFIG', `${from}: role ${name} needs a count from 1 to 1024, got ${JSON.stringify(count)}`);
  }
  if (prompt !== undefined && prompt !== null && (typeof prompt !== 'string' || !prompt.trim())) throw new UsageError('BAD_CONFIG', `${from}: role ${name}'s prompt must be a file path`);
  return { name, count, prompt: typeof prompt === 'string' ? path.resolve(cwd, prompt.trim()) : null };
}

/**
 * Slot i (0-based) gets a role in the order given: `--role review=2 --role docs=1` makes
 * agent-1 and agent-2 reviewers and agent-3 the docs keeper; slots past the roles have none.
 */
export function roleOfSlot(roles: readonly RoleSpec[], slot: number): RoleSpec | null {
  let at = 0;
  for (const r of roles) {
    if (slot < at + r.count) return r;
    at += r.count;
  }
  return null;
}

export const roleSlots = (roles: readonly RoleSpec[]) => roles.reduce((n, r) => n + r.count, 0);

/** Slots must cover the roles: with no --agents the roles decide how many there are. */
export function agentsFor(roles: readonly RoleSpec[], agents: number | null, dflt: number): number {
  const need = roleSlots(roles);
  if (agents === null) return Math.max(need, need ? 0 : dflt);
  if (agents < need) throw new UsageError('BAD_CONFIG', `--agents ${agents} is fewer than the ${need} slots the roles ask for; raise --agents or lower the role counts`);
  return agents;
}

/** The prompt a session gets: messages waiting first, then the agent prompt, then the role's own. */
export function composePrompt(parts: { header?: string; base: string; role?: { name: string; text: string } | null }): string {
  const role = parts.role ? `\n\n---\n\n# Your standing role: ${parts.role.name}\n\n${parts.role.text.trim()}\n` : '';
  return `${parts.header ?? ''}${parts.base}${role}`;
}

/**
 * Reads every role's prompt once, at the start of the run: a missing file is a usage
 * error now, and a file an agent deletes or edits later cannot stop or steer the swarm.
 */
export function readRolePrompts(roles: readonly RoleSpec[], read: (file: string) => string = (f) => readFileSync(f, 'utf8')): RoleSpec[] {
  return roles.map((r) => {
    if (!r.prompt) return { ...r, text: '' };
    try {
      return { ...r, text: read(r.prompt) };
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such prompt file' : `cannot read the prompt file (${(e as Error).message})`;
      throw new UsageError('BAD_ROLE_PROMPT', `--role ${r.name}: ${why} ${r.prompt}; sample role prompts are in the harness's templates/roles/`);
    }
  });
}
