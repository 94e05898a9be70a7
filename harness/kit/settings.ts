// Settings declared once, as rows of a table. A row's name is its config-file key and, kebab-
// cased, its flag; its parse rule gives the value's type. Hand-kept lists of keys, flags and
// fields drifted apart (harness run's `passEnv` could be set in the config file but had no
// flag), so both CLIs derive theirs from a table through here. Each CLI keeps its own one-line
// error wording: a rule says what it wants (`want`), the CLI's reader words the complaint.
import { camel, type OptSpec } from './cli-args.js';

export interface FlagSpec extends OptSpec {
  /** left out of --help (test and benchmark knobs) */
  hidden?: boolean;
  /** the flag's name when it is not the kebab-cased key (the oracle's `--cmd` sets "command") */
  name?: string;
}

export interface Setting<T = unknown, C = never> {
  /** the command-line option; null: the config file only */
  flag: FlagSpec | null;
  /** the raw value used when no layer gives one; parsed like a given one */
  default?: unknown;
  /** a raw value (a flag's or the config file's) to the setting's value; `from` names where it came from */
  parse: (v: unknown, from: string, ctx: C) => T;
}

export type SettingsTable<C = never> = Record<string, Setting<unknown, C>>;

/** What a user can set, as typed on a command line or in a config file. */
export type RawOf<S> = { [K in keyof S]?: unknown };

export type ValueOf<S, K extends keyof S> = S[K] extends Setting<infer T, never> ? T : never;

type FlagValue<F> = F extends { type: 'number' } ? number : F extends { type: 'boolean' } ? boolean : F extends { array: true } ? string[] : string;

/** The flags as the command's handler gets them: by flag name (camelCase), typed by the flag's kind. */
export type FlagsOf<S> = {
  [K in keyof S as S[K] extends { flag: { name: infer N extends string } } ? N : S[K] extends { flag: object } ? K : never]?: S[K] extends { flag: infer F } ? FlagValue<F> : never;
};

export const kebab = (k: string): string => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Thrown by a rule: the value is not what the setting takes; the reader words it. */
export class Want extends Error {
  constructor(readonly want: string) {
    super(want);
  }
}

export function want(what: string): never {
  throw new Want(what);
}

export function flagName(key: string, s: Setting<unknown, never>): string {
  return s.flag?.name ?? kebab(key);
}

export function settingKeys<S extends object>(table: S): (keyof S & string)[] {
  return Object.keys(table) as (keyof S & string)[];
}

/** The command-line options, by flag name, in table order. */
export function flagOptions(table: SettingsTable<never>): Record<string, FlagSpec> {
  const out: Record<string, FlagSpec> = {};
  for (const [k, s] of Object.entries(table)) {
    if (!s.flag) continue;
    const { name: _, ...o } = s.flag;
    out[flagName(k, s)] = o;
  }
  return out;
}

/** The flags given (as yargs or fastParse hand them over), by key; a repeated flag's last value unless it is a list. */
export function flagValues<S extends SettingsTable<never>>(table: S, args: Record<string, unknown>): RawOf<S> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(table)) {
    if (!s.flag) continue;
    const v = args[camel(flagName(k, s))];
    if (v === undefined) continue;
    out[k] = Array.isArray(v) && !s.flag.array ? v[v.length - 1] : v;
  }
  return out as RawOf<S>;
}

/** Keys of a config object the table does not declare, in the object's order. */
export function unknownKeys(table: object, json: object, ignore: (k: string) => boolean = () => false): string[] {
  return Object.keys(json).filter((k) => !Object.hasOwn(table, k) && !ignore(k));
}

/** One source of raw values (flags, a config file, ...); the first layer holding a key wins. */
export interface Layer {
  values: Readonly<Record<string, unknown>> | null | undefined;
  /** how an error names the key in this layer: `--agents`, `harness.config.json "agents"` */
  from: (key: string) => string;
}

export interface Reader<S extends SettingsTable<C>, C> {
  /** the raw value and where it came from (the first layer's name when no layer has it) */
  pick(k: keyof S & string): { v: unknown; from: string };
  /** the parsed value; null when unset and there is no default (`dflt` overrides the table's) */
  get<K extends keyof S & string>(k: K, dflt?: unknown): ValueOf<S, K> | null;
}

export interface ReaderOptions {
  /** a raw value that counts as not given (default: undefined only) */
  unset?: (v: unknown) => boolean;
  /** words a rule's Want; may throw (stop at the first) or record it and return (collect them) */
  complain: (from: string, v: unknown, want: string) => void;
}

export function reader<S extends SettingsTable<C>, C>(table: S, layers: Layer[], ctx: C, o: ReaderOptions): Reader<S, C> {
  const unset = o.unset ?? ((v: unknown) => v === undefined);
  const pick = (k: string) => {
    for (const l of layers) if (l.values && !unset(l.values[k])) return { v: l.values[k], from: l.from(k) };
    return { v: undefined, from: layers[0]!.from(k) };
  };
  return {
    pick,
    get: (k, dflt) => {
      const got = pick(k);
      const row = table[k]!;
      const fallback = dflt !== undefined ? dflt : row.default;
      const parse = (v: unknown) => row.parse(v, got.from, ctx) as ValueOf<S, typeof k>;
      if (unset(got.v)) return fallback === undefined ? null : parse(fallback);
      try {
        return parse(got.v);
      } catch (e) {
        if (!(e instanceof Want)) throw e;
        o.complain(got.from, got.v, e.want);
        // a reader that collects complaints goes on with the default, as if the value were not given
        return fallback === undefined ? null : parse(fallback);
      }
    },
  };
}
