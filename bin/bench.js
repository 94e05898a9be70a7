#!/usr/bin/env node
// Registers tsx so the TypeScript benchmarks run without a build step.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../bench/index.ts');
process.exitCode = await main(process.argv.slice(2));
