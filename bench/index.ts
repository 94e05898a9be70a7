// `npm run bench -- NAME [args]`: each benchmark is bench/NAME.ts exporting `run(args)`.
// Benchmarks print ratios measured side by side in one run; timing never gates tests.
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export async function main(argv: string[]): Promise<number> {
  const names = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.startsWith('_'))
    .map((f) => f.slice(0, -3))
    .sort();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(`usage: npm run bench -- <${names.join('|')}> [options]\n`);
    return name ? 0 : 2;
  }
  if (!names.includes(name)) {
    process.stderr.write(`bench: no benchmark named "${name}"; choose one of: ${names.join(', ')}\n`);
    return 2;
  }
  const mod = (await import(`./${name}.ts`)) as { run: (args: string[]) => Promise<number | void> };
  return (await mod.run(rest)) ?? 0;
}
