// `--listen HOST:PORT`, for `harness serve` and `harness run`: where the upstream server
// accepts connections (remote executors' sessions reach it there).
import { UsageError } from '../kit/errors.js';

/** `127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:0` (any free port). */
export function parseListen(s: string, from = '--listen'): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(String(s).trim());
  const port = m ? Number(m[3]) : -1;
  if (!m || port > 65535) throw new UsageError('BAD_LISTEN', `${from} ${JSON.stringify(s)} is not HOST:PORT; e.g. --listen 127.0.0.1:8417 (port 0: any free port)`);
  return { host: m[1] ?? m[2]!, port };
}
