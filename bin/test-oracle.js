#!/usr/bin/env node
// Registers tsx so the TypeScript sources run without a build step after `npm install`.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../test-oracle/cli.ts');
process.exitCode = await main(process.argv.slice(2));
