import { defineCommand, type Io, type Register } from '../cli-kit.js';
import { UsageError } from '../errors.js';

export function initCommand(io: Io, setResult: Register) {
  return defineCommand(io, setResult, {
    command: 'init',
    describe: '(being written)',
    run: async () => {
      throw new UsageError('NOT_YET', 'init is being written');
    },
  });
}
