// `test-oracle bisect`: find the units a candidate compiler miscompiles, with a trusted
// reference compiler as the oracle. The work lives in test-oracle/bisect/.
import { defineCommand, type Io, type Register } from '../../harness/kit/cli-kit.js';
import { bisect, type BisectOptions } from '../bisect/run.js';

export function bisectCommand(io: Io, setResult: Register) {
  return defineCommand<BisectOptions>(io, setResult, {
    command: 'bisect',
    describe: 'find the units a candidate compiler miscompiles (gcc or another trusted compiler as the oracle)',
    builder: (y) =>
      y
        .option('units', { type: 'string', demandOption: true, describe: 'compile_commands.json (CMake, Bear, Meson)' })
        .option('candidate', { type: 'string', demandOption: true, describe: 'the compiler under test (words allowed: "cc --flag")' })
        .option('reference', { type: 'string', default: 'gcc', describe: 'the trusted compiler' })
        .option('link', { type: 'string', demandOption: true, describe: 'shell command turning {objects} (or @{rsp}) into {out}' })
        .option('test', { type: 'string', demandOption: true, describe: 'shell command; exit 0 = pass, anything else or a timeout = fail' })
        .option('jobs', { alias: 'j', type: 'number', default: 1, describe: 'parallel compiles, and probes per round' })
        .option('timeout', { type: 'number', describe: 'seconds allowed for each link and each test run' })
        .option('repeat', { type: 'number', default: 1, describe: 'run each probe\'s test K times; disagreement is reported FLAKY' })
        .option('fraction', { type: 'number', describe: 'one probe with this seeded random fraction of units by the candidate' })
        .option('seed', { type: 'number', describe: 'seed for --fraction' })
        .option('narrow', { type: 'boolean', default: false, describe: 'with --fraction/--seed: bisect within that subset' })
        .option('json', { type: 'string', describe: 'also write the results here as JSON' })
        // An array only so that --no-cache (yargs' negation of --cache) can come with it.
        .option('cache', { type: 'string', array: true, requiresArg: true, describe: 'object cache folder, shareable between agents (default $TEST_ORACLE_BISECT_CACHE or ~/.cache/test-oracle/bisect)' })
        .option('no-cache', { type: 'boolean', describe: 'compile every unit afresh instead of reusing cached objects (they are still stored)' })
        .option('trust-monotone', { type: 'boolean', default: false, describe: 'prove "dropping a member passes" from a passing superset instead of probing it (saves ~1 probe per pair member, misses some ABI mismatches)' })
        .epilogue(
          [
            'Placeholders in --link/--test (also env BISECT_OBJECTS, BISECT_RSP, BISECT_OUT, BISECT_DIR):',
            '  {objects} the objects, quoted   {rsp} a file listing them   {out} the program   {dir} the probe folder',
            'Exit: 0 search complete; 1 a baseline is wrong, NONMONOTONE, or a --fraction probe failed; 2 bad input; 4 compiler missing.',
          ].join('\n'),
        ) as never,
    run: (args, io) => bisect(args, io),
  });
}
