// The process sandbox owes the same contract (minus isolation, which it does not claim).
import { describe } from 'vitest';
import { sandboxFor } from '../harness/sandbox/index.js';
import { contractTests } from './helpers/sandbox-contract.js';

describe('process sandbox contract', () => contractTests(() => sandboxFor('process')));
