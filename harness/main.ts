// The `harness` executable (built to dist/harness.js).
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
