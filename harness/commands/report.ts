// placeholder replaced below
import type { Io, Register } from '../cli-kit.js';
import { defineCommand } from '../cli-kit.js';
export function reportCommand(io: Io, setResult: Register) {
  return defineCommand<Record<string, unknown>>(io, setResult, { command: 'report', describe: 'report (soon)', run: async () => 1 });
}
