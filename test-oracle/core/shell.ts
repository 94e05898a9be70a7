// Test command templates: placeholders filled with shell-quoted values.
import { shq } from '../../harness/kit/shell.js';

export { shq };

export const PLACEHOLDERS = ['test', 'abs', 'id', 'dir', 'name', 'tmp', 'root', 'tool', 'tests'] as const;
/** What a `batch` command may use: it runs many tests, so nothing that names one. */
export const BATCH_PLACEHOLDERS: readonly Placeholder[] = ['tests', 'root', 'tool'];
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** Fills `{test}`-style placeholders with shell-quoted values (a list: one word each); `{{` is a literal `{`. */
export function fillTemplate(template: string, values: Partial<Record<Placeholder, string | readonly string[]>>): string {
  return template.replace(/\{\{|\{([a-z]+)\}/g, (m, name: string | undefined) => {
    if (m === '{{') return '{';
    const v = values[name as Placeholder];
    return v === undefined ? m : typeof v === 'string' ? shq(v) : v.map(shq).join(' ');
  });
}

export function templateUses(template: string, name: Placeholder): boolean {
  return template.includes(`{${name}}`);
}

/** Environment variables a template reads (`$CC`, `${CC:-gcc}`), in order of first use. */
export function referencedVars(template: string): string[] {
  return [...new Set([...template.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))];
}

/** Unknown `{word}` placeholders: almost always a typo in the suite config. */
export function unknownPlaceholders(template: string): string[] {
  const out: string[] = [];
  for (const m of template.replace(/\{\{/g, '').matchAll(/\{([a-z]+)\}/g)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) out.push(m[0]);
  }
  return out;
}

/**
 * A template that needs no shell (no quotes, pipes, redirections, variables...) is run
 * directly: one process less per test, which is most of the cost of a trivial test.
 * Returns the argv, or null when a shell is needed.
 */
export function directArgv(command: string): string[] | null {
  if (/[^A-Za-z0-9_\-.,/:=@%+ ]/.test(command)) return null;
  const argv = command.split(' ').filter(Boolean);
  if (argv.length === 0 || argv[0]!.includes('=')) return null;
  return argv;
}
