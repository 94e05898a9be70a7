// `npm run demo:bisect [-- -j N]`: generates the example (66 units: main + 65; one planted
// single culprit, one planted pair that fails only together, and with BISECT_DEMO_FLAKY=1 a
// flaky one), runs `test-oracle bisect` on it, and checks it found exactly the planted ones.
// The folder and the object cache are stable under the temp folder, so a second run shows
// the cache at work (nothing compiled).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../cli.js';
import { generateExample } from './gen.js';

const flaky = process.env.BISECT_DEMO_FLAKY === '1';
const dir = path.join(os.tmpdir(), 'test-oracle-bisect-demo');
const ex = generateExample(path.join(dir, 'program'), { units: 65 });
const json = path.join(dir, 'result.json');
const args = [
  'bisect', '--units', ex.unitsFile, '--candidate', ex.candidate, '--reference', ex.reference,
  '--link', ex.link, '--test', ex.test, '--timeout', '30', '--json', json, '--cache', path.join(dir, 'cache'),
  ...(flaky ? ['--repeat', '4'] : []),
  ...(process.argv.slice(2).length ? process.argv.slice(2) : ['-j', '2']),
];
const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
process.stdout.write(`$ test-oracle ${args.map(q).join(' ')}\n`);
const code = await main(args);
const res = JSON.parse(readFileSync(json, 'utf8')) as { findings: { kind: string; units: string[] }[] };
const found = res.findings.map((f) => `${f.kind} ${f.units.map((u) => path.basename(u)).sort().join(' + ')}`).sort();
const planted = [
  ...ex.culprits.map((c) => `${c.length === 1 ? 'CULPRIT' : 'CULPRIT-SET'} ${c.join(' + ')}`),
  ...(flaky ? ex.flaky.map((f) => `FLAKY ${f}`) : []),
].sort();
const same = code === 0 && found.join('|') === planted.join('|');
process.stdout.write(`\nplanted: ${planted.join('; ')}\nfound:   ${found.join('; ')}\n`);
process.stdout.write(same ? 'demo: found exactly the planted culprits\n' : 'demo: MISMATCH\n');
process.exitCode = same ? 0 : 1;
