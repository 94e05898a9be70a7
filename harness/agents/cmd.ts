// Any command: `sh -c "<agent-cmd>"` in the workspace, the prompt on stdin and in the file
// named by HARNESS_PROMPT_FILE. It reports no usage; its exit code is all we learn.
import type { AgentAdapter } from './types.js';

export function cmdAgent(command: string): AgentAdapter {
  return {
    kind: 'cmd',
    invocation: ({ prompt, promptFile }) => ({ argv: ['sh', '-c', command], stdin: prompt, env: { HARNESS_PROMPT_FILE: promptFile } }),
    usage: async () => null,
  };
}
