// The agent-side commands parse without yargs (harness/cli-args.ts). That is only safe if,
// on every input the fast parser accepts, it means exactly what yargs means, and if it
// leaves to yargs whatever yargs would refuse or read its own way. Checked here against
// yargs itself, over every option table of `task`, `msg`, `test-oracle run` and `gate`.
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { fastParse, type ArgsSpec } from '../harness/kit/cli-args.js';
import { argTables, defineCommand, skipHelpRendering, type Io } from '../harness/kit/cli-kit.js';
import { msgCommand } from '../harness/commands/msg.js';
import { taskCommand } from '../harness/commands/task.js';
import { gateCommand } from '../test-oracle/commands/gate.js';
import { runCommand } from '../test-oracle/commands/run.js';

const io = {} as Io;
const TABLES: [string, ArgsSpec][] = [
  ...argTables(taskCommand(io, () => {})),
  ...argTables(msgCommand(io, () => {})),
  ...argTables(runCommand(io, () => {})),
  ...argTables(gateCommand(io, () => {})),
];

/** What the CLI's yargs path hands the command, or the error it stops with. */
async function viaYargs(spec: ArgsSpec, argv: string[]): Promise<Record<string, unknown> | Error> {
  let got: Record<string, unknown> | undefined;
  const mod = defineCommand<Record<string, unknown>>(io, () => {}, {
    describe: 'x',
    args: spec,
    run: async (a) => {
      got = a;
    },
  });
  const y = yargs([spec.command.split(' ')[0]!, ...argv])
    .strict()
    .exitProcess(false)
    .version(false)
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .command(mod);
  skipHelpRendering(y); // as the CLI does; without it each parse renders the whole help
  try {
    await y.parseAsync();
  } catch (e) {
    return e as Error;
  }
  return got ?? new Error('no handler ran');
}

/** The keys a handler can read: every option, its short form and camelCase name, every positional. */
function keysOf(spec: ArgsSpec): string[] {
  const pos = [...spec.command.matchAll(/<([^>.]+)(\.\.)?>/g)].map((m) => m[1]!);
  return [...pos, ...Object.entries(spec.options).flatMap(([k, o]) => [k, ...(o.alias ? [o.alias] : []), k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())])];
}

function pick(o: Record<string, unknown>, keys: string[]) {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

/** Deterministic input of every shape an agent types: each flag in each spelling, mixed. */
function corpus(spec: ArgsSpec, seed: number): string[][] {
  let s = seed;
  const rnd = (n: number) => ((s = (s * 1103515245 + 12345) % 2 ** 31), s % n);
  const pos = [...spec.command.matchAll(/<([^>]+)>/g)].map((m) => (m[1]!.endsWith('..') ? ['hello', 'there', '42'] : ['t-1.x']));
  // what must be given (reap's --ttl) is given; the empty input leaves it out
  for (const [name, o] of Object.entries(spec.options)) if (o.demandOption) pos.push([`--${name}=2h`]);
  const forms: string[][] = [];
  for (const [name, o] of Object.entries(spec.options)) {
    if (o.type === 'boolean') forms.push([`--${name}`], [`--no-${name}`], [`--${name}=false`], [`--${name}`, `--no-${name}`]);
    else if (o.type === 'number') forms.push([`--${name}`, '3'], [`--${name}=2.5`], [`--${name}`, '07'], [`--${name}`, 'x1']);
    else if (o.choices) forms.push([`--${name}`, o.choices[0]!], [`--${name}=nope`]);
    else forms.push([`--${name}`, 'v 1'], [`--${name}=a=b`], [`--${name}`, '123'], [`--${name}=`], [`--${name}`, '-x'], [`--${name}`, 'a', `--${name}`, 'b']);
    if (o.alias) forms.push(o.type === 'boolean' ? [`-${o.alias}`] : [`-${o.alias}`, 'short']);
    if (o.requiresArg === false) forms.push([`--${name}`], [`--${name}`, '--seed', 's']);
  }
  const out: string[][] = [pos.flat(), [], ['--bogus', ...pos.flat()], [...pos.flat(), 'extra'], ['--', ...pos.flat()]];
  for (const f of forms) out.push([...pos.flat(), ...f], [...f, ...pos.flat()]);
  for (let i = 0; i < 25; i++) {
    const n = 1 + rnd(3);
    const args = [...pos.flat()];
    for (let k = 0; k < n; k++) args.splice(rnd(args.length + 1), 0, ...forms[rnd(forms.length)]!);
    out.push(args);
  }
  return out;
}

describe('the fast parser agrees with yargs', () => {
  it.each(TABLES.map(([name, spec], i) => [name, spec, i] as const))('%s: same arguments on what it accepts, yargs decides the rest', async (_name, spec, i) => {
    let accepted = 0;
    let refusedByYargs = 0;
    for (const argv of corpus(spec, i + 1)) {
      const fast = fastParse(spec, argv);
      const slow = await viaYargs(spec, argv);
      if (fast === null) {
        if (slow instanceof Error) refusedByYargs++;
        continue;
      }
      accepted++;
      expect(slow, argv.join(' ')).not.toBeInstanceOf(Error);
      expect(pick(fast, keysOf(spec)), argv.join(' ')).toEqual(pick(slow as Record<string, unknown>, keysOf(spec)));
    }
    // Both kinds of input were seen: the comparison is not vacuous either way.
    expect(accepted).toBeGreaterThan(10);
    expect(refusedByYargs).toBeGreaterThan(0);
  });

  it('leaves to yargs: help, a repeated single-value flag, an unknown flag, a missing or extra task, bundled short flags, a bad choice', () => {
    const claim = TABLES.find(([n]) => n === 'task claim')![1];
    const done = TABLES.find(([n]) => n === 'task done')![1];
    const run = TABLES.find(([n]) => n === 'run')![1];
    for (const argv of [['x', '--help'], ['x', '-h'], ['x', '--note', 'a', '--note', 'b'], ['x', '--bogus'], [], ['x', 'y'], ['x', '--note', '-n']]) {
      expect(fastParse(claim, argv), argv.join(' ')).toBeNull();
    }
    expect(fastParse(done, ['x', '-am', 'msg'])).toBeNull();
    expect(fastParse(run, ['--layout', 'tree'])).toBeNull();
    expect(fastParse(run, ['-j', '1', '-j', '2'])).toBeNull();
    expect(fastParse(claim, ['x', '--note', 'why'])).toMatchObject({ task: 'x', note: 'why', remote: 'origin', timeout: '5m' });
    expect(fastParse(run, ['--fast', '--seed', 's'])).toMatchObject({ fast: '', seed: 's', record: true, show: 30 });
  });
});
