import { claimTask } from '../harness/tasks/ops.js';
import { raceCtx } from '../test/fixtures/race-ctx.js';
const ctx = raceCtx(process.argv[2]!, 'a1');
for (const t of process.argv.slice(3)) { const t0 = performance.now(); await claimTask(ctx, t); console.log(t, (performance.now() - t0).toFixed(0)); }
