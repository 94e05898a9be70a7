// One simulated agent session (see index.ts), built to dist/sim-agent.js.
import { main } from './session.js';

process.exitCode = await main(process.argv.slice(2));
