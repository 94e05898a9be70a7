import { defineCommand, type Io, type Register } from '../cli-kit.js';
import { UsageError } from '../errors.js';

export function taskCommand(io: Io, setResult: Register) {
  return defineCommand(io, setResult, {
    command: 'task',
    describe: '(being written)',
    run: async () => {
      throw new UsageError('NOT_YET', 'task is being written');
    },
  });
}
