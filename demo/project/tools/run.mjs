// node tools/run.mjs FILE.peb: compile and run one program, print what it prints
// (errors included). This is the command test-oracle runs for each test.
import { readFileSync } from 'node:fs';
import { runProgram } from '../src/compile.mjs';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node tools/run.mjs FILE.peb\n');
  process.exit(2);
}
const { output, ok } = runProgram(readFileSync(file, 'utf8'));
process.stdout.write(output);
process.exitCode = ok ? 0 : 1;
