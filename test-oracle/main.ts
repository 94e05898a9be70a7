// The `test-oracle` executable (built to dist/test-oracle.js).
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
