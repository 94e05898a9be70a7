import { defineCommand, type Io, type Register } from '../../harness/kit/cli-kit.js';
import { runGate, type GateArgs } from '../gate/gate.js';
import { RUN_OPTIONS, SUITE_HELP } from '../run/options.js';

export function gateCommand(io: Io, setResult: Register) {
  return defineCommand<GateArgs>(io, setResult, {
    describe: 'exit 1 when a test that passed at the baseline fails now (on the tests both ran)',
    args: {
      command: 'gate',
      options: {
        ...RUN_OPTIONS,
        baseline: { type: 'string', describe: 'commit to compare with (default: $TEST_ORACLE_BASELINE, else @{upstream}, else HEAD~1)' },
        'baseline-run': { type: 'boolean', default: true, describe: 'run failing tests at the baseline when it has no recorded result for them' },
      },
      epilogue: `${SUITE_HELP}\n\nExit: 0 no regression, 1 regressions (one ERROR line lists them), 2 bad usage or config.`,
    },
    run: async (a, io) => runGate(a, io),
  });
}
