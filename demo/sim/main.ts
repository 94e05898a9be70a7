// One simulated agent session (see index.ts), built to dist/sim-agent.js. The entry point
// hands the session both CLIs, which it runs in-process to spare a node start per call.
import { main as harness } from '../../harness/cli.js';
import { main as oracle } from '../../test-oracle/cli.js';
import { main } from './session.js';

process.exitCode = await main(process.argv.slice(2), { harness, oracle });
