#!/usr/bin/env node
// Runs one simulated agent session (see index.ts). Registers tsx first: no build step.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('./session.ts');
process.exitCode = await main(process.argv.slice(2));
